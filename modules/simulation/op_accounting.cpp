#include "modules/simulation/op_accounting.h"

#include "modules/simulation/compat_energy_counters.h"

#include <algorithm>
#include <cmath>

#include "modules/power/energy_model.h"

namespace acceltran {

using workloads::BufferKind;
using workloads::EntryKind;

namespace {

constexpr std::uint32_t kNoRow = ~std::uint32_t(0);

// a's share of b, 0 when b is.
double share(double a, double b) { return b > 0 ? a / b : 0.0; }

std::string shape_of(const workloads::Op& op) {
    std::string s = std::to_string(op.batch) + "x" + std::to_string(op.m) + "x" + std::to_string(op.n);
    if (op.kind == workloads::OpKind::MatMul) s += "x" + std::to_string(op.k);
    return s;
}

}  // namespace

OpAccounting::OpAccounting(const workloads::TiledProgram& program)
    : program_(program), row_of_entry_(program.entries.size(), kNoRow), retired_(program.entries.size(), 0) {
    const auto& entries = program.entries;
    const auto& g = *program.graph;
    const std::vector<int> owner = workloads::entry_owner_ops(program);
    // A repeated layer's ops are not simulated (layer sampling): only an op that owns a
    // simulated entry gets a row (one of a repeated layer only for its output's write-back).
    std::vector<char> simulated(g.ops.size(), 0);
    for (std::uint32_t e = 0; e < entries.size(); ++e)
        if (!entries[e].repeated && owner[e] >= 0) simulated[std::size_t(owner[e])] = 1;
    std::vector<std::uint32_t> row_of_op(g.ops.size(), kNoRow);
    for (std::uint32_t e = 0; e < entries.size(); ++e) {
        if (entries[e].kind != EntryKind::Compute || !simulated[std::size_t(entries[e].op)]) continue;
        const auto op = std::size_t(entries[e].op);
        if (row_of_op[op] == kNoRow) {
            row_of_op[op] = std::uint32_t(rows_.size());
            rows_.emplace_back();
            rows_.back().op = int(op);
            rows_.back().unit = entries[e].unit;
        }
    }
    if (rows_.empty()) return;
    for (std::uint32_t e = 0; e < entries.size(); ++e) row_of_entry_[e] = row_of_op[std::size_t(owner[e])];
}

void OpAccounting::on_tile(const activity::TileEvent& t) {
    Tally& r = rows_[row_of_entry_[t.entry]];
    // Tile busy times are whole cycles (tile_timing.h) and the event's end is its start plus
    // them; rounding the difference undoes the rounding of that sum, so the rows add up to the
    // units' busy time exactly.
    r.busy[int(t.unit_class)] += std::round(t.busy_unit_cycles());
    r.pre_sparsity += t.pre_sparsity_tiles;
    r.post_sparsity += t.post_sparsity_tiles;
    r.tile_busy += t.busy_unit_cycles();
    r.conversion += t.conversion_cycles;
    r.computing.add(t.start, t.end);
    started(r, t.start);
}

void OpAccounting::on_buffer_bytes(std::uint32_t entry, BufferKind buffer, bool write, std::uint64_t bytes) {
    Tally& r = rows_[row_of_entry_[entry]];
    (write ? r.compute_write : r.compute_read) += bytes;
    (write ? r.buffer_write : r.buffer_read)[int(buffer)] += bytes;
}

void OpAccounting::on_dma_transfer(int, std::uint32_t entry, double start, double end) {
    if (rows_.empty()) return;  // a program without compute entries has no op to charge
    const auto& e = program_.entries[entry];
    Tally& r = rows_[row_of_entry_[entry]];
    const BufferKind data_buffer = program_.layouts[std::size_t(e.tensor)].buffer;
    // What Dma::channel moves: the entry's data and mask bytes, read from one side and written
    // to the other.
    const bool load = e.kind == EntryKind::Load;
    (load ? r.memory_read : r.memory_write) += e.data_bytes + e.mask_bytes;
    auto& buffer_side = load ? r.buffer_write : r.buffer_read;
    buffer_side[int(data_buffer)] += e.data_bytes;
    buffer_side[int(BufferKind::Mask)] += e.mask_bytes;
    r.dma_busy += end - start;
    started(r, start);
}

void OpAccounting::on_retire(std::uint32_t entry, double at, std::uint64_t, std::uint64_t) {
    if (rows_.empty()) return;
    retired_[entry] = 1;
    // A repeated layer's entry has no row (but for an output's producer) and retires the moment
    // it is ready: when it is the oldest, no time has passed since the entry before it retired.
    if (row_of_entry_[entry] != kNoRow) {
        Tally& r = rows_[row_of_entry_[entry]];
        r.end = std::max(r.end, at);
    }
    if (entry != oldest_) return;
    if (row_of_entry_[oldest_] != kNoRow) {
        Tally& charged = rows_[row_of_entry_[oldest_]];
        charged.critical += at - since_;
        if (at > since_) charged.critical_spans.emplace_back(since_, at);
    }
    since_ = at;
    while (oldest_ < retired_.size() && retired_[oldest_]) ++oldest_;
}

std::vector<OpCriticalSplit> OpAccounting::critical_split() const {
    std::vector<OpCriticalSplit> split;
    split.reserve(rows_.size());
    for (const Tally& t : rows_) {
        OpCriticalSplit s;
        s.op = t.op;
        s.critical = t.critical;
        // The spans add up to `critical`, in another order: at most a rounding above it.
        s.computing = std::min(t.computing.covered(t.critical_spans), t.critical);
        s.conversion_share = std::min(1.0, share(t.conversion, t.tile_busy));
        split.push_back(s);
    }
    return split;
}

OpTable OpAccounting::table(const RunResult& simulated, const AcceleratorConfig& config,
                            const power::Technology& tech, const CompatEnergyCounters* compat) const {
    const auto& g = *program_.graph;
    auto density = [&](int tensor) { return tensor >= 0 ? program_.layouts[std::size_t(tensor)].density : 1.0; };
    OpTable table;
    table.rows.reserve(rows_.size());
    for (const Tally& t : rows_) {
        const workloads::Op& op = g.ops[std::size_t(t.op)];
        OpRow row;
        row.op = op.name;
        row.layer = op.layer;
        row.phase = workloads::to_string(op.phase);
        row.step = op.step;
        row.kind = workloads::to_string(op.kind);
        row.category = workloads::to_string(op.category);
        row.shape = shape_of(op);
        row.start_cycle = std::max(0.0, t.start);
        row.end_cycle = t.end;
        row.critical_cycles = t.critical;
        std::copy(std::begin(t.busy), std::end(t.busy), row.busy_unit_cycles);
        row.dma_busy_channel_cycles = t.dma_busy;
        row.memory_read_bytes = t.memory_read;
        row.memory_write_bytes = t.memory_write;
        row.compute_read_bytes = t.compute_read;
        row.compute_write_bytes = t.compute_write;
        std::copy(std::begin(t.buffer_read), std::end(t.buffer_read), row.buffer_read_bytes);
        std::copy(std::begin(t.buffer_write), std::end(t.buffer_write), row.buffer_write_bytes);
        row.pre_sparsity_tiles = t.pre_sparsity;
        row.post_sparsity_tiles = t.post_sparsity;
        row.macs = std::uint64_t(op.macs());
        row.a_density = density(op.a_inputs.empty() ? -1 : op.a_inputs.front());
        row.b_density = density(op.b_input);
        row.out_density = density(op.output);

        // The op's activity through the run's energy model, which is linear in every figure
        // (docs/model-reference.md §9b): leakage and always-on parts over its critical cycles,
        // so the rows' energies add up to the run's.
        power::RunActivity a;
        a.cycles = t.critical;
        a.lane_busy_unit_cycles = t.busy[int(workloads::UnitClass::MacLane)];
        a.softmax_busy_unit_cycles = t.busy[int(workloads::UnitClass::Softmax)];
        a.layernorm_busy_unit_cycles = t.busy[int(workloads::UnitClass::LayerNorm)];
        a.pre_sparsity_tiles = t.pre_sparsity;
        a.post_sparsity_tiles = t.post_sparsity;
        for (int b = 0; b < workloads::kBufferKinds; ++b) {
            const BufferResult& run = simulated.buffers[b];
            a.buffer_bytes[b] = double(t.buffer_read[b] + t.buffer_write[b]);
            const double part = share(a.buffer_bytes[b], double(run.read_bytes + run.write_bytes));
            a.buffer_busy_cycles[b] = run.busy_cycles * part;
            a.buffer_model_energy_j[b] = run.model_energy_j * part;
        }
        a.memory_bytes = double(t.memory_read + t.memory_write);
        // An op's share of the off-chip bytes is the run's (a cache's hits are not traced per op).
        const double run_bytes = double(simulated.memory_read_bytes + simulated.memory_write_bytes);
        a.memory_device_share = run_bytes > 0 ? simulated.memory_device_bytes / run_bytes : 1;
        a.memory_model_energy_j =
            simulated.memory_model_energy_j *
            share(a.memory_bytes, double(simulated.memory_read_bytes + simulated.memory_write_bytes));
        if (compat) {
            double buffer_share[workloads::kBufferKinds];
            for (int b = 0; b < workloads::kBufferKinds; ++b)
                buffer_share[b] =
                    share(a.buffer_bytes[b], double(simulated.buffers[b].read_bytes + simulated.buffers[b].write_bytes));
            compat->add_share_to(
                a, share(a.memory_bytes, double(simulated.memory_read_bytes + simulated.memory_write_bytes)), buffer_share);
        }
        row.energy_j = power::energy(config, tech, a).total();

        const workloads::UnitClass unit = t.unit;
        row.unit = workloads::to_string(unit);
        const double units = double(simulated.units[int(unit)].units);
        row.utilization = share(t.busy[int(unit)], units * (row.end_cycle - row.start_cycle));
        table.rows.push_back(std::move(row));
    }
    return table;
}

}  // namespace acceltran
