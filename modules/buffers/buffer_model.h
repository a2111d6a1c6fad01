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

#include "modules/common/model_registry.h"
#include "modules/common/timing_model.h"

namespace acceltran {

class BufferModel : public TimingModel {};

// A registry entry for buffer model T, constructed as T(const ModelContext&, const ModelParameters&).
template <typename T>
ModelEntry buffer_model_entry(std::string name, std::string description, std::vector<ParameterSpec> parameters) {
    static_assert(std::is_base_of<BufferModel, T>::value, "a buffer model derives from acceltran::BufferModel");
    ModelEntry e;
    e.kind = ModelKind::Buffer;
    e.name = std::move(name);
    e.description = std::move(description);
    e.parameters = std::move(parameters);
    e.factory = [](const ModelContext& c, const ModelParameters& p) -> std::unique_ptr<TimingModel> {
        return std::make_unique<T>(c, p);
    };
    return e;
}

}  // namespace acceltran
