// Main memory's timing model: what off-chip memory does with a read or write of N bytes at
// cycle t. MainMemory (modules/memory/main_memory.h) wraps one behind its TLM target socket.
// Built-ins: fixed_bandwidth (the default), dram (channels, ranks, banks, row buffers,
// refresh; presets lpddr3-1600, hbm2, rram-m3d) and l2_cache (an L2 in front of DRAM); plug-ins
// add more (docs/plugins.md).
#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/model_registry.h"
#include "core/timing_model.h"

namespace acceltran {

class MemoryModel : public TimingModel {
public:
    // The figures the model runs with for parameters it resolves itself, by parameter name: a
    // preset's value for a parameter left at 0 that means "the preset's". The configuration echo
    // (summary.json's accelerator.main_memory) shows these in place of the values given, so that
    // a reader sees tRCD = 18 ns rather than 0. Default: none, the given values are the figures.
    virtual std::vector<std::pair<std::string, double>> effective_parameters() const { return {}; }
};

// A registry entry for memory model T, constructed as T(const ModelContext&, const ModelParameters&).
template <typename T>
ModelEntry memory_model_entry(std::string name, std::string description, std::vector<ParameterSpec> parameters) {
    static_assert(std::is_base_of<MemoryModel, T>::value, "a memory model derives from acceltran::MemoryModel");
    return model_entry<T>(ModelKind::Memory, std::move(name), std::move(description), std::move(parameters));
}

}  // namespace acceltran
