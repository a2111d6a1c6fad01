// JobPlan (modules/compute/job_plan.*) prices each distinct tile of a job once and counts the
// repeated k rows of LaneTileSequence instead of walking them. These tests hold it to the
// plain rule it replaced: every tile walked in order, run on the unit one by one and summed
// into its chunk (reference_walk below, the former JobPlan loop). Grids have edge tiles in
// every dimension, jobs start and end part-way through the loops, and every loop order, causal
// masks along n and along k, several middle-chunk counts and every executor kind are covered.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/accelerator_config.h"
#include "modules/compute/job_plan.h"
#include "modules/compute/layer_norm_unit.h"
#include "modules/compute/mac_lane.h"
#include "modules/compute/softmax_unit.h"
#include "modules/compute/tile_density.h"
#include "modules/host/host_cpu.h"
#include "modules/systolic/integer_unit.h"
#include "modules/systolic/systolic_array.h"
#include "workloads/tiling.h"

using namespace acceltran;
using namespace acceltran::compute;

namespace {

struct ReferencePlan {
    std::vector<JobChunk> chunks;
    double cycles = 0;
    std::uint64_t tiles = 0;
    std::vector<TileRecord> records;
};

void reference_add(StreamSum& s, std::uint64_t slot, std::uint64_t bytes, std::uint64_t elements, double density) {
    if (bytes == 0) return;
    if (s.bytes == 0) {
        s.first_slot = slot;
        s.density = density;
    }
    s.bytes += bytes;
    s.elements += elements;
}

// Every tile in order, each run on the unit alone (the JobPlan of commit cc5a2e5).
ReferencePlan reference_walk(TileExecutor& unit, const OpContext& ctx, workloads::LaneTileSequence tiles,
                             int middle_chunks) {
    ReferencePlan plan;
    const workloads::TileGrid& g = *ctx.grid;
    const std::uint64_t n = tiles.size();
    std::vector<std::uint64_t> ends;
    if (n >= 1) ends.push_back(1);
    if (n > 2) {
        const std::uint64_t middle = n - 2;
        const std::uint64_t pieces = std::min<std::uint64_t>(middle, std::uint64_t(std::max(1, middle_chunks)));
        for (std::uint64_t p = 1; p <= pieces; ++p) ends.push_back(1 + p * middle / pieces);
    }
    if (n >= 2) ends.push_back(n);
    plan.chunks.resize(ends.size());
    std::size_t chunk = 0;
    workloads::TileStep step;
    for (std::uint64_t i = 0; tiles.next(step); ++i) {
        while (i >= ends[chunk]) ++chunk;
        JobChunk& c = plan.chunks[chunk];
        const auto& t = step.index;
        const std::uint64_t out_slot = (std::uint64_t(t.b) * g.ni + t.i) * g.nj + t.j;
        const std::uint64_t a_slot = g.matmul ? (std::uint64_t(t.b) * g.ni + t.i) * g.nk + t.k : out_slot;
        const std::uint64_t b_slot =
            (g.b_batched ? std::uint64_t(t.b) * g.nk * g.nj : 0) + std::uint64_t(t.k) * g.nj + t.j;
        const TileDensity density = tile_density(ctx, step, nullptr);
        auto read = [&](ReadStream data, const OperandPlace& p, std::uint64_t slot, std::uint64_t elements, double d) {
            reference_add(c.reads[data], slot, tile_transfer_bytes(*p.layout, false, elements, d), elements, d);
            reference_add(c.reads[data + 1], slot, tile_transfer_bytes(*p.layout, true, elements, d), elements, d);
        };
        if (step.read_a) read(kReadA, ctx.a, a_slot, g.a_elements(t), density.a);
        if (ctx.a2.layout) read(kReadA2, ctx.a2, a_slot, g.a_elements(t), density.a2);
        if (step.read_b && ctx.b.layout) read(kReadB, ctx.b, b_slot, g.b_elements(t), density.b);
        const workloads::TensorLayout& out = *ctx.out.layout;
        const std::uint64_t out_elements = g.out_elements(t);
        if (step.read_psum)
            reference_add(c.reads[kReadPsum], out_slot, tile_transfer_bytes(out, false, out_elements, 1.0), out_elements,
                          1.0);
        const TileWork work = unit.execute(ctx, step, density);
        const double cycles = double(work.cycles);
        if (c.tiles == 0) c.first_cycles = cycles;
        c.last_cycles = cycles;
        c.cycles += cycles;
        c.tiles++;
        plan.cycles += cycles;
        plan.tiles++;
        c.pre_sparsity_tiles += std::uint8_t(work.pre_sparsity_tiles);
        c.post_sparsity_tiles += std::uint8_t(work.post_sparsity_tiles);
        c.conversion_cycles += double(work.conversion_cycles);
        plan.records.push_back(TileRecord{std::uint32_t(cycles), std::uint8_t(work.pre_sparsity_tiles),
                                          std::uint8_t(work.post_sparsity_tiles), std::uint32_t(work.conversion_cycles),
                                          std::uint32_t(work.idle_cycles)});
        if (step.write_output) {
            const double d = density.out;
            reference_add(c.writes[kWriteOut], out_slot, tile_transfer_bytes(out, false, out_elements, d), out_elements, d);
            reference_add(c.writes[kWriteOutMask], out_slot, tile_transfer_bytes(out, true, out_elements, d), out_elements,
                          d);
        } else if (step.write_psum) {
            reference_add(c.writes[kWritePsum], out_slot, tile_transfer_bytes(out, false, out_elements, 1.0), out_elements,
                          1.0);
        }
    }
    plan.chunks.erase(std::remove_if(plan.chunks.begin(), plan.chunks.end(), [](const JobChunk& c) { return c.tiles == 0; }),
                      plan.chunks.end());
    return plan;
}

// `with_slots`: also where the stream's transfer is addressed (its first tile's slot).
void check_stream(const StreamSum& got, const StreamSum& want, bool with_slots = true) {
    CHECK(got.bytes == want.bytes);
    CHECK(got.elements == want.elements);
    if (with_slots && want.bytes > 0) {
        CHECK(got.first_slot == want.first_slot);
        CHECK(got.density == want.density);
    }
}

void check_same_chunk(const JobChunk& a, const JobChunk& b, bool with_slots) {
    CHECK(a.tiles == b.tiles);
    CHECK(a.cycles == b.cycles);
    CHECK(a.first_cycles == b.first_cycles);
    CHECK(a.last_cycles == b.last_cycles);
    CHECK(a.pre_sparsity_tiles == b.pre_sparsity_tiles);
    CHECK(a.post_sparsity_tiles == b.post_sparsity_tiles);
    CHECK(a.conversion_cycles == b.conversion_cycles);
    for (int s = 0; s < kReadStreams; ++s) {
        INFO("read stream " << s);
        check_stream(a.reads[s], b.reads[s], with_slots);
    }
    for (int s = 0; s < kWriteStreams; ++s) {
        INFO("write stream " << s);
        check_stream(a.writes[s], b.writes[s], with_slots);
    }
}

// Sums of integer-valued doubles (cycles) are exact whatever their order: compared with ==.
void check_same_plan(const JobPlan& got, const std::vector<TileRecord>& got_records, const ReferencePlan& want) {
    CHECK(got.tiles() == want.tiles);
    CHECK(got.cycles() == want.cycles);
    REQUIRE(got.chunks().size() == want.chunks.size());
    for (std::size_t q = 0; q < want.chunks.size(); ++q) {
        INFO("chunk " << q);
        check_same_chunk(got.chunks()[q], want.chunks[q], true);
    }
    REQUIRE(got_records.size() == want.records.size());
    for (std::size_t i = 0; i < got_records.size(); ++i) {
        INFO("tile " << i);
        CHECK(got_records[i].cycles == want.records[i].cycles);
        CHECK(got_records[i].pre_sparsity == want.records[i].pre_sparsity);
        CHECK(got_records[i].post_sparsity == want.records[i].post_sparsity);
        CHECK(got_records[i].conversion_cycles == want.records[i].conversion_cycles);
    }
}

// One op with every operand placed, at densities below 1 so that bytes depend on them.
struct ClassedJobOp {
    workloads::Op op;
    workloads::TensorLayout in, in2, weight, out;
    workloads::TileGrid grid;
    OpContext ctx;

