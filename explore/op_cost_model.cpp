#include "explore/op_cost_model.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/errors.h"
#include "modules/accelerator.h"
#include "modules/compute/tile_timing.h"
#include "modules/systolic/systolic_timing.h"
#include "modules/power/energy_model.h"

namespace acceltran::explore {

namespace {

using workloads::BufferKind;
using workloads::OpKind;
using workloads::UnitClass;

constexpr int kAct = int(BufferKind::Activation), kWgt = int(BufferKind::Weight), kMask = int(BufferKind::Mask);

std::int64_t cost_ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// One dimension cut into tiles of `size`: how many full tiles and the extent of the edge tile.
struct CostTileCut {
    std::int64_t full = 0, edge = 0;  // edge = 0: no edge tile
    CostTileCut(std::int64_t extent, std::int64_t size) : full(extent / size), edge(extent % size) {}
    std::int64_t count(int which) const { return which == 0 ? full : (edge > 0 ? 1 : 0); }
    std::int64_t extent(int which, std::int64_t size) const { return which == 0 ? size : edge; }
};

// Busy cycles of one tile of `op` (docs/model-reference.md §4, the rules of tile_timing.h).
double cost_tile_cycles(const OpShape& op, std::int64_t bb, std::int64_t ii, std::int64_t jj, std::int64_t kk,
                        int macs_per_lane) {
    const auto elements = std::uint64_t(bb * ii * jj);
    switch (op.kind) {
        case OpKind::MatMul:
            return double(compute::matmul_tile_cycles(double(elements) * double(kk) * op.density_a * op.density_b,
                                                      macs_per_lane));
        case OpKind::Add: return double(compute::add_tile_cycles(elements, op.density_a, macs_per_lane));
        case OpKind::SwiGlu:
            return double(compute::swiglu_tile_cycles(elements, op.density_a, op.density_b, macs_per_lane));
        case OpKind::Rotary: return double(compute::rotary_tile_cycles(elements, op.density_a, macs_per_lane));
        case OpKind::Softmax:
            return double(compute::softmax_tile_cycles(std::uint64_t(double(elements) * op.unmasked), op.density_a));
        case OpKind::LayerNorm:
        case OpKind::RmsNorm:
            return double(compute::layernorm_tile_cycles(std::uint64_t(bb), std::uint64_t(ii), std::uint64_t(jj),
                                                         op.density_a));
        case OpKind::Gelu: break;
    }
    return double(compute::nonlinearity_tile_cycles());
}

// Letter of the loop order -> index into counts {b, i, j, k}.
int cost_letter_index(char letter) {
    switch (letter) {
        case 'b': return 0;
        case 'i': return 1;
        case 'j': return 2;
        default: return 3;
    }
}

// Reads of an operand indexed by the letters in `uses` (bit per letter index) over a loop nest
// of `counts` in `order` (outermost first), when a tile re-reads the operand unless it is the
// one the previous tile read (docs/model-reference.md §5): the tiles, less the steps of the nest
// that change none of the operand's letters. Loop l steps P_{l-1}·(c_l − 1) times, each time
// changing its own letter and resetting every inner loop of more than one step.
double cost_nest_reads(const std::array<int, 4>& levels, const std::array<double, 4>& counts, unsigned uses) {
    double outer = 1, reused = 0;
    for (int l = 0; l < 4; ++l) {
        const double c = counts[levels[l]];
        if (c > 1) {
            unsigned changed = 1u << levels[l];
            for (int inner = l + 1; inner < 4; ++inner)
                if (counts[levels[inner]] > 1) changed |= 1u << levels[inner];
            if ((changed & uses) == 0) reused += outer * (c - 1);
        }
        outer *= c;
    }
    return outer - reused;
}

// Bytes of `elements` values stored compressed at `density` (model-reference.md §2) and of
// their mask, as averages (the byte rules' ceilings dropped: a tile's are under 1 byte each).
double cost_data_bytes(double elements, double density, int bits) { return elements * density * bits / 8.0; }
double cost_mask_bytes(double elements) { return elements / 8.0; }

}  // namespace

bool OpShape::operator==(const OpShape& o) const {
    return kind == o.kind && batch == o.batch && m == o.m && n == o.n && k == o.k && b_batched == o.b_batched &&
           b_weight == o.b_weight && a_in_memory == o.a_in_memory && a_weight == o.a_weight &&
           second_operand == o.second_operand && second_batch == o.second_batch &&
           second_in_memory == o.second_in_memory && density_a == o.density_a &&
           density_b == o.density_b && density_out == o.density_out && unmasked == o.unmasked;
}

OpShape OpShape::of(const workloads::OpGraph& graph, const workloads::Op& op,
                    const workloads::CompileOptions& options) {
    const auto density = [&](int tensor) {
        if (!options.tensor_density.empty()) return options.tensor_density[std::size_t(tensor)];
        const workloads::Tensor& t = graph.tensors[std::size_t(tensor)];
        const bool activation = t.kind == workloads::TensorKind::Activation || t.cache != workloads::CacheRole::None;
        return activation ? options.activation_density : options.weight_density;
    };
    OpShape s;
    s.kind = op.kind;
    s.batch = op.batch;
    s.m = op.m;
    s.n = op.n;
    s.k = op.kind == OpKind::MatMul ? op.k : 0;
    const workloads::Tensor& a = graph.tensors[std::size_t(op.a_inputs.front())];
    s.a_in_memory = a.kind != workloads::TensorKind::Activation;
    s.a_weight = a.kind == workloads::TensorKind::Weight;
    s.density_a = density(a.id);
    s.density_out = density(op.output);
    if (op.kind == OpKind::MatMul) {
        const workloads::Tensor& b = graph.tensors[std::size_t(op.b_input)];
        s.b_weight = b.kind == workloads::TensorKind::Weight;
        s.b_batched = op.b_batched;
        s.density_b = density(b.id);
        const double dense = double(op.batch) * double(op.m) * double(op.n) * double(op.k);
        s.unmasked = dense > 0 ? double(op.macs()) / dense : 1.0;
    } else {
        if (op.a_inputs.size() > 1) {
            const workloads::Tensor& second = graph.tensors[std::size_t(op.a_inputs[1])];
            s.second_operand = true;
            s.second_batch = second.batch;
            s.second_in_memory = second.kind != workloads::TensorKind::Activation;
            s.density_b = density(second.id);
        }
        const double dense = double(op.out_elements());
        s.unmasked = dense > 0 ? double(op.active_elements()) / dense : 1.0;
    }
    return s;
}

Objective parse_objective(const std::string& text) {
    if (text == "edp") return Objective::Edp;
    if (text == "latency") return Objective::Latency;
    if (text == "energy") return Objective::Energy;
    throw UsageError("--objective must be edp, latency or energy, got '" + text + "'");
}

const char* to_string(Objective objective) {
    switch (objective) {
        case Objective::Latency: return "latency";
        case Objective::Energy: return "energy";
        case Objective::Edp: break;
    }
    return "edp";
}

double objective_value(const OpCost& cost, Objective objective) {
    switch (objective) {
        case Objective::Latency: return cost.cycles;
        case Objective::Energy: return cost.energy_j;
        case Objective::Edp: break;
    }
    return cost.edp();
}

OpCostModel::OpCostModel(const AcceleratorConfig& config, const power::Technology& technology) : config_(config) {
    // The energy model is linear in every activity figure (model-reference.md §9b), so its rate
    // per unit of each is the energy of that unit alone.
    const double base = power::energy(config, technology, power::RunActivity{}).total();
    const auto rate = [&](auto set) {
        power::RunActivity a;
        set(a);
        return power::energy(config, technology, a).total() - base;
    };
    rates_.busy_cycle[int(UnitClass::MacLane)] = rate([](power::RunActivity& a) { a.lane_busy_unit_cycles = 1; });
    rates_.busy_cycle[int(UnitClass::Softmax)] = rate([](power::RunActivity& a) { a.softmax_busy_unit_cycles = 1; });
    rates_.busy_cycle[int(UnitClass::LayerNorm)] =
        rate([](power::RunActivity& a) { a.layernorm_busy_unit_cycles = 1; });
    rates_.pre_sparsity_tile = rate([](power::RunActivity& a) { a.pre_sparsity_tiles = 1; });
    rates_.post_sparsity_tile = rate([](power::RunActivity& a) { a.post_sparsity_tiles = 1; });
    for (int b = 0; b < workloads::kBufferKinds; ++b) {
        rates_.buffer_byte[b] = rate([b](power::RunActivity& a) { a.buffer_bytes[b] = 1; });
        rates_.buffer_busy_cycle[b] = rate([b](power::RunActivity& a) { a.buffer_busy_cycles[b] = 1; });
    }
    rates_.memory_byte = rate([](power::RunActivity& a) { a.memory_bytes = 1; });
    rates_.cycle = rate([](power::RunActivity& a) { a.cycles = 1; });

    units_[int(UnitClass::MacLane)] = double(config.mac_lanes());
    units_[int(UnitClass::Softmax)] = double(config.softmax_units());
    units_[int(UnitClass::LayerNorm)] = double(config.layernorm_units());
    const BufferConfig* buffers[workloads::kBufferKinds] = {&config.activation_buffer, &config.weight_buffer,
                                                            &config.mask_buffer};
    for (int b = 0; b < workloads::kBufferKinds; ++b) {
        buffer_bytes_per_cycle_[b] = buffers[b]->bytes_per_cycle();
        capacity_[b] = double(buffers[b]->capacity_bytes());
    }
    memory_bytes_per_cycle_ = config.memory_port_bytes_per_cycle();
    memory_latency_cycles_ = config.main_memory.latency_ns * 1e-3 * config.clock_mhz;
    // A block's transfer also waits for its buffer's access (the later of data and mask).
    transfer_latency_cycles_ = memory_latency_cycles_ + double(std::max({config.activation_buffer.latency_cycles,
                                                                         config.weight_buffer.latency_cycles,
                                                                         config.mask_buffer.latency_cycles}));
    dma_channels_ = double(std::max(1, config.dma.channels));
    bits_ = config.element_bits();
    macs_per_lane_ = config.macs_per_lane;
    const workloads::CompileOptions options = compile_options(config);
    unit_of_kind_ = options.units;
    masks_ = options.masks;
}

// The Gemmini template's tile rules (docs/gemmini.md §3, modules/systolic/systolic_timing.h):
// `new_weights` is the fraction of a weight-stationary array's tiles that load a new block,
// `drains` the fraction of an output-stationary array's tiles that shift their outputs out.
double OpCostModel::gemmini_tile_cycles(const OpShape& op, std::int64_t bb, std::int64_t ii, std::int64_t jj,
                                        std::int64_t kk, double new_weights, double drains) const {
    const auto elements = double(bb * ii * jj);
    const int dim = config_.systolic.dim;
    const UnitClass unit = unit_of_kind_[std::size_t(op.kind)];
    if (op.kind == OpKind::MatMul) {
        const auto rows = std::uint64_t(bb * ii);
        if (config_.systolic.weight_stationary)
            return double(systolic::weight_stationary_cycles(rows, dim, false, false)) +
                   new_weights * double(systolic::weight_stationary_cycles(rows, dim, true, false) - rows);
        return double(systolic::output_stationary_cycles(rows, std::uint64_t(kk), dim, false, false)) +
               double((rows + std::uint64_t(dim) - 1) / std::uint64_t(dim)) * dim * drains;
    }
    if (unit == UnitClass::MacLane) return 1;  // fused GELU on the array's output stage
    if (config_.integer_units.any()) {
        const int lanes = unit == UnitClass::LayerNorm ? config_.integer_units.normalization_lanes
                                                       : config_.integer_units.lanes;
        const double work = (op.kind == OpKind::Softmax ? elements * op.unmasked : elements) *
                            systolic::integer_passes(op.kind, config_.integer_units);
        return std::max(1.0, std::ceil(work / lanes));
    }
    const HostCpuConfig& cpu = config_.host_cpu;
    const double out = op.kind == OpKind::Softmax ? elements * op.unmasked : elements;
    const double in = elements * (op.second_operand ? 2.0 : 1.0);
    return double(systolic::host_cpu_cycles(out, systolic::host_cost_per_element(op.kind, cpu), in, cpu.dequantize,
                                            cpu.quantize, (in + elements) * bits_ / 8.0, cpu.l2_bytes_per_cycle)
                      .total);
}

MappingChoice OpCostModel::default_choice() const {
    MappingChoice c;
    c.tile = workloads::TileShape{config_.tile_b, config_.tile_x, config_.tile_y};
    c.loop_order = config_.loop_order;
    return c;
}

OpCost OpCostModel::evaluate(const OpShape& op, const MappingChoice& mapping) const {
    OpCost cost;
    const bool mm = op.kind == OpKind::MatMul;
    const workloads::TileShape& t = mapping.tile;
    const std::int64_t depth = mm ? op.k : 1;
    const CostTileCut cut_k(depth, mm ? t.y : 1);
    const double nb = double(cost_ceil_div(op.batch, t.b)), ni = double(cost_ceil_div(op.m, t.x)),
                 nj = double(cost_ceil_div(op.n, t.y)), nk = mm ? double(cost_ceil_div(op.k, t.y)) : 1.0;
    const double output_tiles = nb * ni * nj, tiles = output_tiles * nk;

    // §1 Busy cycles: every tile class (full or edge in each dimension) times its tile cycles.
    // A weight-stationary array keeps its weights across consecutive tiles while only loops that
    // B does not depend on advance (i, and b for a weight shared by the batch): one tile in the
    // product of the innermost run of such loops' extents loads a new block.
    double inner_extent = 1;
    for (int l = 3; l >= 0 && config_.gemmini(); --l) {
        const char letter = mapping.loop_order.letters()[l];
        if (letter == 'i') inner_extent *= ni;
        else if (letter == 'b' && !op.b_batched) inner_extent *= nb;
        else break;
    }
    const double new_weights = 1.0 / inner_extent;
    // An output-stationary array shifts an output block out once per stay: at its last k step, or
    // at every k step when k is not the innermost loop (partial sums leave between steps).
    const double drains = mapping.loop_order.letters()[3] == 'k' ? 1.0 / nk : 1.0;
    const int unit_class = int(unit_of_kind_[std::size_t(op.kind)]);
    // The tiles of `batch` x `rows` x `columns` of the op (the whole op, or one main-memory
    // block: a compute entry of its own in the TLM model): busy unit-cycles over every tile class
    // (full or edge in each dimension), output tiles, jobs (one per unit at most,
    // model-reference.md §5) and the busiest unit's time, ⌈outputs / jobs⌉ output tiles of the
    // average cost.
    struct CostPart {
        double busy = 0, output_tiles = 0, jobs = 0, compute = 0;
    };
    const auto part_of = [&](std::int64_t batch, std::int64_t rows, std::int64_t columns) {
        const CostTileCut pb(batch, t.b), pi(rows, t.x), pj(columns, t.y);
        CostPart p;
        double full_busy = 0;  // of the output tiles full in b, i and j
        for (int wb = 0; wb < 2; ++wb)
            for (int wi = 0; wi < 2; ++wi)
                for (int wj = 0; wj < 2; ++wj)
                    for (int wk = 0; wk < 2; ++wk) {
                        const double count = double(pb.count(wb) * pi.count(wi) * pj.count(wj) * cut_k.count(wk));
                        if (count == 0) continue;
                        const std::int64_t eb = pb.extent(wb, t.b), ei = pi.extent(wi, t.x), ej = pj.extent(wj, t.y),
                                           ek = mm ? cut_k.extent(wk, t.y) : 0;
                        const double cycles = count * (config_.gemmini() ? gemmini_tile_cycles(op, eb, ei, ej, ek, new_weights, drains)
                                                                         : cost_tile_cycles(op, eb, ei, ej, ek, macs_per_lane_));
                        p.busy += cycles;
                        if (wb + wi + wj == 0) full_busy += cycles;
                    }
        if (op.kind != OpKind::Softmax) {  // masked tiles do not run
            p.busy *= op.unmasked;
            full_busy *= op.unmasked;
        }
        p.output_tiles = double(cost_ceil_div(batch, t.b) * cost_ceil_div(rows, t.x) * cost_ceil_div(columns, t.y));
        p.jobs = std::min(p.output_tiles, units_[unit_class]);
        // The array's pipeline fills and drains once per job (2(W - 1) cycles of skew).
        if (config_.gemmini() && op.kind == OpKind::MatMul) p.busy += p.jobs * 2.0 * (config_.systolic.dim - 1);
        // A job is a contiguous run of output tiles in loop order, and edge tiles come last in
        // their loop: when the full output tiles can fill a job, the busiest job is one of
        // them, not an average one (a block of 24 rows in tiles of 16 has a job of 16-row tiles
        // and one of 8-row tiles; the second waits for the first).
        const double per_job = std::ceil(p.output_tiles / p.jobs);
        const double full = double(pb.full * pi.full * pj.full);
        p.compute = per_job * p.busy / p.output_tiles;
        if (full >= per_job && full < p.output_tiles) p.compute = std::max(p.compute, per_job * full_busy / full);
        return p;
    };
    const CostPart whole_op = part_of(op.batch, op.m, op.n);
    double busy = whole_op.busy;
    double per_job = std::ceil(output_tiles / whole_op.jobs);
    cost.busy_unit_cycles = busy;
    cost.compute_cycles = whole_op.compute;
    // §6.6 k split across units (k_parts P): a whole matmul of the AccelTran template with P at
    // most its k tiles (the compiler refuses the rest). G = min(OT, max(1, ⌊U / P⌋)) groups of
    // outputs, each in P parts (ControlBlock); the busiest job is ⌈OT / G⌉ outputs × ⌈n_k / P⌉
    // of their k steps. Then the reduction pass: per output tile one cycle for part 0 and
    // ⌈e / M⌉ per later part (e its elements; reduction_step_cycles), ⌈OT / min(OT, U)⌉ tiles on
    // the busiest lane, after the last part.
    const double P = double(std::max<std::int64_t>(mapping.k_parts, 1));
    double reduction_busy = 0;
    if (P > 1) {
        if (!mm || config_.gemmini() || P > nk || op.unmasked < 1 || mapping.keep_output_rows || mapping.in_blocks ||
            !(mapping.block == workloads::MemoryBlock{}))
            return cost;  // fits stays false: the compiler refuses these
        const double units = units_[unit_class];
        const double groups = std::min(output_tiles, std::max(1.0, std::floor(units / P)));
        per_job = std::ceil(output_tiles / groups);
        const double waves = std::ceil(groups * P / units);  // more parts than units: they queue
        const double full = double(CostTileCut(op.batch, t.b).full * CostTileCut(op.m, t.x).full * CostTileCut(op.n, t.y).full);
        double per_output = busy / output_tiles;
        // The busiest job holds full output tiles when they can fill one (§6.1).
        if (full >= per_job && full < output_tiles) {
            double full_busy = 0;
            for (int wk = 0; wk < 2; ++wk)
                if (cut_k.count(wk) > 0)
                    full_busy += double(cut_k.count(wk)) * cost_tile_cycles(op, t.b, t.x, t.y, cut_k.extent(wk, t.y), macs_per_lane_);
            per_output = std::max(per_output, full_busy);
        }
        const double parts_compute = waves * per_job * per_output * std::ceil(nk / P) / nk;
        const CostTileCut rb(op.batch, t.b), ri(op.m, t.x), rj(op.n, t.y);
        for (int wb = 0; wb < 2; ++wb)
            for (int wi = 0; wi < 2; ++wi)
                for (int wj = 0; wj < 2; ++wj) {
                    const double count = double(rb.count(wb) * ri.count(wi) * rj.count(wj));
                    if (count == 0) continue;
                    const auto e = std::uint64_t(rb.extent(wb, t.b) * ri.extent(wi, t.x) * rj.extent(wj, t.y));
                    double step_cycles = 0;
                    for (std::int64_t step = 0; step < mapping.k_parts; ++step)
                        step_cycles += double(compute::reduction_step_cycles(e, step, macs_per_lane_));
                    reduction_busy += count * step_cycles;
                }
        const double reduction_jobs = std::min(output_tiles, units);
        cost.compute_cycles = parts_compute + std::ceil(output_tiles / reduction_jobs) * reduction_busy / output_tiles;
        busy += reduction_busy;
        cost.busy_unit_cycles = busy;
    }

    // §2 Buffers <-> units. A job is a stretch of per_job outputs in loop order (k left out),
    // filled from the innermost of the b, i, j loops outwards; its nest is the op's with those
    // loops cut to the stretch.
    std::array<int, 4> levels{};
    const auto& letters = mapping.loop_order.letters();
    for (int l = 0; l < 4; ++l) levels[l] = cost_letter_index(letters[l]);
    const std::array<double, 4> full{nb, ni, nj, P > 1 ? nk / P : nk};
    std::array<double, 4> job = full;
    double remaining = per_job, job_outputs = 1;
    for (int l = 3; l >= 0; --l) {
        if (levels[l] == 3) continue;
        job[levels[l]] = std::min(full[levels[l]], remaining);
        remaining = std::ceil(remaining / job[levels[l]]);
        job_outputs *= job[levels[l]];
    }
    // job-equivalents of the op (with k parts: P jobs of n_k / P k steps per group)
    const double job_share = output_tiles / job_outputs * op.unmasked * P;

    const std::int64_t Bd_unit = mm && op.b_weight && mapping.block.depth > 0 ? std::min(mapping.block.depth, op.k) : op.k;
    const double a_elements = double(op.batch) * double(op.m) * double(mm ? op.k : op.n);
    const double out_elements = double(op.batch) * double(op.m) * double(op.n);
    const double b_elements = mm ? double(op.b_batched ? op.batch : 1) * double(op.k) * double(op.n) : 0;
    const double second_elements = op.second_operand ? double(op.second_batch) * double(op.m) * double(op.n) : 0;
    const int a_buffer = op.a_weight ? kWgt : kAct, b_buffer = op.b_weight ? kWgt : kAct;
    double unit_bytes[workloads::kBufferKinds] = {0, 0, 0};
    const auto move = [&](double* bytes, int buffer, double elements, double density) {
        bytes[buffer] += cost_data_bytes(elements, density, bits_);
        if (masks_) bytes[kMask] += cost_mask_bytes(elements);
    };
    if (mm) {
        const double a_reads = job_share * cost_nest_reads(levels, job, 0b1011u);  // A is (b, i, k)
        const double b_reads = job_share * cost_nest_reads(levels, job, op.b_batched ? 0b1101u : 0b1100u);
        move(unit_bytes, a_buffer, a_reads * a_elements / (nb * ni * nk), op.density_a);
        move(unit_bytes, b_buffer, b_reads * b_elements / ((op.b_batched ? nb : 1.0) * nj * nk), op.density_b);
        // Partial sums leave the lane when a loop other than k runs inside k (§5): every tile
        // past the first k step then reads one and every tile before the last writes one,
        // dense and without a mask, in the output's (activation) buffer.
        double inside_k = 1;
        for (int l = 3; l >= 0 && levels[l] != 3; --l) inside_k *= job[levels[l]];
        if (inside_k > 1 && nk > P) {
            // (with k parts, n_k / P − 1 boundaries per part: n_k − P per output in all)
            const double psum_tiles = job_share / P * job_outputs * (nk - P);
            unit_bytes[kAct] += 2 * psum_tiles * (out_elements / output_tiles) * bits_ / 8.0;
        }
        // k blocks (MemoryBlock::depth) with k innermost: the partial sum leaves the lane at each
        // boundary between k blocks, written by the block before and read by the one after
        // (TileGrid::k_origin); with a loop inside k it already leaves at every k step (above).
        if (inside_k == 1 && Bd_unit < op.k && nk > 1)
            unit_bytes[kAct] += 2 * (double(cost_ceil_div(op.k, Bd_unit)) - 1) * out_elements * op.unmasked * bits_ / 8.0;
    } else {
        move(unit_bytes, a_buffer, a_elements * op.unmasked, op.density_a);  // every tile reads its input
        if (op.second_operand) move(unit_bytes, kAct, second_elements * (op.second_batch < op.batch ? nb : 1.0) *
                                                          op.unmasked, op.density_b);
    }
    move(unit_bytes, kAct, out_elements * op.unmasked, op.density_out);  // each output once
    // k parts: each part writes its partial sum dense and the reduction pass reads them all.
    if (P > 1) unit_bytes[kAct] += 2 * P * out_elements * bits_ / 8.0;

    // §3 Main memory <-> buffers: blocks of Bb batch entries x Br rows x Bc columns, rows outer and
    // columns inner, so an A slice stays across the column blocks of its rows. Columns are cut
    // for weight matmuls and the element-wise GELU, add and SwiGLU (whose inputs are cut with
    // them); row-wise ops and attention keep whole rows (op_directive.h).
    const std::int64_t Bb = mapping.block.batch > 0 ? std::min(mapping.block.batch, op.batch) : op.batch;
    const std::int64_t Br = mapping.block.rows > 0 ? std::min(mapping.block.rows, op.m) : op.m;
    const bool element_columns = op.kind == OpKind::Gelu || op.kind == OpKind::Add || op.kind == OpKind::SwiGlu;
    const bool column_blocks = (mm && op.b_weight) || element_columns;
    const std::int64_t Bc = column_blocks && mapping.block.columns > 0 ? std::min(mapping.block.columns, op.n) : op.n;
    const double row_blocks = double(cost_ceil_div(op.batch, Bb)) * double(cost_ceil_div(op.m, Br));
    const double col_blocks = double(cost_ceil_div(op.n, Bc));
    // k blocks (MemoryBlock::depth, a weight matmul, rows outer): each (row, column) block runs
    // as k_blocks compute entries in a row, each loading its A and weight slices of Bd k
    // elements; the block's output slice holds the partial sum on chip in between.
    const std::int64_t Bd = mm && op.b_weight && mapping.block.depth > 0 ? std::min(mapping.block.depth, op.k) : op.k;
    const double k_blocks = mm ? double(cost_ceil_div(op.k, std::max<std::int64_t>(Bd, 1))) : 1.0;
    const bool cut = k_blocks > 1;
    if (cut && (mapping.block.columns_outer || mapping.keep_output_rows)) return cost;  // the compiler refuses them
    const double f_depth = cut ? double(Bd) / double(op.k) : 1.0;
    const double out_blocks = row_blocks * col_blocks;  // (row, column) blocks: one output slice each
    cost.blocks = std::int64_t(out_blocks * k_blocks);
    const bool blocked = cost.blocks > 1 || mapping.in_blocks;
    const double f_rows = double(Bb) * double(Br) / (double(op.batch) * double(op.m));
    const double f_cols = double(Bc) / double(op.n);
    const double f_inputs = f_rows * (element_columns ? f_cols : 1.0);  // an input slice's share

    // Footprint per buffer: `copies` of each block's slices, the B operand whole or as slices.
    // A matmul whose k spans several tiles and is not innermost keeps dense partial sums.
    const bool dense_psum = mm && ((nk > 1 && letters[3] != 'k') || cut);
    const double out_density = dense_psum ? std::max(op.density_out, 1.0) : op.density_out;
    const auto footprint_fits = [&](double copies, bool b_whole) {
        double need[workloads::kBufferKinds] = {0, 0, 0};
        move(need, a_buffer, copies * a_elements * f_inputs * f_depth, op.density_a);
        if (op.second_operand) move(need, kAct, copies * second_elements * (blocked ? f_inputs : 1.0), op.density_b);
        // With k blocks one output slice holds the partial sum while the k slices double-buffer
        // (OpBlocking::contents).
        move(need, kAct, (cut ? 1.0 : copies) * out_elements * f_rows * (mapping.keep_output_rows ? 1.0 : f_cols), out_density);
        if (P > 1) need[kAct] += P * out_elements * bits_ / 8.0;  // the parts' dense partial sums
        if (mm) {
            const double b_part = b_whole ? 1.0 : copies * (op.b_batched ? double(Bb) / double(op.batch) : f_cols * f_depth);
            move(need, b_buffer, b_elements * b_part, op.density_b);
        }
        for (int b = 0; b < workloads::kBufferKinds; ++b)
            if (need[b] > capacity_[b]) return false;
        for (int b = 0; b < workloads::kBufferKinds; ++b) cost.footprint[b] = need[b];
        return true;
    };
    // A weight is loaded whole and kept when it fits beside two blocks; otherwise each block
    // loads its column slice, and the weight comes again for every row block when there are
    // several column blocks. A batched B (attention) comes in slices of the batch block, loaded
    // once: a batch block's rows all use the same slice.
    const bool weight_b = mm && op.b_weight;
    // Columns outer (MemoryBlock::columns_outer) keeps each column slice of a weight across the
    // row blocks and loads the A slices again for every column block (a weight is then never kept
    // whole: its slices are each loaded once anyway); a fused consumer needs a row block's whole
    // output rows at once, which only rows outer gives (the compiler refuses it).
    const bool columns_outer = mapping.block.columns_outer && col_blocks > 1;
    bool b_kept = true;
    if (!blocked) {
        cost.fits = footprint_fits(1, true);
    } else if (weight_b && !columns_outer && !cut && footprint_fits(2, true)) {
        cost.fits = cost.double_buffered = true;
    } else {
        // With columns outer: false, each slice loaded once; with k blocks: false, the weight's k
        // slices stream with A's (OpBlocking::settle).
        b_kept = !weight_b || (col_blocks == 1 && !cut);
        const bool b_whole = weight_b && b_kept;  // one column block: the same weight for every block
        cost.double_buffered = footprint_fits(2, b_whole);
        cost.fits = cost.double_buffered || footprint_fits(1, b_whole);
    }
    if (columns_outer && mapping.keep_output_rows) cost.fits = false;
    if (!cost.fits) return cost;
    // A comes again for every column block with columns outer, and with k blocks (each (row,
    // column) block streams its rows' k slices).
    const double a_reloads = (columns_outer || cut) && mm ? col_blocks : 1.0;

    double dma_bytes[workloads::kBufferKinds] = {0, 0, 0};
    if (op.a_in_memory || blocked) {
        move(dma_bytes, a_buffer, a_elements * a_reloads, op.density_a);
        if (op.second_operand) move(dma_bytes, kAct, second_elements, op.density_b);
        double a_bytes[workloads::kBufferKinds] = {0, 0, 0};
        move(a_bytes, a_buffer, a_elements * a_reloads, op.density_a);
        cost.a_load_bytes = a_bytes[a_buffer] + a_bytes[int(BufferKind::Mask)];
    }
    // A blocked op reads its operands from main memory, so the compiler first spills those that a
    // producer left in a buffer (activations; weights and embedding tables live in main memory),
    // each whole and before the first block's loads (buffer_planner.cpp, plan_blocked). Whether
    // the producer left it there is the producer's mapping: a per-op model assumes it did.
    double spill_bytes[workloads::kBufferKinds] = {0, 0, 0};
    double spills = 0;
    if (blocked) {
        const auto spill = [&](int buffer, double elements, double density) {
            move(spill_bytes, buffer, elements, density);
            spills += 1;
        };
        if (!op.a_in_memory) {
            spill(a_buffer, a_elements, op.density_a);
            cost.a_spill_bytes = cost.a_load_bytes;
        }
        if (op.second_operand && op.second_batch == op.batch && !op.second_in_memory)
            spill(kAct, second_elements, op.density_b);
        if (mm && op.b_batched) spill(b_buffer, b_elements, op.density_b);
    }
    // A batched B (attention) comes with each row block of its batch block: the batch block's
    // slice is loaded once per row block (buffer_planner.cpp, plan_blocked).
    const double b_loads = !b_kept ? (columns_outer ? 1.0 : row_blocks)
                                   : (mm && op.b_batched && blocked) ? double(cost_ceil_div(op.m, Br)) : 1.0;
    if (mm && (op.b_weight || blocked)) move(dma_bytes, b_buffer, b_elements * b_loads, op.density_b);
    if (blocked) {
        // Each output slice stored, at the output's density even after k blocks: the last k
        // block finishes the slice that held the dense partial sum (buffer_planner.cpp, the store
        // after a block).
        move(dma_bytes, kAct, out_elements, op.density_out);
        double out_bytes[workloads::kBufferKinds] = {0, 0, 0};
        move(out_bytes, kAct, out_elements, op.density_out);
        cost.out_store_bytes = out_bytes[kAct] + out_bytes[int(BufferKind::Mask)];
    }
    double spilled = 0;
    for (int b = 0; b < workloads::kBufferKinds; ++b) {
        spilled += spill_bytes[b];
        cost.memory_bytes += dma_bytes[b] + spill_bytes[b];
        cost.buffer_bytes[b] = unit_bytes[b] + dma_bytes[b] + spill_bytes[b];
        cost.buffer_cycles[b] = cost.buffer_bytes[b] / buffer_bytes_per_cycle_[b];
    }
    const double spill_cycles = spilled > 0 ? spilled / memory_bytes_per_cycle_ + memory_latency_cycles_ * spills : 0;
    const double block_memory_bytes = cost.memory_bytes - spilled;
    const double block_memory_cycles =
        block_memory_bytes > 0 ? block_memory_bytes / memory_bytes_per_cycle_ + memory_latency_cycles_ * double(cost.blocks) : 0;
    cost.memory_cycles = spill_cycles + block_memory_cycles;

    // §4 Time: buffer ports serve the units while they compute (reads of the next tile during
    // this one), so the core time is the larger of the two.
    const double core = std::max({cost.compute_cycles, cost.buffer_cycles[0], cost.buffer_cycles[1],
                                  cost.buffer_cycles[2]});
    if (!blocked) {
        cost.cycles = core + block_memory_cycles;  // load, then compute
    } else {
        // The blocks as the TLM model runs them (docs/mapping.md §6.4): each block is a compute
        // entry of its own, priced by its own tiles (a full block and the edge blocks in batch,
        // rows and columns, each class with its count); a block whose output tiles leave units
        // free shares the units with the next blocks, so the blocks' compute takes their units'
        // share of the op's; transfers take the main-memory latency and the buffer's access
        // latency each, `channels` of them at once on the one memory port.
        // With k blocks a class's (row, column) block is a chain of k_blocks compute entries, each
        // a k_blocks-th of its tiles (Bd is a whole number of tiles, so only the last of a chain
        // can be shorter): its busy time and its jobs' time are the block's, spread over the chain.
        const std::int64_t row_count = op.batch / Bb, col_count = op.n / Bc;
        const std::int64_t batch_edge = Br == op.m ? op.batch % Bb : 0, row_edge = Br < op.m ? op.m % Br : 0,
                           col_edge = op.n % Bc;
        struct BlockClass {
            double count;
            std::int64_t batch, rows, columns;
            CostPart part;
        };
        std::vector<BlockClass> classes;
        const auto add_rows = [&](double row_blocks_of, std::int64_t batch, std::int64_t rows) {
            if (row_blocks_of <= 0) return;
            if (col_count > 0) classes.push_back({row_blocks_of * double(col_count), batch, rows, Bc, part_of(batch, rows, Bc)});
            if (col_edge > 0) classes.push_back({row_blocks_of, batch, rows, col_edge, part_of(batch, rows, col_edge)});
        };
        if (Br == op.m) {
            add_rows(double(row_count), Bb, op.m);
            if (batch_edge > 0) add_rows(1, batch_edge, op.m);
        } else {
            add_rows(double(op.batch) * double(op.m / Br), 1, Br);
            if (row_edge > 0) add_rows(double(op.batch), 1, row_edge);
        }
        // Blocks run side by side when their jobs leave units free: the compute of all blocks
        // is their unit-cycles' share of the units, and at least one block's time.
        double sequential = 0, shared = 0, longest = 0, block_jobs = 0;
        for (const BlockClass& b : classes) {
            sequential += b.count * b.part.compute;
            shared += b.count * b.part.compute * b.part.jobs / units_[unit_class];
            longest = std::max(longest, b.part.compute);
            block_jobs += b.count * b.part.jobs;
        }
        const CostPart& first = classes.front().part;
        CostPart last = classes.back().part;
        last.compute /= k_blocks;  // the last k block of the last chain
        // Buffer ports that bind (core above compute) stretch every block alike.
        const double stretch = cost.compute_cycles > 0 ? core / cost.compute_cycles : 1.0;
        // k blocks: a (row, column) block's chain holds its output slice from its first k block
        // to its last, and the planner gives the chains their space in program order, so only as
        // many chains run side by side as fit the buffers at once (one k block's slices each).
        double chains = out_blocks;  // without k blocks, no limit here
        if (cut) {
            double one[workloads::kBufferKinds] = {0, 0, 0};
            move(one, a_buffer, a_elements * f_inputs * f_depth, op.density_a);
            move(one, kAct, out_elements * f_rows * f_cols, out_density);
            move(one, b_buffer, b_elements * f_cols * f_depth, op.density_b);
            chains = out_blocks;
            for (int b = 0; b < workloads::kBufferKinds; ++b)
                if (one[b] > 0) chains = std::min(chains, std::floor(capacity_[b] / one[b]));
            chains = std::max(chains, 1.0);
        }
        const double compute_all = (cut ? std::max({shared, longest, sequential / chains}) : std::max(shared, longest)) * stretch;
        // Transfers: a row block's slices (A, a batched B), each block's own (a weight's columns
        // unless it stays whole, an element-wise op's inputs), each block's output slice.
        //
        // A batched B (attention's keys or values) does not wait for the op's A: the projection
        // that made it ran before the ops that make A (Q·Kᵀ and the softmax run between V and
        // the context), or it is a cache in main memory, so the TLM model spills it and loads its
        // slices while A is still being produced. Its transfers count in bytes and energy but
        // not in the op's time.
        const bool b_ahead = mm && op.b_batched;
        double ahead[workloads::kBufferKinds] = {0, 0, 0};
        if (b_ahead) move(ahead, b_buffer, b_elements, op.density_b);
        const double ahead_bytes = ahead[0] + ahead[1] + ahead[2];
        const double chain_spill =
            b_ahead ? (spilled - ahead_bytes > 0 ? (spilled - ahead_bytes) / memory_bytes_per_cycle_ +
                                                       memory_latency_cycles_ * (spills - 1)
                                                 : 0)
                    : spill_cycles;
        // Rows outer: an A slice per row block, a weight slice per block; columns outer: an A
        // slice per block, a weight slice per column block.
        // With k blocks: an A slice and a weight slice per k block.
        const double row_loads = mm ? 1.0 : 0.0;
        const double block_loads = mm ? (weight_b && !b_kept ? 1.0 : 0.0) : 1.0 + (op.second_operand ? 1.0 : 0.0);
        const double whole_weight = weight_b && b_kept ? 1.0 : 0.0;
        const double a_transfers = cut ? double(cost.blocks) : row_blocks * a_reloads * row_loads;
        const double own_transfers = columns_outer && mm ? col_blocks * block_loads : double(cost.blocks) * block_loads;
        const double loads = whole_weight + a_transfers + own_transfers;
        // A producer with a fused chain (keep_output_rows) stores nothing: its output rows stay
        // on chip for the chain, and evaluate_fused times what the chain stores.
        const bool kept = mapping.keep_output_rows;
        const double stores = kept ? 0.0 : out_blocks;
        const double chain_bytes = block_memory_bytes - ahead_bytes * b_loads - (kept ? cost.out_store_bytes : 0.0);
        const double store_bytes = kept ? 0.0 : cost.out_store_bytes, load_bytes = chain_bytes - store_bytes;
        const auto dma = [&](double transfers, double bytes) { return transfer_cycles(transfers, bytes); };
        // The first block's loads: its row slices, its own slices and a weight kept whole.
        double first_bytes[workloads::kBufferKinds] = {0, 0, 0};
        const double first_rows = double(classes.front().batch) * double(classes.front().rows) /
                                  (double(op.batch) * double(op.m));
        const double first_cols = double(classes.front().columns) / double(op.n);
        move(first_bytes, a_buffer, a_elements * first_rows * (element_columns ? first_cols : 1.0) * f_depth, op.density_a);
        if (op.second_operand) move(first_bytes, kAct, second_elements * first_rows * first_cols, op.density_b);
        if (weight_b) move(first_bytes, b_buffer, b_elements * (b_kept ? 1.0 : first_cols * f_depth), op.density_b);
        const double first_in = dma(whole_weight + row_loads + block_loads,
                                    first_bytes[0] + first_bytes[1] + first_bytes[2]);
        // The blocks that run side by side finish together, so the last of them store together:
        // as many as the units hold at once (each block takes min(its output tiles, the units)).
        // (k blocks of one output slice run one after another: the (row, column) blocks count.)
        const double side_by_side =
            std::min(chains, std::clamp(std::floor(units_[unit_class] / (block_jobs / out_blocks)), 1.0, out_blocks));
        const double last_share = double(last.output_tiles) / output_tiles;
        // They started as their loads arrived (the first wave's loads in turn after the first
        // block's), so the stores of the last of them queue for that much less.
        const double first_wave = columns_outer && mm
                                      ? side_by_side * row_loads + std::ceil(side_by_side / row_blocks) * block_loads
                                      : std::ceil(side_by_side / col_blocks) * row_loads + side_by_side * block_loads;
        const double stagger = std::max(0.0, dma(whole_weight + first_wave * k_blocks,
                                                 load_bytes * side_by_side / out_blocks) -
                                                 first_in);
        const double last_out = kept ? 0.0 : std::max(dma(1, store_bytes * last_share),
                                                      dma(side_by_side, side_by_side * store_bytes * last_share) - stagger);
        cost.side_by_side = side_by_side;
        if (cost.double_buffered) {
            // The longest of four chains: the first loads, every block's compute and the last
            // store; the first block, then every store; every load, then the last block and its
            // store; and the DMA's own time for all transfers.
            cost.cycles = std::max({first_in + compute_all + last_out, first_in + first.compute * stretch + dma(stores, store_bytes),
                                    dma(loads, load_bytes) + last.compute * stretch + last_out,
                                    dma(loads + stores, chain_bytes)});
        } else {
            // One block at a time: the next block's slices take the space this one frees, so
            // each transfer waits for the one before (an element-wise block's input slices go
            // side by side).
            const auto waits = [&](double transfers) { return std::ceil(transfers / dma_channels_); };
            cost.cycles = chain_bytes / memory_bytes_per_cycle_ +
                          transfer_latency_cycles_ * (whole_weight + a_transfers + (mm ? own_transfers : 0.0) +
                                                      double(cost.blocks) * (mm ? 0.0 : waits(block_loads)) + stores) +
                          sequential * stretch;
        }
        cost.cycles += chain_spill;
    }
    cost.core_cycles = core;
    cost.spill_cycles = spill_cycles;
    cost.spills = spills;
    cost.seconds = cost.cycles / config_.clock_hz();

    // §5 Energy: the energy model's rates times the activity.
    double energy = busy * rates_.busy_cycle[unit_class] + cost.memory_bytes * rates_.memory_byte +
                    cost.cycles * rates_.cycle;
    if (mm) energy += tiles * op.unmasked * rates_.pre_sparsity_tile;
    if (unit_class == int(UnitClass::MacLane)) energy += output_tiles * op.unmasked * rates_.post_sparsity_tile;
    for (int b = 0; b < workloads::kBufferKinds; ++b)
        energy += cost.buffer_bytes[b] * rates_.buffer_byte[b] + cost.buffer_cycles[b] * rates_.buffer_busy_cycle[b];
    cost.energy_j = energy;
    return cost;
}

OpCost OpCostModel::evaluate_fused(const OpShape& producer, const MappingChoice& mapping,
                                   const std::vector<OpShape>& consumers,
                                   const std::vector<MappingChoice>& consumer_mappings,
                                   const std::vector<bool>& stored_along) const {
    MappingChoice pm = mapping;
    pm.keep_output_rows = true;
    OpCost fused = evaluate(producer, pm);
    if (!fused.fits) return fused;
    std::vector<OpCost> parts;
    for (std::size_t i = 0; i < consumers.size(); ++i) {
        MappingChoice cm = consumer_mappings[i];
        cm.block = pm.block;  // the producer's row blocks, whole rows
        cm.block.columns = 0;
        cm.in_blocks = fused.blocks > 1;
        parts.push_back(evaluate(consumers[i], cm));
        if (!parts.back().fits) {
            fused.fits = false;
            return fused;
        }
    }
    const auto add_activity = [&](const OpCost& c) {
        fused.busy_unit_cycles += c.busy_unit_cycles;
        fused.compute_cycles += c.compute_cycles;
        fused.memory_bytes += c.memory_bytes;
        for (int b = 0; b < workloads::kBufferKinds; ++b) {
            fused.buffer_bytes[b] += c.buffer_bytes[b];
            fused.buffer_cycles[b] += c.buffer_cycles[b];
        }
        fused.energy_j += c.energy_j;
    };
    const double producer_cycles = fused.cycles;
    double summed_cycles = producer_cycles;
    for (const OpCost& c : parts) {
        add_activity(c);
        summed_cycles += c.cycles;
    }
    if (fused.blocks == 1) {  // whole: the intermediate stays on chip anyway, nothing changes
        fused.cycles = summed_cycles;
        fused.seconds = fused.cycles / config_.clock_hz();
        return fused;
    }
    // What stays on chip: the producer's output stores, each consumer's spill and loads of its A
    // (the intermediate) and, but for the last, its output stores. Each byte saved is one
    // main-memory byte and one activation/mask-buffer byte (the DMA side); the split between data
    // and mask is the layout's, so it is charged at the activation buffer's rate (masks are 1/8
    // of a byte per element beside 2.5 bytes of data at 20 bits: within 5 % on the buffer part).
    double removed = fused.out_store_bytes, removed_spill = 0, removed_spills = 0;
    // The chain's result stays on chip when it fits beside the producer's blocks (the planner's
    // rule), as an unfused consumer's whole output would.
    const double result = parts.back().out_store_bytes;
    const bool result_kept = fused.footprint[int(BufferKind::Activation)] + result <= capacity_[int(BufferKind::Activation)];
    if (result_kept) removed += result;
    // A consumer's A is its first input; SwiGLU's carried input is its second (the up matmul's
    // output, the gate's read beside it), which has the first's shape and density, so the same
    // bytes come off.
    for (std::size_t i = 0; i < parts.size(); ++i) {
        removed += parts[i].a_load_bytes + parts[i].a_spill_bytes;
        removed_spill += parts[i].a_spill_bytes;
        removed_spills += parts[i].a_spill_bytes > 0 ? 1 : 0;
        const bool stored = i < stored_along.size() && stored_along[i];
        if (i + 1 < parts.size() && !stored) removed += parts[i].out_store_bytes;
    }
    const int act = int(BufferKind::Activation);
    fused.memory_bytes -= removed;
    fused.buffer_bytes[act] -= removed;
    fused.buffer_cycles[act] -= removed / buffer_bytes_per_cycle_[act];
    // Memory: the spills before the blocks and the blocks' transfers, without the bytes that
    // stay on chip (§6.3).
    double spill_bytes = fused.spill_cycles > 0 ? (fused.spill_cycles - memory_latency_cycles_ * fused.spills) * memory_bytes_per_cycle_ : 0;
    double spill_count = fused.spills;
    double consumer_core = 0, consumer_spill_bytes = 0, consumer_spills = 0;
    for (const OpCost& c : parts) {
        consumer_core += c.core_cycles;
        if (c.spill_cycles > 0) {
            consumer_spill_bytes += (c.spill_cycles - memory_latency_cycles_ * c.spills) * memory_bytes_per_cycle_;
            consumer_spills += c.spills;
        }
    }
    consumer_spill_bytes -= removed_spill;
    consumer_spills -= removed_spills;
    spill_bytes += consumer_spill_bytes;
    spill_count += consumer_spills;
    const double spill_cycles = spill_bytes > 0 ? spill_bytes / memory_bytes_per_cycle_ + memory_latency_cycles_ * spill_count : 0;
    const double block_memory_bytes = fused.memory_bytes - std::max(0.0, spill_bytes);
    const double block_memory_cycles =
        block_memory_bytes > 0 ? block_memory_bytes / memory_bytes_per_cycle_ + memory_latency_cycles_ * double(fused.blocks) : 0;
    fused.memory_cycles = spill_cycles + block_memory_cycles;
    // Time (§11.3): the producer's blocks as §6.4 times them without their stores (its output
    // rows stay on chip), T_P, spills included. Each row block's consumers run after its last
    // producer block, on their own units, beside the next blocks of the producer. Blocks that
    // run side by side finish together, so the consumers receive their rows in S waves of
    // ⌊side_by_side / column blocks⌋ row blocks (at least one), and the chain is a two-stage
    // pipeline of S equal steps: max(T_P + C_C / S, T_P / S + C_C), C_C the consumers' core time;
    // then, when the chain's result does not stay on chip, the last wave's stores; at least the
    // DMA's time for the chain's bytes. The consumers' own spills (a fused add's residual, the
    // gate's output beside SwiGLU) are not in the time: their producers retired before the
    // chain's, so the TLM model spills them ahead, as §6.4 says of a batched B.
    const double row_blocks = double(parts.front().blocks);
    const double col_blocks = std::max(1.0, double(fused.blocks) / row_blocks);
    const double rows_per_wave = std::max(1.0, std::floor(fused.side_by_side / col_blocks));
    const double waves = std::ceil(row_blocks / rows_per_wave);
    const double last_stores = result_kept ? 0.0 : transfer_cycles(rows_per_wave, result * rows_per_wave / row_blocks);
    fused.cycles = std::max(std::max(producer_cycles + consumer_core / waves, producer_cycles / waves + consumer_core) +
                                last_stores,
                            spill_cycles + std::max(0.0, block_memory_bytes) / memory_bytes_per_cycle_);
    fused.spill_cycles = spill_cycles;
    fused.seconds = fused.cycles / config_.clock_hz();
    fused.energy_j -= removed * (rates_.memory_byte + rates_.buffer_byte[act]) +
                      removed / buffer_bytes_per_cycle_[act] * rates_.buffer_busy_cycle[act] +
                      (summed_cycles - fused.cycles) * rates_.cycle;
    // A stored-along output (a pre-norm decoder's residual stream) is loaded again by its readers
    // outside the chain, which apart would find it on chip: one load of its stored bytes, charged
    // as a removed byte is and in series (its reader waits for it).
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        if (i >= stored_along.size() || !stored_along[i]) continue;
        add_serial_load(fused, parts[i].out_store_bytes);
    }
    fused.seconds = fused.cycles / config_.clock_hz();
    return fused;
}

