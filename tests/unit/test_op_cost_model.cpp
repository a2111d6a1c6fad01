// The mapper's analytic cost model (docs/mapping.md §6) and mapspace (§7): hand-computed
// compute cycles, operand reads that match the TLM model's tile sequence for every loop order,
// energy from the power model's own rates, the buffer-fit rules and the block pipeline.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>

#include "core/accelerator_config.h"
#include "explore/mapspace.h"
#include "explore/mapspace_search.h"
#include "explore/op_cost_model.h"
#include "modules/power/energy_model.h"
#include "modules/power/technology.h"
#include "tests/unit/shipped_design.h"
#include "workloads/tiling.h"

using namespace acceltran;
using namespace acceltran::explore;
using acceltran::testing::kConfigs;

namespace {

// A matmul with a weight B, densities 0.5 (the design points' defaults).
OpShape costmodel_matmul(std::int64_t batch, std::int64_t m, std::int64_t n, std::int64_t k) {
    OpShape s;
    s.kind = workloads::OpKind::MatMul;
    s.batch = batch;
    s.m = m;
    s.n = n;
    s.k = k;
    s.b_weight = true;
    return s;
}

MappingChoice costmodel_choice(int x, int y, const std::string& order) {
    MappingChoice c;
    c.tile = workloads::TileShape{1, x, y};
    c.loop_order = LoopOrder::parse(order);
    return c;
}

// Edge with one MAC lane: one job holds every output tile, so loop order decides the reads.
AcceleratorConfig costmodel_one_lane() {
    AcceleratorConfig c = load_accelerator("acceltran-edge", kConfigs);
    c.pes = 1;
    c.lanes_per_pe = 1;
    return c;
}

}  // namespace

TEST_CASE("cost model: compute cycles of a matmul by hand", "[mapper]") {
    const AcceleratorConfig edge = load_accelerator("acceltran-edge", kConfigs);
    const OpCostModel model(edge, power::load_technology(edge.technology, kConfigs));
    // 2 x 2 output tiles of 16 x 16, k in 2 steps: each tile 16·16·16·0.25/16 = 64 cycles
    // (model-reference.md §4); 4 outputs on 1,024 lanes, one per job: 2 · 64 cycles.
    const OpCost c = model.evaluate(costmodel_matmul(1, 32, 32, 32), costmodel_choice(16, 16, "b_i_j_k"));
    REQUIRE(c.fits);
    CHECK(c.busy_unit_cycles == 8 * 64);
    CHECK(c.compute_cycles == 2 * 64);
    // Edge tiles: m = 40 gives a third row of 8-row tiles, 8·16·16·0.25/16 = 32 cycles each.
    const OpCost edge_tiles = model.evaluate(costmodel_matmul(1, 40, 32, 32), costmodel_choice(16, 16, "b_i_j_k"));
    CHECK(edge_tiles.busy_unit_cycles == 8 * 64 + 4 * 32);
    // One lane runs everything: the busy cycles are the compute cycles.
    const AcceleratorConfig one = costmodel_one_lane();
    const OpCostModel single(one, power::load_technology(one.technology, kConfigs));
    CHECK(single.evaluate(costmodel_matmul(1, 32, 32, 32), costmodel_choice(16, 16, "b_i_j_k")).compute_cycles ==
          8 * 64);
}

