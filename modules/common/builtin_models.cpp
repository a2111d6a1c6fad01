// The built-in models, added by ModelRegistry::instance(). An explicit list rather than static
// registrar objects: these live in a static library, and the linker drops an object file that
// nothing references, registrar and all (docs/plugins.md, "Registration").
#include "modules/buffers/banked_sram_buffer_model.h"
#include "modules/buffers/double_buffered_buffer_model.h"
#include "modules/buffers/ideal_buffer_model.h"
#include "modules/buffers/sram_buffer_model.h"
#include "modules/common/model_registry.h"
#include "modules/memory/dram_memory_model.h"
#include "modules/memory/fixed_bandwidth_memory_model.h"

namespace acceltran {

void register_builtin_models(ModelRegistry& registry) {
    registry.add(IdealBufferModel::entry());
    registry.add(SramBufferModel::entry());
    registry.add(BankedSramBufferModel::entry());
    registry.add(DoubleBufferedBufferModel::entry());
    registry.add(FixedBandwidthMemoryModel::entry());
    registry.add(DramMemoryModel::entry());
}

}  // namespace acceltran
