// Energy of a run from its activity and a technology table. Plain C++: it knows activity totals,
// not the scheduler that produced them. Formulas and sources: docs/model-reference.md §9b.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "core/accelerator_config.h"
#include "modules/power/technology.h"

namespace acceltran::power {

// What the energy model needs to know about a run.
struct RunActivity {
    double cycles = 0;
    double lane_busy_unit_cycles = 0;
    double softmax_busy_unit_cycles = 0;
    double layernorm_busy_unit_cycles = 0;
    std::uint64_t pre_sparsity_tiles = 0;   // matmul tiles whose masks were combined
    std::uint64_t post_sparsity_tiles = 0;  // output tiles compared with the threshold
    // Bytes are doubles because a sample period of the timeline can hold part of a transfer.
    double buffer_bytes[3] = {0, 0, 0};        // read + written; activation, weight, mask
    double buffer_busy_cycles[3] = {0, 0, 0};  // port busy
    double memory_bytes = 0;                   // main memory read + written
    // The share of memory_bytes that reached the off-chip device (the run's, RunResult::
    // memory_device_bytes): below 1 when an L2 (l2_cache) served the rest. The technology
    // table's main-memory energy is charged on memory_bytes x this.
    double memory_device_share = 1;
    // Energy the buffer and memory models account for themselves (ModelStats::energy_j), added
    // to the per-byte energy above: docs/plugins.md, "Energy". 0 for every built-in by default.
    double buffer_model_energy_j[3] = {0, 0, 0};
    double memory_model_energy_j = 0;
    // Only the compatibility options read these (CompatConfig; CompatEnergyCounters fills them):
    double memory_load_elements = 0;                // elements loaded from main memory (main_memory_energy)
    double buffer_loading_idle_cycles[3] = {0, 0, 0};  // a load into it in flight, its port idle (buffer_leakage_while_loading)
    double buffer_unit_write_bytes[3] = {0, 0, 0};  // bytes the units wrote into it (no_operand_read_energy)
};

// Joules, each with its dynamic and leakage parts.
struct EnergyPart {
    double dynamic = 0, leakage = 0;
    double total() const { return dynamic + leakage; }
};

struct EnergyBreakdown {
    EnergyPart mac_lanes, softmax, layernorm, sparsity, fifo, dataflow, dma;
    EnergyPart buffers[3];  // activation, weight, mask
    EnergyPart main_memory; // access energy only (no leakage figure in the table)
    double total() const;
};

// The energy model of one design point: the technology table's figures for its units, buffers
// and main memory are looked up once (by name and size), so that the timeline's thousands of
// sample periods are each a few multiplications (docs/performance.md, "Energy per sample without
// look-ups"). The arithmetic is energy()'s, term for term.
class EnergyModel {
public:
    // InputError when the table lacks a figure the design point needs (Technology's look-ups).
    EnergyModel(const AcceleratorConfig& config, const Technology& tech);
    EnergyBreakdown energy(const RunActivity& activity) const;

private:
    double hz_;
    bool gating_;
    double lanes_, softmax_units_, layernorm_units_, pes_;
    ModulePower mac_lane_, softmax_, layernorm_, pre_sparsity_, post_sparsity_, fifo_, dataflow_, dma_;
    double buffer_access_nj_[3];      // per block, for the buffer's size (BufferTechnology::access_energy_nj_for)
    double buffer_leakage_mw_per_mb_[3];
    double buffer_size_mb_[3];
    int buffer_block_bytes_;
    double main_memory_access_nj_;    // per main_memory_block_bytes access
    int main_memory_block_bytes_;
    double weight_sparsity_;
    CompatConfig compat_;
};

// EnergyModel(config, tech).energy(activity).
EnergyBreakdown energy(const AcceleratorConfig& config, const Technology& tech, const RunActivity& activity);
// {"mac_lanes": J, ..., "buffers": {"activation": J, ...}, "main_memory": J}; parts sum to total.
nlohmann::json to_json(const EnergyBreakdown& e);

}  // namespace acceltran::power
