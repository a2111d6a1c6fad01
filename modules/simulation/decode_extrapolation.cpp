#include "modules/simulation/decode_extrapolation.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

namespace acceltran {

namespace {

// Every figure of a run that adds up over its steps, in a fixed order, so that snapshots can be
// flattened to vectors and the interpolated sums written back. Capacities, peaks, unit counts
// and ratios are not among them, nor the models' own counters, whose keys a model may add as
// it runs (the snapshots' vectors must line up).
template <typename Tally, typename F>
void each_figure(RunResult& r, Tally& t, F&& f) {
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
    f(t.entries);
    f(t.tile_ops);
    f(t.macs);
    f(t.loads);
    f(t.spills);
    f(t.stores);
    f(t.kv_bytes);
    for (auto& k : t.kind_busy) f(k);
    for (auto& k : t.kind_ops) f(k);
}

std::vector<double> minus(const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<double> d(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
    return d;
}

}  // namespace

DecodeExtrapolation::DecodeExtrapolation(const workloads::TiledProgram& program, std::vector<int> steps,
                                         std::function<RunResult(double)> counters)
    : program_(program), steps_(std::move(steps)), counters_(std::move(counters)) {
    const auto& g = *program.graph;
    compute_left_.assign(std::size_t(g.gen_len) + 1, 0);
    op_blocks_left_.assign(g.ops.size(), 0);
    for (const auto& e : program.entries)
        if (e.kind == workloads::EntryKind::Compute) {
            ++compute_left_[std::size_t(g.ops[std::size_t(e.op)].step)];
            ++op_blocks_left_[std::size_t(e.op)];
        }
    tally_.kind_busy.assign(workloads::kOpKindCount, 0.0);
    tally_.kind_ops.assign(workloads::kOpKindCount, 0.0);
    snapshots_.resize(steps_.size());
}

void DecodeExtrapolation::on_tile(const activity::TileEvent& t) {
    const auto& op = program_.graph->ops[std::size_t(program_.entries[t.entry].op)];
    tally_.kind_busy[std::size_t(op.kind)] += t.busy_unit_cycles();
}

void DecodeExtrapolation::on_retire(std::uint32_t entry, double at, std::uint64_t, std::uint64_t) {
    const auto& e = program_.entries[entry];
    const auto& g = *program_.graph;
    tally_.entries += 1;
    switch (e.kind) {
        case workloads::EntryKind::Compute: {
            const auto& op = g.ops[std::size_t(e.op)];
            tally_.tile_ops += double(e.grid.tiles());
            if (--op_blocks_left_[std::size_t(e.op)] == 0) {
                tally_.macs += double(op.macs());
                tally_.kind_ops[std::size_t(op.kind)] += 1;
            }
            if (--compute_left_[std::size_t(op.step)] > 0) return;
            // The step's last compute entry: snapshot, as PhaseTracker times the step.
            if (op.step == 0) {
                prefill_ = flatten(counters_(at), tally_);
            } else {
                const auto it = std::lower_bound(steps_.begin(), steps_.end(), op.step);
                if (it != steps_.end() && *it == op.step)
                    snapshots_[std::size_t(it - steps_.begin())] = flatten(counters_(at), tally_);
            }
            return;
        }
        case workloads::EntryKind::Load: tally_.loads += 1; break;
        case workloads::EntryKind::Spill: tally_.spills += 1; break;
        case workloads::EntryKind::Store: tally_.stores += 1; break;
    }
    if (e.tensor >= 0 && g.tensors[std::size_t(e.tensor)].cache != workloads::CacheRole::None)
        tally_.kv_bytes += double(e.data_bytes + e.mask_bytes);
}

std::vector<double> DecodeExtrapolation::flatten(RunResult r, const Tally& t) const {
    Tally copy = t;
    std::vector<double> v;
    each_figure(r, copy, [&](auto& x) { v.push_back(double(x)); });
    return v;
}

std::vector<double> DecodeExtrapolation::total(const RunResult& simulated) const {
    std::vector<double> sum = flatten(simulated, tally_);
    const std::vector<double> zeros(sum.size(), 0.0);
    const auto before = [&](std::size_t i) -> const std::vector<double>& {
        return i > 0 ? snapshots_[i - 1] : prefill_.empty() ? zeros : prefill_;
    };
    for (std::size_t i = 1; i < steps_.size(); ++i) {
        const double n = double(steps_[i] - steps_[i - 1] - 1);
        if (n <= 0) continue;
        const std::vector<double> d0 = minus(snapshots_[i - 1], before(i - 1)), d1 = minus(snapshots_[i], before(i));
        for (std::size_t k = 0; k < sum.size(); ++k) sum[k] += n * (d0[k] + d1[k]) / 2;
    }
    return sum;
}

RunResult DecodeExtrapolation::extrapolate(const RunResult& simulated) {
    const std::vector<double> sum = total(simulated);
    RunResult r = simulated;
    Tally& t = whole_;
    t = tally_;
    std::size_t i = 0;
    each_figure(r, t, [&](auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_integral_v<T>)
            x = T(std::llround(sum[i++]));
        else
            x = sum[i++];
    });
    r.entries = std::uint64_t(std::llround(t.entries));
    r.entries_retired = r.entries;
    r.tile_ops = std::uint64_t(std::llround(t.tile_ops));
    r.macs = std::uint64_t(std::llround(t.macs));
    r.load_entries = std::uint64_t(std::llround(t.loads));
    r.spill_entries = std::uint64_t(std::llround(t.spills));
    r.store_entries = std::uint64_t(std::llround(t.stores));
    r.seconds = r.cycles / (r.clock_mhz * 1e6);
    r.throughput_seq_per_s = r.seconds > 0 ? r.batch / r.seconds : 0;
    for (auto& u : r.units) u.utilization = r.cycles > 0 && u.units > 0 ? u.busy_unit_cycles / (double(u.units) * r.cycles) : 0;
    r.dma_utilization = r.cycles > 0 && r.dma_channels > 0 ? r.dma_busy_channel_cycles / (r.dma_channels * r.cycles) : 0;
    r.memory_utilization = r.cycles > 0 ? r.memory_busy_cycles / r.cycles : 0;
    return r;
}

nlohmann::json DecodeExtrapolation::op_kinds() const {
    nlohmann::json j = nlohmann::json::object();
    for (int k = 0; k < workloads::kOpKindCount; ++k)
        if (whole_.kind_ops[std::size_t(k)] > 0)
            j[workloads::to_string(workloads::OpKind(k))] = {
                {"ops", std::uint64_t(std::llround(whole_.kind_ops[std::size_t(k)]))},
                {"busy_unit_cycles", whole_.kind_busy[std::size_t(k)]}};
    return j;
}

std::uint64_t DecodeExtrapolation::kv_cache_bytes() const { return std::uint64_t(std::llround(whole_.kv_bytes)); }

std::vector<double> DecodeExtrapolation::step_cycles() const {
    std::vector<double> cycles;
    const auto ends = [&](std::size_t i) { return snapshots_[i].empty() ? 0.0 : snapshots_[i][0]; };
    const double start = prefill_.empty() ? 0.0 : prefill_[0];
    for (std::size_t i = 0; i < steps_.size(); ++i) {
        const double d1 = ends(i) - (i > 0 ? ends(i - 1) : start);
        const int n = steps_[i] - (i > 0 ? steps_[i - 1] : 0) - 1;
        if (n > 0 && i > 0) {
            // Steps between two simulated ones lie on the straight line through their times.
            const double d0 = ends(i - 1) - (i > 1 ? ends(i - 2) : start);
            for (int s = 1; s <= n; ++s) cycles.push_back(d0 + (d1 - d0) * double(s) / double(n + 1));
        }
        cycles.push_back(d1);
    }
    return cycles;
}

}  // namespace acceltran