TEST_CASE("cost model: operand reads per loop order equal the TLM tile sequence's", "[mapper]") {
    const AcceleratorConfig one = costmodel_one_lane();
    const OpCostModel model(one, power::load_technology(one.technology, kConfigs));
    // 2 x 48 x 32 x 64 in 16-tiles: counts (2, 3, 2, 4), none of them 1, all tiles full.
    const OpShape shape = costmodel_matmul(2, 48, 32, 64);
    workloads::Op op;
    op.kind = workloads::OpKind::MatMul;
    op.batch = 2;
    op.m = 48;
    op.n = 32;
    op.k = 64;
    const workloads::TileGrid grid = workloads::make_tile_grid(op, workloads::TileShape{1, 16, 16});
    const double block = 16 * 16 * 0.5 * 20 / 8.0, dense_block = 16 * 16 * 20 / 8.0;  // §2 byte rules
    const double weight_load = 64 * 32 * 0.5 * 20 / 8.0;  // the weight's own load from main memory
    for (const LoopOrder& order : LoopOrder::all()) {
        INFO(order.str());
        workloads::LaneTileSequence seq(grid, order, 0, grid.output_tiles());
        workloads::TileStep step;
        double a = 0, b = 0, psum = 0, out = 0;
        while (seq.next(step)) {
            a += step.read_a;
            b += step.read_b;
            psum += double(step.read_psum) + double(step.write_psum);
            out += step.write_output;
        }
        MappingChoice choice = costmodel_choice(16, 16, order.str());
        const OpCost c = model.evaluate(shape, choice);
        REQUIRE(c.fits);
        CHECK(c.buffer_bytes[int(workloads::BufferKind::Weight)] == Approx(b * block + weight_load));
        CHECK(c.buffer_bytes[int(workloads::BufferKind::Activation)] ==
              Approx(a * block + psum * dense_block + out * block));
        CHECK(c.memory_bytes == Approx(weight_load + 64 * 32 / 8.0));  // data + mask of the weight
    }
}

TEST_CASE("cost model: energy is the power model's for the same activity", "[mapper]") {
    const AcceleratorConfig edge = load_accelerator("acceltran-edge", kConfigs);
    const power::Technology tech = power::load_technology(edge.technology, kConfigs);
    const OpCostModel model(edge, tech);
    const OpShape shape = costmodel_matmul(4, 128, 256, 128);
    const OpCost c = model.evaluate(shape, costmodel_choice(16, 32, "b_k_i_j"));
    REQUIRE(c.fits);
    power::RunActivity a;
    a.cycles = c.cycles;
    a.lane_busy_unit_cycles = c.busy_unit_cycles;
    a.pre_sparsity_tiles = 4 * 8 * 8 * 4;  // tiles of (1, 16, 32): 4 x 8 x 8 outputs x 4 k steps
    a.post_sparsity_tiles = 4 * 8 * 8;
    for (int b = 0; b < 3; ++b) {
        a.buffer_bytes[b] = c.buffer_bytes[b];
        a.buffer_busy_cycles[b] = c.buffer_cycles[b];
    }
    a.memory_bytes = c.memory_bytes;
    CHECK(c.energy_j == Approx(power::energy(edge, tech, a).total()).epsilon(1e-9));
    CHECK(c.seconds == Approx(c.cycles / 700e6));
    CHECK(c.edp() == Approx(c.energy_j * c.seconds));
}