    ClassedJobOp(workloads::OpKind kind, std::int64_t batch, std::int64_t m, std::int64_t n, std::int64_t k,
                 const std::string& order) {
        op.kind = kind;
        op.batch = batch;
        op.m = m;
        op.n = n;
        op.k = k;
        in.density = 0.5;
        in2.density = 0.75;
        weight.density = 0.4;
        weight.buffer = workloads::BufferKind::Weight;
        out.density = 0.6;
        ctx.op = &op;
        ctx.grid = &grid;
        ctx.loop_order = workloads::LoopOrder::parse(order);
        ctx.a.layout = &in;
        ctx.out.layout = &out;
        if (kind == workloads::OpKind::MatMul) ctx.b.layout = &weight;
        if (kind == workloads::OpKind::Add || kind == workloads::OpKind::SwiGlu) ctx.a2.layout = &in2;
        make_grid(workloads::TileShape{2, 16, 16});
    }
    void make_grid(const workloads::TileShape& shape) { grid = workloads::make_tile_grid(op, shape); }
};

// The 24 loop orders.
std::vector<std::string> classed_job_orders() {
    std::string letters = "bijk";
    std::vector<std::string> orders;
    do {
        orders.push_back(std::string{letters[0], '_', letters[1], '_', letters[2], '_', letters[3]});
    } while (std::next_permutation(letters.begin(), letters.end()));
    return orders;
}

// Output ranges of a job: the whole op, one output, and ranges starting and ending part-way
// through the loops.
std::vector<std::pair<std::uint64_t, std::uint64_t>> classed_job_ranges(const workloads::TileGrid& g) {
    const std::uint64_t outputs = g.output_tiles();
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges = {{0, outputs}, {0, 1}, {outputs - 1, outputs}};
    if (outputs > 7) ranges.push_back({1, outputs - 2});
    if (outputs > 12) ranges.push_back({5, 12});
    return ranges;
}

using UnitFactory = std::function<std::unique_ptr<ComputeUnit>()>;
// What a unit counted that a report reads (0 for the units that count nothing).
using UnitCounters = std::function<std::vector<double>(const ComputeUnit&)>;

// Plans every range and loop order both ways on fresh units and compares plans and counters.
void check_every_job(ClassedJobOp& job, const UnitFactory& make_unit, const UnitCounters& counters,
                     const std::vector<std::string>& orders) {
    for (const std::string& order : orders) {
        job.ctx.loop_order = workloads::LoopOrder::parse(order);
        for (const auto& [first, end] : classed_job_ranges(job.grid)) {
            for (const int middle : {1, 3}) {
                INFO("loop order " << order << ", outputs [" << first << ", " << end << "), middle chunks " << middle);
                const workloads::LaneTileSequence tiles(job.grid, job.ctx.loop_order, first, end);
                std::unique_ptr<ComputeUnit> reference_unit = make_unit(), unit = make_unit();
                reference_unit->activity.jobs = unit->activity.jobs = 1;  // as begin_job leaves them
                const ReferencePlan want = reference_walk(*reference_unit, job.ctx, tiles, middle);
                std::vector<TileRecord> records;
                const JobPlan got(*unit, job.ctx, tiles, middle, &records);
                check_same_plan(got, records, want);
                // Without records the plan is the same.
                std::unique_ptr<ComputeUnit> quiet_unit = make_unit();
                quiet_unit->activity.jobs = 1;
                const JobPlan quiet(*quiet_unit, job.ctx, tiles, middle, nullptr);
                CHECK(quiet.cycles() == want.cycles);
                CHECK(quiet.chunks().size() == want.chunks.size());
                const std::vector<double> a = counters(*unit), b = counters(*reference_unit);
                REQUIRE(a.size() == b.size());
                for (std::size_t c = 0; c < a.size(); ++c) {
                    INFO("counter " << c);
                    // A fractional count summed tile by tile against multiplied by the tiles of
                    // a class: the same up to rounding (a few units in the last place).
                    CHECK(a[c] == Approx(b[c]).epsilon(1e-12));
                }
            }
        }
    }
}

std::vector<double> classed_job_no_counters(const ComputeUnit&) { return {}; }

std::vector<double> classed_job_lane_counters(const ComputeUnit& unit) {
    const auto& lane = dynamic_cast<const MacLane&>(unit);
    return {double(lane.pre_sparsity().tiles()), lane.pre_sparsity().effectual(), double(lane.post_sparsity().tiles())};
}

std::vector<double> classed_job_array_counters(const ComputeUnit& unit) { return {unit.effectual_macs()}; }

}  // namespace

