// Layer sampling (docs/model-reference.md §6b): a model's layers run the same ops on weights of
// the same shapes, so a run may simulate the first N layers of each phase (the encoder pass,
// the prefill, each simulated decode step) and count the other L - N as repeats of layer N. The
// program marks the others' entries `repeated` (they retire at no cost, so buffer occupancy and
// every dependency stay those of the whole program). Per phase this observer measures layer N
// (0-based N - 1) and, once the run is over, adds L - N copies of it to the run:
//
// - time and compute (cycles, units' busy, wait and tile counts, memory-bound cycles, jobs,
//   tiles, MACs, sparsity counts, busy time per op kind): the difference between the run's
//   figures when the last compute entry of layer N - 1 and of layer N retired;
// - traffic (main-memory, DMA and buffer bytes, DMA busy time and transfers): what layer N's
//   own entries moved (entry_owner_ops), whenever they moved it: a load runs ahead of its layer
//   as far as the buffers allow, so a window of time holds a later layer's prefetch, which the
//   repeated layers no longer issue;
// - the main memory's and each buffer's busy and queued cycles and model energy: the simulated
//   run's figure per byte moved at that level, times layer N's bytes there.
//
// What the program itself tallies (entries, tile ops, MACs, loads, spills, stores, KV-cache
// bytes) needs none of this: repeated entries retire and are counted (decode_extrapolation.h).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "modules/activity/activity_observer.h"
#include "modules/run_result.h"
#include "workloads/tiled_program.h"

namespace acceltran {

class LayerExtrapolation : public activity::ActivityObserver {
public:
    // `layers`: the model's layer count L; `simulated`: N, 2 <= N < L, the layers 0 .. N - 1 of
    // each phase that the program does not mark repeated. `counters(at)`: what the modules have
    // counted up to cycle `at` (Accelerator::counters).
    LayerExtrapolation(const workloads::TiledProgram& program, int layers, int simulated,
                       std::function<RunResult(double)> counters);

    void on_tile(const activity::TileEvent& t) override;
    void on_buffer_bytes(std::uint32_t entry, workloads::BufferKind buffer, bool write, std::uint64_t bytes) override;
    void on_dma_transfer(int channel, std::uint32_t entry, double start, double end) override;
    void on_retire(std::uint32_t entry, double at, std::uint64_t retired, std::uint64_t total) override;

    // Forms every phase's repeated layers from the measurements and `simulated`, the run's own
    // final figures (for the per-byte rates). Call once, after the run.
    void finish(const RunResult& simulated);
    // Adds the repeated layers of phases 0 .. `step` (Op::step) to `r`'s additive figures and
    // to `kind_busy` (busy unit-cycles per op kind, OpKind order). Needs finish().
    void add_through(int step, RunResult& r, std::vector<double>& kind_busy) const;
    // Phases whose layer N was measured (one per phase of the program once the run is over).
    int phases_measured() const;

private:
    // What one phase's layer N moved, by its own entries.
    struct Traffic {
        double memory_read = 0, memory_write = 0, dma_busy = 0, transfers = 0;
        std::array<double, workloads::kBufferKinds> buffer_read{}, buffer_write{};
    };
    std::vector<double> snapshot(double at) const;

    const workloads::TiledProgram& program_;
    double repeats_;  // L - N
    int simulated_;
    std::function<RunResult(double)> counters_;
    std::vector<double> kind_busy_;
    std::vector<int> measured_phase_;  // per entry: the phase whose layer N owns it, or -1
    // Per entry, its op's kind (compute entries), read by on_tile for every tile instead of the
    // entry and the op, two large records apart in memory.
    std::vector<workloads::OpKind> kind_of_entry_;
    // Per phase (Op::step), for layers N - 1 and N: compute entries not yet retired.
    std::vector<std::uint32_t> left_[2];
    std::vector<std::vector<double>> before_, after_;  // per phase: snapshots at those layers' ends
    std::vector<Traffic> traffic_;                     // per phase
    // The simulated run's bytes of its memory entries: loads (read from main memory) and spills
    // and stores (written to it).
    double loaded_ = 0, stored_ = 0;
    std::vector<std::vector<double>> added_;  // per phase, once finished: its repeated layers' figures
};

}  // namespace acceltran
