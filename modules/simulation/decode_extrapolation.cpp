#include "modules/simulation/decode_extrapolation.h"

#include "modules/simulation/additive_figures.h"
#include "modules/simulation/layer_extrapolation.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

namespace acceltran {

namespace {

// The run's additive figures (additive_figures.h), then what the program's tallies count.
template <typename Tally, typename F>
void each_figure(RunResult& r, Tally& t, F&& f) {
    for_each_additive_figure(r, f);
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

// Sets every figure of `r` and `t` from `v` (each_figure's order), then what follows from them.
template <typename Tally>
void write_back(RunResult& r, Tally& t, const std::vector<double>& v) {
    std::size_t i = 0;
    each_figure(r, t, [&](auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_integral_v<T>)
            x = T(std::llround(v[i++]));
        else
            x = v[i++];
    });
    r.entries = std::uint64_t(std::llround(t.entries));
    r.entries_retired = r.entries;
    r.tile_ops = std::uint64_t(std::llround(t.tile_ops));
    r.macs = std::uint64_t(std::llround(t.macs));
    r.load_entries = std::uint64_t(std::llround(t.loads));
    r.spill_entries = std::uint64_t(std::llround(t.spills));
    r.store_entries = std::uint64_t(std::llround(t.stores));
    recompute_ratios(r);
}

std::vector<double> minus(const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<double> d(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
    return d;
}

}  // namespace

DecodeExtrapolation::DecodeExtrapolation(const workloads::TiledProgram& program, std::vector<int> steps,
                                         std::function<RunResult(double)> counters, const LayerExtrapolation* layers)
    : program_(program), steps_(std::move(steps)), counters_(std::move(counters)), layers_(layers) {
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
                raw_.push_back({0, counters_(at), tally_});
            } else {
                const auto it = std::lower_bound(steps_.begin(), steps_.end(), op.step);
                if (it != steps_.end() && *it == op.step) raw_.push_back({op.step, counters_(at), tally_});
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

std::vector<double> DecodeExtrapolation::flatten(RunResult r, const Tally& t, int through) const {
    Tally copy = t;
    // The repeated layers of the phases up to this one (layer sampling) are part of the run.
    if (layers_) layers_->add_through(through, r, copy.kind_busy);
    std::vector<double> v;
    each_figure(r, copy, [&](auto& x) { v.push_back(double(x)); });
    return v;
}

void DecodeExtrapolation::settle() {
    for (const RawSnapshot& raw : raw_) {
        std::vector<double> v = flatten(raw.counted, raw.tally, raw.step);
        if (raw.step == 0)
            prefill_ = std::move(v);
        else
            snapshots_[std::size_t(std::lower_bound(steps_.begin(), steps_.end(), raw.step) - steps_.begin())] =
                std::move(v);
    }
}

std::vector<double> DecodeExtrapolation::total(const RunResult& simulated) const {
    std::vector<double> sum = flatten(simulated, tally_, program_.graph->gen_len);
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
    settle();
    RunResult r = simulated;
    whole_ = tally_;
    write_back(r, whole_, total(simulated));
    return r;
}

const std::vector<double>& DecodeExtrapolation::snapshot_at(int step) const {
    if (step == 0) return prefill_;
    const auto it = std::lower_bound(steps_.begin(), steps_.end(), step);
    return snapshots_[std::size_t(it - steps_.begin())];
}

double DecodeExtrapolation::phase_end_cycles(int step) const {
    const std::vector<double>& s = snapshot_at(step);
    return s.empty() ? 0.0 : s[0];
}

RunResult DecodeExtrapolation::through(int step, const RunResult& simulated, bool repeats) const {
    RunResult r = simulated;
    Tally t = tally_;
    std::vector<double> v(flatten(simulated, tally_, -1).size(), 0.0);
    for (const RawSnapshot& raw : raw_)
        if (raw.step == step) v = flatten(raw.counted, raw.tally, repeats ? step : -1);
    write_back(r, t, v);
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