TEST_CASE("JobPlan by tile classes: matmuls with edge tiles in every loop order match a tile-by-tile walk",
          "[compute][job_plan]") {
    // batch 3, m 40, n 37, k 100 in (2, 16, 16) tiles: 2 x 3 x 3 outputs, 7 k steps, every
    // dimension's last tile smaller.
    ClassedJobOp job(workloads::OpKind::MatMul, 3, 40, 37, 100, "b_i_j_k");
    REQUIRE(job.grid.nk == 7);
    check_every_job(job, [] { return std::make_unique<MacLane>(16); }, classed_job_lane_counters, classed_job_orders());
    SECTION("batched B") {
        job.op.b_batched = true;
        job.make_grid(workloads::TileShape{2, 16, 16});
        check_every_job(job, [] { return std::make_unique<MacLane>(16); }, classed_job_lane_counters,
                        classed_job_orders());
    }
}

TEST_CASE("JobPlan by tile classes: causal matmuls with keys along n and along k match a tile-by-tile walk",
          "[compute][job_plan]") {
    for (const bool keys_on_depth : {false, true}) {
        for (const std::int64_t group : {1, 3}) {
            for (const std::int64_t row_origin : {0, 21}) {
                INFO("keys along " << (keys_on_depth ? "k" : "n") << ", group " << group << ", row origin " << row_origin);
                // Q.K^T (B transposed: keys along n) or probs x V (keys along k), 100 keys.
                ClassedJobOp job(workloads::OpKind::MatMul, 2, 70, keys_on_depth ? 37 : 100, keys_on_depth ? 100 : 40,
                                 "b_i_j_k");
                job.op.b_batched = true;
                job.op.b_transposed = !keys_on_depth;
                job.op.causal.on = true;
                job.op.causal.group = group;
                job.make_grid(workloads::TileShape{1, 8, 16});
                job.grid.row_origin = row_origin;
                REQUIRE(job.grid.keys_on_depth == keys_on_depth);
                check_every_job(job, [] { return std::make_unique<MacLane>(16); }, classed_job_lane_counters,
                                classed_job_orders());
            }
        }
    }
}