TEST_CASE("cost model: buffer fit, main-memory blocks and their pipeline", "[mapper]") {
    AcceleratorConfig small = load_accelerator("acceltran-edge", kConfigs);
    small.weight_buffer.size_mb = 1.0;  // 1 MiB of weights: 1,048,576 / 1.25 = 838,860 values
    const OpCostModel model(small, power::load_technology(small.technology, kConfigs));
    // 1024 x 1024 weight = 1.25 MiB of data: does not fit whole.
    const OpShape big = costmodel_matmul(1, 256, 1024, 1024);
    MappingChoice whole = costmodel_choice(16, 16, "b_i_j_k");
    CHECK_FALSE(model.evaluate(big, whole).fits);
    // Column blocks of 256: two slices of 0.31 MiB fit; the whole weight does not, so it is
    // reloaded for every row block (one here) and each slice double-buffered.
    MappingChoice columns = whole;
    columns.block.columns = 256;
    const OpCost blocked = model.evaluate(big, columns);
    REQUIRE(blocked.fits);
    CHECK(blocked.blocks == 4);
    CHECK(blocked.double_buffered);
    // A, an activation a producer left in the buffer, is spilled whole first; then the blocks load
    // A, the weight once, and store the output: data at 0.5 x 20 bits plus masks.
    const auto data_and_mask = [](double e) { return e * 1.25 + e / 8; };
    const double spill = data_and_mask(256.0 * 1024);
    const double bytes = data_and_mask(256.0 * 1024) * 2 + 1024.0 * 1024 * (1.25 + 0.125);
    CHECK(blocked.memory_bytes == Approx(spill + bytes));
    const double latency = small.main_memory.latency_ns * 0.7;  // cycles at 700 MHz
    const double spill_cycles = spill / small.memory_bytes_per_cycle() + latency;
    CHECK(blocked.memory_cycles == Approx(spill_cycles + bytes / small.memory_bytes_per_cycle() + 4 * latency));
    // The spill on its own, then the longest chain of §6.4 over the blocks' transfers (each the
    // memory's and a buffer's latency, two channels on one port): here every block is 256 x 256
    // outputs, 256 output tiles of 16 x 16 on 1,024 lanes, one tile per lane as for the whole op,
    // so each block's core time is the op's and four blocks run side by side.
    const double bw = small.memory_bytes_per_cycle(), transfer = latency + 1;
    const auto dma = [&](double transfers, double b) { return std::max(b / bw, (transfers * transfer + b / bw) / 2); };
    const double core = std::max({blocked.compute_cycles, blocked.buffer_cycles[0], blocked.buffer_cycles[1],
                                  blocked.buffer_cycles[2]});
    const double a_bytes = data_and_mask(256.0 * 1024), slice = 1024.0 * 256 * (1.25 + 0.125),
                 out_slice = data_and_mask(256.0 * 256);
    const double first_in = dma(2, a_bytes + slice);  // the A rows and the first weight slice
    const double loads = a_bytes + 4 * slice, stores = 4 * out_slice;
    const double stagger = std::max(0.0, dma(5, loads) - first_in);  // the four blocks' loads
    const double last_out = std::max(dma(1, out_slice), dma(4, stores) - stagger);
    CHECK(blocked.cycles == Approx(spill_cycles + std::max({first_in + core + last_out, first_in + core + dma(4, stores),
                                                            dma(5, loads) + core + last_out, dma(9, loads + stores)})));

    // Attention (a batched B, the keys): blocked by rows, its keys are spilled once and loaded
    // again for every row block of their batch entry (buffer_planner.cpp, plan_blocked).
    OpShape scores = costmodel_matmul(4, 128, 128, 64);
    scores.b_weight = false;
    scores.b_batched = true;
    MappingChoice row_blocks = whole;
    row_blocks.block = workloads::MemoryBlock{1, 32, 0};
    const OpCost attention = model.evaluate(scores, row_blocks);
    REQUIRE(attention.fits);
    CHECK(attention.blocks == 16);
    const double a = data_and_mask(4.0 * 128 * 64), keys = data_and_mask(4.0 * 64 * 128),
                 out = data_and_mask(4.0 * 128 * 128);
    CHECK(attention.memory_bytes == Approx(2 * a + keys * (1 + 4) + out));

    // GELU blocked by columns: 4 blocks, each with its slice of the input.
    OpShape gelu;
    gelu.kind = workloads::OpKind::Gelu;
    gelu.batch = 1;
    gelu.m = 128;
    gelu.n = 1024;
    MappingChoice gelu_columns = whole;
    gelu_columns.block.columns = 256;
    const OpCost gelu_cost = model.evaluate(gelu, gelu_columns);
    REQUIRE(gelu_cost.fits);
    CHECK(gelu_cost.blocks == 4);
    CHECK(gelu_cost.memory_bytes == Approx(3 * data_and_mask(128.0 * 1024)));  // spill, load, store

    // An op that fits whole: its activations stay on chip, only the weight comes from memory;
    // blocking it only adds traffic.
    const OpShape fits = costmodel_matmul(4, 128, 128, 128);
    const OpCost resident = model.evaluate(fits, whole);
    MappingChoice rows = whole;
    rows.block = workloads::MemoryBlock{1, 64, 0};
    const OpCost by_rows = model.evaluate(fits, rows);
    REQUIRE(resident.fits);
    REQUIRE(by_rows.fits);
    CHECK(resident.memory_bytes == Approx(128.0 * 128 * (1.25 + 0.125)));
    CHECK(by_rows.blocks == 8);
    CHECK(by_rows.memory_bytes > resident.memory_bytes);
    CHECK(by_rows.cycles > resident.cycles);  // the same tiles, and the loads and stores on top
}

