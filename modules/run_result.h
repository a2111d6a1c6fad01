// What one simulation measured, gathered from every module after sc_start() returns. The CLI
// turns it into summary.json and the summary table; tests read it directly.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "workloads/tiled_program.h"

namespace acceltran {

struct UnitClassResult {
    std::int64_t units = 0;
    double busy_unit_cycles = 0;
    double memory_wait_unit_cycles = 0;
    double dependency_wait_unit_cycles = 0;
    std::uint64_t tiles = 0;
    double utilization = 0;  // busy_unit_cycles / (units * cycles)
};

struct BufferResult {
    std::uint64_t capacity = 0;
    std::uint64_t read_bytes = 0, write_bytes = 0;
    std::uint64_t peak_occupancy = 0;
    double busy_cycles = 0, queued_cycles = 0;
    std::string model;                // buffer model (docs/plugins.md)
    double model_energy_j = 0;        // energy the model accounts for itself
    std::vector<std::pair<std::string, double>> model_counters;
};

struct RunResult {
    double cycles = 0;
    double seconds = 0;
    double clock_mhz = 0;
    int batch = 0;
    double throughput_seq_per_s = 0;
    UnitClassResult units[workloads::kUnitClasses];
    // DMA
    int dma_channels = 0;
    double dma_busy_channel_cycles = 0;
    double dma_utilization = 0;
    std::uint64_t dma_transfers = 0;
    // Main memory
    std::uint64_t memory_read_bytes = 0, memory_write_bytes = 0;
    double memory_busy_cycles = 0;
    double memory_utilization = 0;  // fraction of cycles the memory port was transferring
    std::string memory_model;
    double memory_model_energy_j = 0;
    // Bytes that reached the off-chip device: memory_read_bytes + memory_write_bytes unless the
    // memory model fronts it with a cache (ModelStats::device_bytes, l2_cache).
    double memory_device_bytes = 0;
    std::vector<std::pair<std::string, double>> memory_model_counters;
    BufferResult buffers[workloads::kBufferKinds];
    double memory_bound_cycles = 0;
    // Program
    std::uint64_t entries = 0, entries_retired = 0, jobs = 0;
    std::uint64_t tile_ops = 0, tiles_executed = 0;
    std::uint64_t macs = 0;
    double effectual_macs = 0;
    std::uint64_t pre_sparsity_tiles = 0, post_sparsity_tiles = 0;
    std::uint64_t load_entries = 0, spill_entries = 0, store_entries = 0;

    nlohmann::json to_json() const;
};

}  // namespace acceltran