TEST_CASE("JobPlan by tile classes: every executor kind matches a tile-by-tile walk", "[compute][job_plan]") {
    using workloads::OpKind;
    const std::vector<std::string> orders = {"b_i_j_k", "k_j_i_b", "i_k_b_j", "j_b_k_i"};
    SECTION("systolic array, weight- and output-stationary (a job's first tile costs more)") {
        for (const bool weight_stationary : {true, false}) {
            SystolicConfig config;
            config.weight_stationary = weight_stationary;
            ClassedJobOp job(OpKind::MatMul, 3, 40, 37, 100, "b_i_j_k");
            check_every_job(job, [config] { return std::make_unique<systolic::SystolicArray>(config); },
                            classed_job_array_counters, orders);
        }
    }
    SECTION("MAC lane: add, SwiGLU, rotary and GELU tiles") {
        for (const OpKind kind : {OpKind::Add, OpKind::SwiGlu, OpKind::Rotary, OpKind::Gelu}) {
            ClassedJobOp job(kind, 3, 40, 37, 0, "b_i_j_k");
            check_every_job(job, [] { return std::make_unique<MacLane>(16); }, classed_job_lane_counters, orders);
        }
    }
    SECTION("softmax unit under a causal mask, layer-norm unit") {
        ClassedJobOp softmax(OpKind::Softmax, 3, 40, 37, 0, "b_i_j_k");
        softmax.op.causal.on = true;
        softmax.make_grid(workloads::TileShape{2, 16, 16});
        check_every_job(softmax, [] { return std::make_unique<SoftmaxUnit>(); }, classed_job_no_counters, orders);
        ClassedJobOp norm(OpKind::LayerNorm, 3, 40, 37, 0, "b_i_j_k");
        check_every_job(norm, [] { return std::make_unique<LayerNormUnit>(); }, classed_job_no_counters, orders);
    }
    SECTION("integer units and the host CPU") {
        IntegerUnitsConfig integer;
        integer.activation_units = 1;
        integer.lanes = 4;
        integer.normalization_unit = true;
        ClassedJobOp softmax(OpKind::Softmax, 3, 40, 37, 0, "b_i_j_k");
        softmax.op.causal.on = true;
        softmax.make_grid(workloads::TileShape{2, 16, 16});
        ClassedJobOp norm(OpKind::LayerNorm, 3, 40, 37, 0, "b_i_j_k");
        check_every_job(softmax, [integer] { return std::make_unique<systolic::IntegerUnit>(integer, false); },
                        classed_job_no_counters, orders);
        check_every_job(norm, [integer] { return std::make_unique<systolic::IntegerUnit>(integer, true); },
                        classed_job_no_counters, orders);
        HostCpuConfig host;
        host.softmax = 3;
        check_every_job(softmax, [host] { return std::make_unique<host::HostCpu>(host); }, classed_job_no_counters,
                        orders);
        check_every_job(norm, [host] { return std::make_unique<host::HostCpu>(host); }, classed_job_no_counters, orders);
    }
}