TEST_CASE("cost model: k blocks stream A and weight slices and keep the partial sums on chip", "[mapper]") {
    AcceleratorConfig small = load_accelerator("acceltran-edge", kConfigs);
    small.activation_buffer.size_mb = small.weight_buffer.size_mb = small.mask_buffer.size_mb = 64.0 / 1024;
    const OpCostModel model(small, power::load_technology(small.technology, kConfigs));
    // BERT-Base's FFN W2 at 128 tokens: a 128 x 3072 A, a 3072 x 768 weight. One row of A is
    // 3072 · 1.25 = 3,840 bytes, so a block of 64 rows without a k cut needs 240 KiB: never fits.
    const OpShape w2 = costmodel_matmul(1, 128, 768, 3072);
    MappingChoice c = costmodel_choice(16, 16, "b_i_j_k");
    c.block = workloads::MemoryBlock{1, 64, 64, false, 0};
    CHECK_FALSE(model.evaluate(w2, c).fits);
    // Depth 256: per k block a 64 x 256 A slice (20,480 B) and a 256 x 64 weight slice (20,480 B),
    // and the 64 x 64 partial sum, dense (10,240 B): twice 30,720 B of activations fit 64 KiB.
    c.block.depth = 256;
    const OpCost d256 = model.evaluate(w2, c);
    REQUIRE(d256.fits);
    CHECK(d256.double_buffered);
    CHECK(d256.blocks == 2 * 12 * 12);  // row blocks x column blocks x k blocks
    // Main memory: A spilled once and loaded once per column block, the weight once per row
    // block, the finished output stored once at its own density (the dense partial-sum slice is
    // finished by the last k block: buffer_planner.cpp's store after a block).
    const auto data_and_mask = [](double e) { return e * 1.25 + e / 8; };
    const double a = data_and_mask(128.0 * 3072), w = data_and_mask(3072.0 * 768);
    const double out = data_and_mask(128.0 * 768);
    CHECK(d256.memory_bytes == Approx(a + 12 * a + 2 * w + out));
    // The partial sums stay in the activation buffer: with k innermost in the tile loop each
    // boundary between k blocks writes and reads every output once, dense (20 bits). Depth 512
    // has 6 k blocks (5 boundaries) against 12 (11): the difference is 2 · 6 · 128 · 768 · 2.5 B,
    // all else equal.
    c.block.depth = 512;
    const OpCost d512 = model.evaluate(w2, c);
    REQUIRE(d512.fits);
    CHECK_FALSE(d512.double_buffered);  // 2 · (40,960 + 10,240) B of activations exceed 64 KiB
    CHECK(d256.buffer_bytes[0] - d512.buffer_bytes[0] == Approx(2.0 * 6 * 128 * 768 * 2.5));
    CHECK(d256.memory_bytes == Approx(d512.memory_bytes));
    // Chains of k blocks run side by side only as far as the buffers hold them: with tile (4, 64,
    // 64), a block of all 128 rows, 128 columns and depth 64 is one k step of 2 x 2 output tiles
    // (4,096 cycles each, one per lane) and a chain of 48 of them; one chain's slices (10,240 B of
    // A and 40,960 B of partial sums) leave no room for a second in 64 KiB, so the 6 chains (one
    // per column block) run one after another: at least 6 · 48 · 4,096 cycles. (At batch 4 the
    // TLM model ran the 24 chains in 4.78 M cycles, 24 · 48 · 4,096 = 4.72 M.)
    MappingChoice wide = costmodel_choice(64, 64, "b_k_j_i");
    wide.tile.b = 4;
    wide.block = workloads::MemoryBlock{1, 0, 128, false, 64};
    const OpCost chained = model.evaluate(w2, wide);
    REQUIRE(chained.fits);
    CHECK(chained.cycles >= 6.0 * 48 * 4096);
    CHECK(chained.cycles < 1.2 * 6 * 48 * 4096);
    // Columns outer with a depth is not a mapping the compiler runs.
    c.block.columns_outer = true;
    CHECK_FALSE(model.evaluate(w2, c).fits);

    // The mapspace: on these buffers only its k-blocked points fit this op.
    const Mapspace space(w2, model.default_choice(), true);
    std::uint64_t fit_whole_k = 0, fit_cut = 0;
    for (std::uint64_t i = 0; i < space.size(); ++i) {
        const MappingChoice m = space.at(i);
        if (!model.evaluate(w2, m).fits) continue;
        (m.block.depth > 0 ? fit_cut : fit_whole_k)++;
    }
    CHECK(fit_whole_k == 0);
    CHECK(fit_cut > 0);
}

