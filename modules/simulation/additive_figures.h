// The figures of a run that add up over its parts (decode steps, layers), in a fixed order, so
// that snapshots taken as the run goes can be flattened to vectors, subtracted, scaled and
// written back: cycles, unit busy, wait and tile counts, DMA, main-memory and buffer bytes,
// busy cycles and the energy the buffer and memory models account, jobs, tiles and MACs the
// units executed. Capacities, peaks, unit counts and ratios are not among them, nor the models'
// own counters, whose keys a model may add as it runs (the vectors must line up). Used by the
// two extrapolations of a sampled run (decode_extrapolation.h, layer_extrapolation.h).
#pragma once

#include "modules/run_result.h"

namespace acceltran {

template <typename F>
void for_each_additive_figure(RunResult& r, F&& f) {
    f(r.cycles);
    for (auto& u : r.units) {
        f(u.busy_unit_cycles);
        f(u.memory_wait_unit_cycles);
        f(u.dependency_wait_unit_cycles);
        f(u.tiles);
    }
    f(r.dma_busy_channel_cycles);
    f(r.dma_transfers);
    f(r.memory_read_bytes);
    f(r.memory_write_bytes);
    f(r.memory_busy_cycles);
    f(r.memory_model_energy_j);
    f(r.memory_device_bytes);
    for (auto& b : r.buffers) {
        f(b.read_bytes);
        f(b.write_bytes);
        f(b.busy_cycles);
        f(b.queued_cycles);
        f(b.model_energy_j);
    }
    f(r.memory_bound_cycles);
    f(r.jobs);
    f(r.tiles_executed);
    f(r.effectual_macs);
    f(r.pre_sparsity_tiles);
    f(r.post_sparsity_tiles);
}

// Seconds, throughput and utilizations from the run's (extrapolated) sums.
void recompute_ratios(RunResult& r);

}  // namespace acceltran