namespace {

// Every figure of two plans but the transfers' slots (which follow the job's place).
void check_same_figures(const JobPlan& got, const JobPlan& want) {
    CHECK(got.tiles() == want.tiles());
    CHECK(got.cycles() == want.cycles());
    CHECK(got.idle_cycles() == want.idle_cycles());
    REQUIRE(got.chunks().size() == want.chunks().size());
    for (std::size_t q = 0; q < want.chunks().size(); ++q) {
        INFO("chunk " << q);
        check_same_chunk(got.chunks()[q], want.chunks()[q], false);
    }
}

// Job groups (ProcessingElement::run_chunks_fast) plan a group's jobs once when they repeat one
// another: the same number of output tiles, none of them short, and step flags that do not
// depend on where the range starts. Here every range of a length is planned from scratch and
// compared with the first, and a unit charged with the first plan (JobPlan::charge) is compared
// with one that built its own.
void check_translated_jobs(ClassedJobOp& job, const std::vector<std::string>& orders) {
    const std::uint64_t outputs = job.grid.output_tiles();
    for (const std::string& order : orders) {
        job.ctx.loop_order = workloads::LoopOrder::parse(order);
        for (const std::uint64_t length : {std::uint64_t(1), std::uint64_t(2), std::uint64_t(5), std::uint64_t(7)}) {
            for (std::uint64_t first = 1; first + length <= outputs; ++first) {
                INFO("loop order " << order << ", outputs [" << first << ", " << first + length << ") against [0, "
                                   << length << ")");
                REQUIRE_FALSE(workloads::range_has_short_tile(job.grid, job.ctx.loop_order, first, first + length));
                MacLane built_unit(16), charged_unit(16), scratch_unit(16);
                const JobPlan own(built_unit, job.ctx,
                                  workloads::LaneTileSequence(job.grid, job.ctx.loop_order, first, first + length), 1,
                                  nullptr);
                const JobPlan reference(scratch_unit, job.ctx,
                                        workloads::LaneTileSequence(job.grid, job.ctx.loop_order, 0, length), 1, nullptr);
                check_same_figures(own, reference);
                reference.charge(charged_unit, job.ctx);  // `reference` was built last
                CHECK(charged_unit.pre_sparsity().tiles() == built_unit.pre_sparsity().tiles());
                CHECK(charged_unit.pre_sparsity().effectual() == Approx(built_unit.pre_sparsity().effectual()).epsilon(1e-12));
                CHECK(charged_unit.post_sparsity().tiles() == built_unit.post_sparsity().tiles());
                // A run of three such jobs charged at once counts three jobs' tiles.
                MacLane run_unit(16);
                reference.charge(run_unit, job.ctx, 3);
                CHECK(run_unit.pre_sparsity().tiles() == 3 * built_unit.pre_sparsity().tiles());
                CHECK(run_unit.pre_sparsity().effectual() == Approx(3 * built_unit.pre_sparsity().effectual()).epsilon(1e-12));
                CHECK(run_unit.post_sparsity().tiles() == 3 * built_unit.post_sparsity().tiles());
            }
        }
    }
}

}  // namespace

