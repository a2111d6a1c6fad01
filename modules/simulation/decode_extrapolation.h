// A sampled generation (docs/decoders.md §9): the run simulates the prefill and some decode
// steps, and the steps left out between two simulated ones are interpolated. This observer
// records every additive figure of the run (unit busy time, bytes, transfers, entries, energy
// the buffer and memory models account, busy time per op kind, KV-cache bytes; not the models'
// own counters) when each
// simulated step finishes, and from those snapshots gives the figures of the whole generation:
//
//   step i's figures     D_i = S(t_i) - S(t_(i-1))         (S: snapshot at a step's last retirement)
//   the n steps between  t_(i-1) and t_i: n (D_(i-1) + D_i) / 2  (linear in the step number)
//   whole run            S(end) + the sum of those over every gap
//
// so a figure that grows linearly with the KV length (attention work, KV traffic) is exact up to
// the simulated steps' own error, and the step times in between lie on straight lines.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "modules/activity/activity_observer.h"
#include "modules/run_result.h"
#include "workloads/tiled_program.h"

namespace acceltran {

class LayerExtrapolation;

class DecodeExtrapolation : public activity::ActivityObserver {
public:
    // `steps`: the decode steps the program holds, ascending, the last being gen_len (empty for
    // an encoder). `counters(at)`: what the modules have counted up to cycle `at`
    // (Accelerator::counters). `layers`: a run whose repeated layers are not simulated (layer
    // sampling) adds what they contribute to every snapshot, once finished (extrapolate()).
    DecodeExtrapolation(const workloads::TiledProgram& program, std::vector<int> steps,
                        std::function<RunResult(double)> counters, const LayerExtrapolation* layers = nullptr);

    void on_tile(const activity::TileEvent& t) override;
    void on_retire(std::uint32_t entry, double at, std::uint64_t retired, std::uint64_t total) override;

    // The figures of the whole generation from the simulated run's final result; derived ratios
    // (seconds, utilizations, throughput) are recomputed. Call once, after the run; op_kinds()
    // and kv_cache_bytes() then describe the whole generation too.
    RunResult extrapolate(const RunResult& simulated);
    // summary.json's op_kinds of the whole generation (OpKindBreakdown's layout).
    nlohmann::json op_kinds() const;
    // Data and mask bytes of KV-cache loads and spills over the whole generation.
    std::uint64_t kv_cache_bytes() const;
    // Cycles of every decode step 1..G (index t - 1): simulated ones as measured (from the end of
    // the step before them in the run), the others interpolated.
    std::vector<double> step_cycles() const;
    // When the prefill (step 0) or a simulated decode step finished, in the run's cycles with
    // its repeated layers counted in.
    double phase_end_cycles(int step) const;
    // The run's figures up to the end of the prefill (step 0) or of a simulated decode step,
    // with or without the repeated layers of the phases up to it, laid over `simulated`'s other
    // fields: for pricing the repeated layers' energy up to the first token.
    RunResult through(int step, const RunResult& simulated, bool repeats) const;

private:
    // Running totals of what RunResult takes from the program rather than from the modules, per
    // op kind, and of KV-cache bytes: counted as entries retire so that snapshots see them grow.
    struct Tally {
        double entries = 0, tile_ops = 0, macs = 0, loads = 0, spills = 0, stores = 0, kv_bytes = 0;
        std::vector<double> kind_busy, kind_ops;
    };
    // The figures in each_figure's order, with the repeated layers of phases 0..through added.
    std::vector<double> flatten(RunResult r, const Tally& t, int through) const;
    std::vector<double> total(const RunResult& simulated) const;
    // Flattens the snapshots taken during the run into prefill_ and snapshots_ (the repeated
    // layers' figures are known only once the run has finished).
    void settle();
    // The snapshot at the end of the prefill (0) or of a simulated step; empty if none was taken.
    const std::vector<double>& snapshot_at(int step) const;

    const workloads::TiledProgram& program_;
    std::vector<int> steps_;
    std::function<RunResult(double)> counters_;
    const LayerExtrapolation* layers_;
    std::vector<std::uint32_t> compute_left_;  // per step 0..G: compute entries not yet retired
    // Per op: compute entries not yet retired (an op blocked inside has one per block), so that
    // its MACs and its count are tallied once, when its last block retires.
    std::vector<std::uint32_t> op_blocks_left_;
    Tally tally_;
    struct RawSnapshot {
        int step;
        RunResult counted;
        Tally tally;
    };
    std::vector<RawSnapshot> raw_;                // taken as phases finish (settle() flattens them)
    std::vector<double> prefill_;                 // snapshot when the prefill finished (or zeros)
    std::vector<std::vector<double>> snapshots_;  // per simulated decode step
    Tally whole_;  // the tallies of the whole generation, once extrapolated
};

}  // namespace acceltran
