#include "modules/builtin_models.h"

#include "modules/buffers/banked_sram_buffer_model.h"
#include "modules/buffers/double_buffered_buffer_model.h"
#include "modules/buffers/ideal_buffer_model.h"
#include "modules/buffers/sram_buffer_model.h"
#include "core/model_registry.h"
#include "modules/memory/dram_memory_model.h"
#include "modules/memory/fixed_bandwidth_memory_model.h"
#include "modules/memory/l2_cache_memory_model.h"

namespace acceltran {

void register_builtin_models() {
    static bool added = false;
    if (added) return;
    added = true;
    ModelRegistry& registry = ModelRegistry::instance();
    registry.add(IdealBufferModel::entry());
    registry.add(SramBufferModel::entry());
    registry.add(BankedSramBufferModel::entry());
    registry.add(DoubleBufferedBufferModel::entry());
    registry.add(FixedBandwidthMemoryModel::entry());
    registry.add(DramMemoryModel::entry());
    registry.add(L2CacheMemoryModel::entry());
}

}  // namespace acceltran