TEST_CASE("JobPlan::charge: jobs of as many full-size output tiles plan alike when k is innermost or there is no k",
          "[compute][job_plan]") {
    // batch 4, m 64, n 48, k 64 in (2, 16, 16) tiles: 2 x 4 x 3 outputs of full size, 4 k steps.
    ClassedJobOp matmul(workloads::OpKind::MatMul, 4, 64, 48, 64, "b_i_j_k");
    REQUIRE(matmul.grid.nk == 4);
    check_translated_jobs(matmul, {"b_i_j_k", "b_j_i_k", "i_b_j_k", "i_j_b_k", "j_b_i_k", "j_i_b_k"});
    SECTION("batched B") {
        matmul.op.b_batched = true;
        matmul.make_grid(workloads::TileShape{2, 16, 16});
        check_translated_jobs(matmul, {"b_i_j_k", "j_i_b_k"});
    }
    SECTION("element-wise ops, any loop order") {
        for (const workloads::OpKind kind : {workloads::OpKind::Gelu, workloads::OpKind::Add}) {
            ClassedJobOp job(kind, 4, 64, 48, 0, "b_i_j_k");
            check_translated_jobs(job, classed_job_orders());
        }
    }
}

TEST_CASE("JobPlan::charge's conditions are needed: one k step or a short tile makes equal-length jobs differ",
          "[compute][job_plan]") {
    // One k step (k 16): with j inside i, an output reuses the A block of the output before it
    // in the same row, so [0, 2) (one row) reads A once and [2, 4) (across rows) twice.
    ClassedJobOp shallow(workloads::OpKind::MatMul, 4, 64, 48, 16, "b_i_j_k");
    REQUIRE(shallow.grid.nk == 1);
    MacLane u1(16), u2(16);
    const JobPlan in_row(u1, shallow.ctx, workloads::LaneTileSequence(shallow.grid, shallow.ctx.loop_order, 0, 2), 1, nullptr);
    const JobPlan across(u2, shallow.ctx, workloads::LaneTileSequence(shallow.grid, shallow.ctx.loop_order, 2, 4), 1, nullptr);
    auto a_bytes = [](const JobPlan& p) {
        std::uint64_t bytes = 0;
        for (const JobChunk& c : p.chunks()) bytes += c.reads[kReadA].bytes;
        return bytes;
    };
    CHECK(a_bytes(across) == 2 * a_bytes(in_row));
    // A short tile (n 40: the third column of tiles is 8 wide): fewer bytes than a full one.
    ClassedJobOp ragged(workloads::OpKind::Gelu, 4, 64, 40, 0, "b_i_j_k");
    CHECK(workloads::range_has_short_tile(ragged.grid, ragged.ctx.loop_order, 2, 3));
    CHECK_FALSE(workloads::range_has_short_tile(ragged.grid, ragged.ctx.loop_order, 0, 2));
    MacLane u3(16), u4(16);
    const JobPlan full(u3, ragged.ctx, workloads::LaneTileSequence(ragged.grid, ragged.ctx.loop_order, 1, 2), 1, nullptr);
    const JobPlan short_tile(u4, ragged.ctx, workloads::LaneTileSequence(ragged.grid, ragged.ctx.loop_order, 2, 3), 1, nullptr);
    CHECK(short_tile.chunks()[0].reads[kReadA].bytes < full.chunks()[0].reads[kReadA].bytes);
}