TEST_CASE("mapspace: product of its choices, every index a distinct mapping", "[mapper]") {
    const AcceleratorConfig edge = load_accelerator("acceltran-edge", kConfigs);
    const OpCostModel model(edge, power::load_technology(edge.technology, kConfigs));
    const OpShape shape = costmodel_matmul(4, 128, 768, 768);
    const Mapspace space(shape, model.default_choice(), true);
    // b {1, 2, 4}, x {4 … 64}, y {4 … 64}, 24 orders, rows {whole, batch 1, 2, (1, 64)}, columns
    // {whole, 64, 128, 256, 512}, each but whole rows outer or columns outer, depth {whole, 64,
    // 128, 256, 512}.
    CHECK(space.size() == 3 * 5 * 5 * 24 * 4 * 9 * 5);
    std::set<std::string> seen;
    for (std::uint64_t i = 0; i < space.size(); i += 7) {
        const MappingChoice c = space.at(i);
        seen.insert(std::to_string(c.tile.b) + std::to_string(c.tile.x) + "," + std::to_string(c.tile.y) +
                    c.loop_order.str() + std::to_string(c.block.batch) + "," + std::to_string(c.block.rows) + "," +
                    std::to_string(c.block.columns) + (c.block.columns_outer ? "c" : "r") + std::to_string(c.block.depth));
    }
    CHECK(seen.size() == (space.size() + 6) / 7);
    std::array<std::size_t, Mapspace::kDimensions> digits{};
    REQUIRE(space.find(model.default_choice(), digits));
    CHECK(space.at(digits).tile.x == 16);
    // Softmax units are synthesized for one tile: one tile, one order, blocks only.
    OpShape softmax = shape;
    softmax.kind = workloads::OpKind::Softmax;
    softmax.k = 0;
    softmax.b_weight = false;
    CHECK(Mapspace(softmax, model.default_choice(), true).size() == 4);
    CHECK(Mapspace(softmax, model.default_choice(), false).size() == 1);
}

TEST_CASE("mapspace search: exhaustive finds the minimum, random and heuristic reach it", "[mapper]") {
    const AcceleratorConfig edge = load_accelerator("acceltran-edge", kConfigs);
    const OpCostModel model(edge, power::load_technology(edge.technology, kConfigs));
    const OpShape shape = costmodel_matmul(1, 128, 256, 256);
    const Mapspace space(shape, model.default_choice(), true);
    const SearchResult all = MapspaceSearch(model, Objective::Edp, SearchKind::Exhaustive, 1, 1).run(shape, space);
    REQUIRE(all.found);
    CHECK(all.evaluated == space.size());
    double minimum = 1e300;
    for (std::uint64_t i = 0; i < space.size(); ++i) {
        const OpCost c = model.evaluate(shape, space.at(i));
        if (c.fits) minimum = std::min(minimum, c.edp());
    }
    CHECK(all.best_value == minimum);
    CHECK(all.p10_relative >= 1.0);
    CHECK(all.median_relative >= all.p10_relative);
    CHECK(all.within_3x_share > 0);
    CHECK(all.within_3x_share <= 1);
    const SearchResult sampled = MapspaceSearch(model, Objective::Edp, SearchKind::Random, 500, 7).run(shape, space);
    CHECK(sampled.evaluated == 500);
    CHECK(sampled.best_value >= minimum);
    // The same seed gives the same search.
    CHECK(MapspaceSearch(model, Objective::Edp, SearchKind::Random, 500, 7).run(shape, space).best_value ==
          sampled.best_value);
    const SearchResult heuristic =
        MapspaceSearch(model, Objective::Edp, SearchKind::Heuristic, 2000, 1).run(shape, space);
    CHECK(heuristic.evaluated == 2000);
    // Coordinate descent from the design's mapping never ends worse than where it started.
    CHECK(heuristic.best_value <= model.evaluate(shape, model.default_choice()).edp());
    CHECK_THROWS_AS(parse_objective("speed"), UsageError);
    CHECK_THROWS_AS(parse_search("greedy"), UsageError);
}

