// A tile buffer's timing model: what the buffer does with a read or write of N bytes arriving
// at cycle t (when it completes, the busy time, the energy it accounts for itself, counters).
// TileBuffer (modules/buffers/tile_buffer.h) wraps one behind its TLM target socket. Built-ins:
// ideal, sram (the default), banked_sram, double_buffered; plug-ins add more (docs/plugins.md).
#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/model_registry.h"
#include "core/timing_model.h"

namespace acceltran {

class BufferModel : public TimingModel {
public:
    // Whether a write (a DMA burst) holds up the reads that arrive while it is written, as one
    // port shared by both does. At the fast detail level a chunk of tiles reads its operands in
    // one access, and the simulator adds the wait its tiles would have had behind the DMA's
    // bursts into a buffer that says so (docs/model-reference.md §6a, "Bursts behind the tiles'
    // reads"). The default: writes and reads kept apart (separate ports or halves).
    virtual bool writes_hold_up_reads() const { return false; }
};

// A registry entry for buffer model T, constructed as T(const ModelContext&, const ModelParameters&).
template <typename T>
ModelEntry buffer_model_entry(std::string name, std::string description, std::vector<ParameterSpec> parameters) {
    static_assert(std::is_base_of<BufferModel, T>::value, "a buffer model derives from acceltran::BufferModel");
    return model_entry<T>(ModelKind::Buffer, std::move(name), std::move(description), std::move(parameters));
}

}  // namespace acceltran