TEST_CASE("LaneTileSequence: skipping the rows identical_rows_ahead reports leaves the rest of the walk unchanged",
          "[workloads][tiling]") {
    // The tiles after a skip are those of the plain walk with the skipped rows removed, and the
    // skipped rows differed from the row before them only in k.
    ClassedJobOp job(workloads::OpKind::MatMul, 3, 40, 37, 100, "b_i_j_k");
    for (const std::string& order : classed_job_orders()) {
        for (const auto& [first, end] : classed_job_ranges(job.grid)) {
            INFO("loop order " << order << ", outputs [" << first << ", " << end << ")");
            const auto lo = workloads::LoopOrder::parse(order);
            std::vector<workloads::TileStep> plain;
            workloads::LaneTileSequence all(job.grid, lo, first, end);
            for (workloads::TileStep s; all.next(s);) plain.push_back(s);
            workloads::LaneTileSequence skipping(job.grid, lo, first, end);
            std::size_t at = 0, skipped = 0;
            for (workloads::TileStep s; skipping.next(s); ++at) {
                REQUIRE(at < plain.size());
                CHECK(s.index == plain[at].index);
                CHECK(s.read_a == plain[at].read_a);
                CHECK(s.read_b == plain[at].read_b);
                CHECK(s.read_psum == plain[at].read_psum);
                CHECK(s.write_psum == plain[at].write_psum);
                CHECK(s.write_output == plain[at].write_output);
                if (const std::uint64_t rows = skipping.identical_rows_ahead()) {
                    // The row just ended is as long as the rows skipped; step past them in the plain walk.
                    std::size_t length = 1;
                    while (length <= at && plain[at - length].index.k == s.index.k) ++length;
                    const std::size_t row_begin = at + 1 - length;
                    for (std::uint64_t r = 1; r <= rows; ++r)
                        for (std::size_t t = 0; t < length; ++t) {
                            const workloads::TileStep& copy = plain.at(at + (r - 1) * length + t + 1);
                            const workloads::TileStep& model = plain[row_begin + t];
                            CHECK(copy.index.k == model.index.k + std::int64_t(r));
                            CHECK((copy.index.b == model.index.b && copy.index.i == model.index.i &&
                                   copy.index.j == model.index.j));
                            CHECK((copy.read_a == model.read_a && copy.read_b == model.read_b &&
                                   copy.read_psum == model.read_psum && copy.write_psum == model.write_psum &&
                                   copy.write_output == model.write_output));
                        }
                    skipping.skip_rows(rows);
                    at += rows * length;
                    skipped += rows * length;
                }
            }
            CHECK(at == plain.size());
            if (order == "b_i_j_k" && end - first > 1) CHECK(skipped > 0);  // the rule did apply
        }
    }
}
