#include "modules/simulation/layer_extrapolation.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

#include "modules/simulation/additive_figures.h"

namespace acceltran {

using workloads::BufferKind;
using workloads::EntryKind;

namespace {

// `a` per unit of `b`, 0 when b is.
double per(double a, double b) { return b > 0 ? a / b : 0.0; }

}  // namespace

LayerExtrapolation::LayerExtrapolation(const workloads::TiledProgram& program, int layers, int simulated,
                                       std::function<RunResult(double)> counters)
    : program_(program),
      repeats_(double(layers - simulated)),
      simulated_(simulated),
      counters_(std::move(counters)),
      kind_busy_(workloads::kOpKindCount, 0.0) {
    const auto& g = *program.graph;
    const std::size_t phases = std::size_t(g.gen_len) + 1;
    for (auto& l : left_) l.assign(phases, 0);
    before_.resize(phases);
    after_.resize(phases);
    traffic_.resize(phases);
    const std::vector<int> owner = workloads::entry_owner_ops(program);
    measured_phase_.assign(program.entries.size(), -1);
    kind_of_entry_.assign(program.entries.size(), workloads::OpKind{});
    for (std::size_t i = 0; i < program.entries.size(); ++i) {
        const auto& e = program.entries[i];
        if (e.kind == EntryKind::Compute) kind_of_entry_[i] = g.ops[std::size_t(e.op)].kind;
        if (owner[i] < 0) continue;
        const auto& op = g.ops[std::size_t(owner[i])];
        if (op.layer == simulated - 1) measured_phase_[i] = op.step;
        if (e.kind == EntryKind::Compute) {
            const int l = op.layer - (simulated - 2);
            if (l == 0 || l == 1) ++left_[l][std::size_t(op.step)];
        } else if (!e.repeated) {
            (e.kind == EntryKind::Load ? loaded_ : stored_) += double(e.data_bytes + e.mask_bytes);
        }
    }
}

void LayerExtrapolation::on_tile(const activity::TileEvent& t) {
    kind_busy_[std::size_t(kind_of_entry_[t.entry])] += t.busy_unit_cycles();
}

void LayerExtrapolation::on_buffer_bytes(std::uint32_t entry, BufferKind buffer, bool write, std::uint64_t bytes) {
    const int phase = measured_phase_[entry];
    if (phase < 0) return;
    Traffic& t = traffic_[std::size_t(phase)];
    (write ? t.buffer_write : t.buffer_read)[std::size_t(buffer)] += double(bytes);
}

void LayerExtrapolation::on_dma_transfer(int, std::uint32_t entry, double start, double end) {
    const int phase = measured_phase_[entry];
    if (phase < 0) return;
    const auto& e = program_.entries[entry];
    Traffic& t = traffic_[std::size_t(phase)];
    // What Dma::channel moves: the entry's data and mask bytes, from one side to the other.
    const bool load = e.kind == EntryKind::Load;
    const double bytes = double(e.data_bytes + e.mask_bytes);
    (load ? t.memory_read : t.memory_write) += bytes;
    auto& buffer_side = load ? t.buffer_write : t.buffer_read;
    buffer_side[std::size_t(program_.layouts[std::size_t(e.tensor)].buffer)] += double(e.data_bytes);
    buffer_side[std::size_t(BufferKind::Mask)] += double(e.mask_bytes);
    t.dma_busy += end - start;
    t.transfers += 1;
}

std::vector<double> LayerExtrapolation::snapshot(double at) const {
    RunResult r = counters_(at);
    std::vector<double> v;
    for_each_additive_figure(r, [&](auto& x) { v.push_back(double(x)); });
    v.insert(v.end(), kind_busy_.begin(), kind_busy_.end());
    return v;
}

void LayerExtrapolation::on_retire(std::uint32_t entry, double at, std::uint64_t, std::uint64_t) {
    const auto& e = program_.entries[entry];
    if (e.kind != EntryKind::Compute) return;
    const auto& op = program_.graph->ops[std::size_t(e.op)];
    const int l = op.layer - (simulated_ - 2);
    if (l != 0 && l != 1) return;
    const auto phase = std::size_t(op.step);
    if (--left_[l][phase] > 0) return;
    (l == 0 ? before_ : after_)[phase] = snapshot(at);
}

int LayerExtrapolation::phases_measured() const {
    return int(std::count_if(after_.begin(), after_.end(), [](const auto& v) { return !v.empty(); }));
}

void LayerExtrapolation::finish(const RunResult& simulated) {
    added_.assign(after_.size(), {});
    for (std::size_t p = 0; p < after_.size(); ++p) {
        if (after_[p].empty() || before_[p].empty()) continue;
        // Layer N's window, laid out as a RunResult (then busy time per op kind).
        RunResult d;
        std::size_t i = 0;
        for_each_additive_figure(d, [&](auto& x) {
            using T = std::decay_t<decltype(x)>;
            const double difference = after_[p][i] - before_[p][i];
            ++i;
            if constexpr (std::is_integral_v<T>)
                x = T(std::llround(difference));
            else
                x = difference;
        });
        // Its traffic by its own entries, and the levels' time and energy per byte.
        const Traffic& t = traffic_[p];
        d.memory_read_bytes = std::uint64_t(std::llround(t.memory_read * per(double(simulated.memory_read_bytes), loaded_)));
        d.memory_write_bytes =
            std::uint64_t(std::llround(t.memory_write * per(double(simulated.memory_write_bytes), stored_)));
        const double memory_bytes = double(simulated.memory_read_bytes + simulated.memory_write_bytes);
        const double layer_memory = double(d.memory_read_bytes + d.memory_write_bytes);
        d.memory_busy_cycles = layer_memory * per(simulated.memory_busy_cycles, memory_bytes);
        d.memory_model_energy_j = layer_memory * per(simulated.memory_model_energy_j, memory_bytes);
        d.memory_device_bytes = layer_memory * per(simulated.memory_device_bytes, memory_bytes);
        d.dma_busy_channel_cycles = t.dma_busy;
        d.dma_transfers = std::uint64_t(t.transfers);
        for (int b = 0; b < workloads::kBufferKinds; ++b) {
            const BufferResult& run = simulated.buffers[b];
            BufferResult& layer = d.buffers[b];
            layer.read_bytes = std::uint64_t(std::llround(t.buffer_read[std::size_t(b)]));
            layer.write_bytes = std::uint64_t(std::llround(t.buffer_write[std::size_t(b)]));
            const double run_bytes = double(run.read_bytes + run.write_bytes);
            const double bytes = double(layer.read_bytes + layer.write_bytes);
            layer.busy_cycles = bytes * per(run.busy_cycles, run_bytes);
            layer.queued_cycles = bytes * per(run.queued_cycles, run_bytes);
            layer.model_energy_j = bytes * per(run.model_energy_j, run_bytes);
        }
        std::vector<double>& a = added_[p];
        for_each_additive_figure(d, [&](auto& x) { a.push_back(repeats_ * double(x)); });
        for (std::size_t k = i; k < after_[p].size(); ++k) a.push_back(repeats_ * (after_[p][k] - before_[p][k]));
    }
}

void LayerExtrapolation::add_through(int step, RunResult& r, std::vector<double>& kind_busy) const {
    std::vector<double> sum;
    for (std::size_t p = 0; p < added_.size() && int(p) <= step; ++p) {
        if (added_[p].empty()) continue;
        if (sum.empty()) sum.assign(added_[p].size(), 0.0);
        for (std::size_t k = 0; k < sum.size(); ++k) sum[k] += added_[p][k];
    }
    if (sum.empty()) return;
    std::size_t i = 0;
    for_each_additive_figure(r, [&](auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_integral_v<T>)
            x = T(std::llround(double(x) + sum[i++]));
        else
            x += sum[i++];
    });
    for (auto& k : kind_busy) k += sum[i++];
}

}  // namespace acceltran