TEST_CASE("cost model: the worked example of docs/mapping.md §8 (BERT-Base Q projection at 512 on Edge)", "[mapper]") {
    const AcceleratorConfig edge = load_accelerator("acceltran-edge", kConfigs);
    const OpCostModel model(edge, power::load_technology(edge.technology, kConfigs));
    const OpShape q = costmodel_matmul(1, 512, 768, 768);
    const OpCost design = model.evaluate(q, model.default_choice());
    REQUIRE(design.fits);
    CHECK(design.busy_unit_cycles == 1536 * 48 * 64);
    CHECK(design.compute_cycles == 6144);
    CHECK(design.buffer_bytes[int(workloads::BufferKind::Activation)] == Approx(24084480));
    CHECK(design.buffer_bytes[int(workloads::BufferKind::Weight)] == Approx(24330240));
    CHECK(design.buffer_bytes[int(workloads::BufferKind::Mask)] == Approx(4841472));
    CHECK(design.memory_bytes == Approx(811008));
    CHECK(design.memory_cycles == Approx(811008 / (25.6e9 / 700e6) + 35));
    CHECK(design.cycles == Approx(6144 + design.memory_cycles));
    // Tiles of 32 x 16: one output tile per lane, each A block read once per k step.
    MappingChoice tall = model.default_choice();
    tall.tile.x = 32;
    const OpCost better = model.evaluate(q, tall);
    CHECK(better.compute_cycles == 6144);
    CHECK(better.buffer_bytes[int(workloads::BufferKind::Weight)] == Approx(12533760));
    CHECK(better.edp() < design.edp());
}

TEST_CASE("cost model: attention blocked by heads fits where the whole op does not", "[mapper]") {
    const AcceleratorConfig edge = load_accelerator("acceltran-edge", kConfigs);
    const OpCostModel model(edge, power::load_technology(edge.technology, kConfigs));
    // BERT-Base's Q.K^T at 512: 12 heads of 512 x 512 scores, 3.75 MiB of output data beside
    // 0.47 MiB each of Q and K: more than the 4 MiB activation buffer (the compiler refuses it).
    OpShape scores = costmodel_matmul(12, 512, 512, 64);
    scores.b_weight = false;
    scores.b_batched = true;
    MappingChoice whole = model.default_choice();
    CHECK_FALSE(model.evaluate(scores, whole).fits);
    // One head per block: Q, K slices and the scores of one head, twice, fit.
    MappingChoice heads = whole;
    heads.block.batch = 1;
    const OpCost blocked = model.evaluate(scores, heads);
    REQUIRE(blocked.fits);
    CHECK(blocked.blocks == 12);
    CHECK(blocked.double_buffered);
    // Q and K spilled by their producers' buffer and loaded once (each head's slice, whole rows:
    // one row block per head), the scores stored once: data and masks.
    const double q = 12.0 * 512 * 64, out = 12.0 * 512 * 512;
    CHECK(blocked.memory_bytes == Approx((2 * 2 * q + out) * (1.25 + 0.125)));
}

TEST_CASE("cost model: smaller buffers are never faster on the same mapping", "[mapper]") {
    const AcceleratorConfig edge = load_accelerator("acceltran-edge", kConfigs);
    AcceleratorConfig small = edge;
    small.activation_buffer.size_mb = small.weight_buffer.size_mb = 0.25;  // bandwidth (banks) unchanged
    small.mask_buffer.size_mb = 0.0625;
    const power::Technology tech = power::load_technology(edge.technology, kConfigs);
    const OpCostModel large_model(edge, tech), small_model(small, tech);
    const OpShape shape = costmodel_matmul(4, 128, 1024, 768);
    const Mapspace space(shape, large_model.default_choice(), true);
    int compared = 0;
    for (std::uint64_t i = 0; i < space.size(); i += 13) {
        const MappingChoice c = space.at(i);
        const OpCost large = large_model.evaluate(shape, c), tight = small_model.evaluate(shape, c);
        if (!tight.fits) continue;
        REQUIRE(large.fits);  // what fits a small buffer fits a large one
        CHECK(tight.cycles >= large.cycles);
        ++compared;
    }
    CHECK(compared > 100);
}