double OpCostModel::transfer_cycles(double transfers, double bytes) const {
    const double stream = bytes / memory_bytes_per_cycle_;
    return std::max(stream, (transfers * transfer_latency_cycles_ + stream) / dma_channels_);
}

void OpCostModel::add_serial_load(OpCost& cost, double bytes) const {
    const int act = int(BufferKind::Activation);
    const double load_cycles = bytes / memory_bytes_per_cycle_ + memory_latency_cycles_;
    cost.memory_bytes += bytes;
    cost.memory_cycles += load_cycles;
    cost.buffer_bytes[act] += bytes;
    cost.buffer_cycles[act] += bytes / buffer_bytes_per_cycle_[act];
    cost.cycles += load_cycles;
    cost.energy_j += bytes * (rates_.memory_byte + rates_.buffer_byte[act]) +
                     bytes / buffer_bytes_per_cycle_[act] * rates_.buffer_busy_cycle[act] + load_cycles * rates_.cycle;
}

OpCost OpCostModel::evaluate_apart(const OpShape& producer, const MappingChoice& mapping,
                                   const std::vector<OpShape>& consumers,
                                   const std::vector<MappingChoice>& consumer_mappings) const {
    OpCost apart = evaluate(producer, mapping);
    if (!apart.fits) return apart;
    for (std::size_t i = 0; i < consumers.size(); ++i) {
        OpCost cost = evaluate(consumers[i], consumer_mappings[i]);
        if (i == 0 && cost.fits && cost.blocks == 1 && apart.out_store_bytes > 0) {
            // The blocked producer stored its output; the whole consumer loads it before it starts
            // (a blocked consumer already counts its A's loads, and its spill stands for the
            // producer's stores). Charged as evaluate_fused takes such bytes off: one main-memory
            // and one activation-buffer byte each, the buffer's busy time, and the always-on parts
            // over the load's cycles. Only A: a second operand (an add's residual) stays on chip.
            add_serial_load(cost, apart.out_store_bytes);
            cost.seconds = cost.cycles / config_.clock_hz();
        }
        if (!cost.fits) {
            apart.fits = false;
            return apart;
        }
        apart.cycles += cost.cycles;
        apart.seconds += cost.seconds;
        apart.energy_j += cost.energy_j;
        apart.memory_bytes += cost.memory_bytes;
        apart.busy_unit_cycles += cost.busy_unit_cycles;
        apart.compute_cycles += cost.compute_cycles;
        apart.memory_cycles += cost.memory_cycles;
        for (int b = 0; b < workloads::kBufferKinds; ++b) {
            apart.buffer_bytes[b] += cost.buffer_bytes[b];
            apart.buffer_cycles[b] += cost.buffer_cycles[b];
        }
    }
    return apart;
}

}  // namespace acceltran::explore
