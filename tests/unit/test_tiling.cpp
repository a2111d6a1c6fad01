#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include <map>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "workloads/tiling.h"

using namespace acceltran;
using namespace acceltran::workloads;

namespace {

Op make_op(OpKind kind, std::int64_t batch, std::int64_t m, std::int64_t n, std::int64_t k,
           bool b_batched = false) {
    Op op;
    op.name = "op";
    op.kind = kind;
    op.batch = batch;
    op.m = m;
    op.n = n;
    op.k = k;
    op.b_batched = b_batched;
    return op;
}

// nb 2 (batch 3 by 2), ni 3 (40 by 16), nj 3 (40 by 16), nk 2 (24 by 16): edge tiles everywhere.
TileGrid grid_a(bool b_batched = false) {
    return make_tile_grid(make_op(OpKind::MatMul, 3, 40, 40, 24, b_batched), {2, 16, 16});
}
// nb 3, ni 1, nj 3, nk 4 with a batched B (as Q.K^T).
TileGrid grid_batched() {
    return make_tile_grid(make_op(OpKind::MatMul, 5, 16, 33, 50, true), {2, 16, 16});
}
// nb 1, ni 1, nj 3, nk 3.
TileGrid grid_deep() { return make_tile_grid(make_op(OpKind::MatMul, 1, 16, 48, 40), {1, 16, 16}); }
// Element-wise: nb 2, ni 3, nj 2, nk 1.
TileGrid grid_softmax() {
    return make_tile_grid(make_op(OpKind::Softmax, 3, 40, 20, 0), {2, 16, 16});
}

using Key = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>;
Key key(const TileIndex& t) { return {t.b, t.i, t.j, t.k}; }
Key out_key(const TileIndex& t) { return {t.b, t.i, t.j, 0}; }

// The reference: the plain four-level loop nest.
std::vector<TileIndex> full_nest(const TileGrid& g, const LoopOrder& order) {
    std::vector<TileIndex> tiles;
    const auto& l = order.letters();
    auto extent = [&](char c) { return c == 'b' ? g.nb : c == 'i' ? g.ni : c == 'j' ? g.nj : g.nk; };
    auto set = [](TileIndex& t, char c, std::int64_t v) {
        (c == 'b' ? t.b : c == 'i' ? t.i : c == 'j' ? t.j : t.k) = v;
    };
    TileIndex t;
    for (std::int64_t v0 = 0; v0 < extent(l[0]); ++v0) {
        set(t, l[0], v0);
        for (std::int64_t v1 = 0; v1 < extent(l[1]); ++v1) {
            set(t, l[1], v1);
            for (std::int64_t v2 = 0; v2 < extent(l[2]); ++v2) {
                set(t, l[2], v2);
                for (std::int64_t v3 = 0; v3 < extent(l[3]); ++v3) {
                    set(t, l[3], v3);
                    tiles.push_back(t);
                }
            }
        }
    }
    return tiles;
}

std::vector<TileStep> walk_tiles(const TileGrid& g, const LoopOrder& order, std::uint64_t first,
                          std::uint64_t end) {
    LaneTileSequence seq(g, order, first, end);
    std::vector<TileStep> steps;
    TileStep step;
    while (seq.next(step)) steps.push_back(step);
    return steps;
}

std::vector<TileIndex> indices(const std::vector<TileStep>& steps) {
    std::vector<TileIndex> out;
    for (const auto& s : steps) out.push_back(s.index);
    return out;
}

using Ranges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

// One range; ranges of one output; uneven chunks 1, 2, 3, 5, 8, ...; more units than outputs
// (some ranges empty), as the simulator's even split gives.
std::vector<Ranges> partitions(std::uint64_t outputs) {
    std::vector<Ranges> result;
    result.push_back({{0, outputs}});
    Ranges ones, uneven, spread;
    for (std::uint64_t o = 0; o < outputs; ++o) ones.push_back({o, o + 1});
    const std::uint64_t chunk[] = {1, 2, 3, 5, 8};
    for (std::uint64_t o = 0, c = 0; o < outputs; ++c) {
        const std::uint64_t e = std::min(outputs, o + chunk[c % 5]);
        uneven.push_back({o, e});
        o = e;
    }
    const std::uint64_t units = outputs + 3;
    for (std::uint64_t u = 0; u < units; ++u) {
        spread.push_back({u * outputs / units, (u + 1) * outputs / units});
    }
    result.push_back(ones);
    result.push_back(uneven);
    result.push_back(spread);
    return result;
}

struct Counts {
    int read_a = 0, read_b = 0, read_psum = 0, write_psum = 0, write_output = 0;
};
Counts count_steps(const std::vector<TileStep>& steps) {
    Counts c;
    for (const auto& s : steps) {
        c.read_a += s.read_a;
        c.read_b += s.read_b;
        c.read_psum += s.read_psum;
        c.write_psum += s.write_psum;
        c.write_output += s.write_output;
    }
    return c;
}

}  // namespace

TEST_CASE("every loop order covers every output tile and every k step exactly once",
          "[tiling]") {
    const std::vector<TileGrid> grids = {grid_a(), grid_a(true), grid_batched(), grid_deep(),
                                         grid_softmax()};
    for (const auto& g : grids) {
        for (const auto& order : LoopOrder::all()) {
            const auto full = full_nest(g, order);
            REQUIRE(full.size() == g.tiles());
            for (const auto& ranges : partitions(g.output_tiles())) {
                INFO("order " << order.str() << ", " << ranges.size() << " ranges");
                std::map<Key, int> seen;
                for (const auto& [first, end] : ranges) {
                    LaneTileSequence seq(g, order, first, end);
                    const auto steps = walk_tiles(g, order, first, end);
                    CHECK(seq.size() == (end - first) * g.nk);
                    CHECK(steps.size() == seq.size());

                    // Exactly the loop nest restricted to the range's outputs, in nest order.
                    std::vector<TileIndex> expected;
                    for (const auto& t : full) {
                        const auto o = output_ordinal(g, order, t);
                        if (o >= first && o < end) expected.push_back(t);
                    }
                    CHECK(indices(steps) == expected);

                    std::map<Key, std::int64_t> last_k;  // per output
                    std::set<Key> psum_written;           // (b, i, j, k) whose psum was spilled
                    for (const auto& s : steps) {
                        ++seen[key(s.index)];
                        const auto o = out_key(s.index);
                        const auto prev = last_k.count(o) ? last_k[o] : -1;
                        CHECK(s.index.k == prev + 1);
                        last_k[o] = s.index.k;
                        CHECK(s.write_output == (s.index.k == g.nk - 1));
                        // A spilled partial sum is read back exactly when the next k step
                        // of that output starts, and never otherwise.
                        TileIndex before = s.index;
                        before.k -= 1;
                        CHECK(s.read_psum == (psum_written.count(key(before)) == 1));
                        if (s.write_psum) psum_written.insert(key(s.index));
                    }
                    for (const auto& [o, k] : last_k) CHECK(k == g.nk - 1);
                }
                CHECK(seen.size() == g.tiles());
                for (const auto& [k, n] : seen) CHECK(n == 1);
            }
        }
    }
}

TEST_CASE("one range over all outputs is the full loop nest", "[tiling]") {
    for (const auto& g : {grid_a(), grid_batched(), grid_softmax()}) {
        for (const auto& order : LoopOrder::all()) {
            INFO(order.str());
            CHECK(indices(walk_tiles(g, order, 0, g.output_tiles())) == full_nest(g, order));
        }
    }
}

TEST_CASE("b_i_j_k keeps each output's k chain together: no partial sums", "[tiling]") {
    const auto order = LoopOrder::parse("b_i_j_k");
    for (const auto& g : {grid_a(), grid_batched(), grid_deep()}) {
        for (const auto& ranges : partitions(g.output_tiles())) {
            for (const auto& [first, end] : ranges) {
                const auto c = count_steps(walk_tiles(g, order, first, end));
                CHECK(c.read_psum == 0);
                CHECK(c.write_psum == 0);
                CHECK(std::uint64_t(c.write_output) == end - first);
            }
        }
    }
}

TEST_CASE("k_b_i_j interleaves outputs, so partial sums spill and come back", "[tiling]") {
    const auto order = LoopOrder::parse("k_b_i_j");
    const auto g = grid_deep();  // nb 1, ni 1, nj 3, nk 3
    // Range [0, 2) = outputs j0, j1. Order: (j0,k0) (j1,k0) (j0,k1) (j1,k1) (j0,k2) (j1,k2).
    // Every k0 and k1 step is followed by the other output: 4 writes of partial sums; every k1
    // and k2 step follows the other output: 4 reads. A(b,i,k) is shared by j0 and j1: read on
    // the first step of each k (3). B(k,j) changes on every step (6).
    const auto steps = walk_tiles(g, order, 0, 2);
    const std::vector<TileIndex> expected = {{0, 0, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1},
                                             {0, 0, 1, 1}, {0, 0, 0, 2}, {0, 0, 1, 2}};
    CHECK(indices(steps) == expected);
    const auto c = count_steps(steps);
    CHECK(c.write_psum == 4);
    CHECK(c.read_psum == 4);
    CHECK(c.write_output == 2);
    CHECK(c.read_a == 3);
    CHECK(c.read_b == 6);
    CHECK(steps[0].write_psum);
    CHECK_FALSE(steps[0].read_psum);
    CHECK(steps[2].read_psum);
    CHECK(steps[2].write_psum);
    CHECK(steps[4].read_psum);
    CHECK_FALSE(steps[4].write_psum);

    // A range of one output runs its k chain back to back.
    const auto single = count_steps(walk_tiles(g, order, 2, 3));
    CHECK(single.read_psum == 0);
    CHECK(single.write_psum == 0);

    // grid_a over all 18 outputs, nk 2: every k0 step spills (18), every k1 step reads (18).
    const auto ga = grid_a();
    const auto all = count_steps(walk_tiles(ga, order, 0, ga.output_tiles()));
    CHECK(all.write_psum == 18);
    CHECK(all.read_psum == 18);
    CHECK(all.write_output == 18);
}

TEST_CASE("b_i_k_j reuses the A block across j", "[tiling]") {
    const auto order = LoopOrder::parse("b_i_k_j");
    const auto g = grid_a();  // nb 2, ni 3, nj 3, nk 2
    // k-less order b_i_j: outputs 1, 2 are (b0,i0,j1..2), outputs 3, 4 are (b0,i1,j0..1).
    // Per (b, i) the k loop runs outside j, so the range gives four runs of two tiles that
    // share (b, i, k): A is read on the first tile of each run only (4 of 8). B (k, j) differs
    // between neighbours (8). Each output's k0 step is followed by another output (4 spills,
    // 4 reads back).
    const auto steps = walk_tiles(g, order, 1, 5);
    const std::vector<TileIndex> expected = {{0, 0, 1, 0}, {0, 0, 2, 0}, {0, 0, 1, 1},
                                             {0, 0, 2, 1}, {0, 1, 0, 0}, {0, 1, 1, 0},
                                             {0, 1, 0, 1}, {0, 1, 1, 1}};
    REQUIRE(indices(steps) == expected);
    for (std::size_t s = 0; s < steps.size(); ++s) CHECK(steps[s].read_a == (s % 2 == 0));
    const auto c = count_steps(steps);
    CHECK(c.read_a == 4);
    CHECK(c.read_b == 8);
    CHECK(c.write_psum == 4);
    CHECK(c.read_psum == 4);

    // All 36 tiles: one A read per (b, i, k) run, nb*ni*nk = 12.
    CHECK(count_steps(walk_tiles(g, order, 0, g.output_tiles())).read_a == 12);
}

TEST_CASE("k_j_b_i reuses a weight B block across b and i", "[tiling]") {
    const auto order = LoopOrder::parse("k_j_b_i");
    // Weights: for each (k, j) the b and i loops run 2*3 = 6 tiles on the same B block, so B is
    // read nk*nj = 6 times for 36 tiles. i is innermost and changes on every step (at a b or j
    // boundary it wraps 2 -> 0), so A is never reused (36).
    const auto g = grid_a();
    const auto c = count_steps(walk_tiles(g, order, 0, g.output_tiles()));
    CHECK(c.read_b == 6);
    CHECK(c.read_a == 36);

    // Range [0, 3) = outputs (j0, b0, i0..2): three tiles at k0 then three at k1, one B read
    // per k.
    CHECK(count_steps(walk_tiles(g, order, 0, 3)).read_b == 2);

    // A batched B has a block per batch entry: reuse only within (k, j, b), nk*nj*nb = 12 reads.
    const auto gb = grid_a(true);
    CHECK(count_steps(walk_tiles(gb, order, 0, gb.output_tiles())).read_b == 12);
}

TEST_CASE("element-wise tiles read one input, never B or partial sums", "[tiling]") {
    const auto g = grid_softmax();
    for (const auto& order : LoopOrder::all()) {
        const auto steps = walk_tiles(g, order, 0, g.output_tiles());
        CHECK(steps.size() == 12);
        for (const auto& s : steps) {
            CHECK(s.read_a);
            CHECK_FALSE(s.read_b);
            CHECK_FALSE(s.read_psum);
            CHECK_FALSE(s.write_psum);
            CHECK(s.write_output);
        }
    }
}

TEST_CASE("tile grid geometry, edge tiles and MACs", "[tiling]") {
    const auto g = grid_a();
    CHECK(g.matmul);
    CHECK_FALSE(g.b_batched);
    CHECK(g.batch == 3);
    CHECK(g.k == 24);
    CHECK(g.nb == 2);
    CHECK(g.ni == 3);
    CHECK(g.nj == 3);
    CHECK(g.nk == 2);
    CHECK(g.tiles() == 36);
    CHECK(g.output_tiles() == 18);

    // Full tile: 2 x 16 x 16 A and output, 16 x 16 B, 2*16*16*16 MACs.
    const TileIndex full{0, 0, 0, 0};
    CHECK(g.a_elements(full) == 512);
    CHECK(g.b_elements(full) == 256);
    CHECK(g.out_elements(full) == 512);
    CHECK(g.macs(full) == 8192);

    // Last tile on every axis: batch 3 - 2 = 1, m 40 - 32 = 8, n 40 - 32 = 8, k 24 - 16 = 8.
    const TileIndex edge{1, 2, 2, 1};
    CHECK(g.rows_b(1) == 1);
    CHECK(g.rows_i(2) == 8);
    CHECK(g.cols_j(2) == 8);
    CHECK(g.depth_k(1) == 8);
    CHECK(g.a_elements(edge) == 64);
    CHECK(g.b_elements(edge) == 64);
    CHECK(g.out_elements(edge) == 64);
    CHECK(g.macs(edge) == 512);

    // A batched B carries one block per batch entry of the tile.
    const auto gb = grid_a(true);
    CHECK(gb.b_batched);
    CHECK(gb.b_elements(full) == 512);
    CHECK(gb.b_elements({0, 2, 2, 1}) == 128);
    CHECK(gb.b_elements(edge) == 64);

    // Element-wise: no k and no B; the last tile is 1 x 8 x 4 (n 20 - 16).
    const auto s = grid_softmax();
    CHECK_FALSE(s.matmul);
    CHECK(s.k == 0);
    CHECK(s.nk == 1);
    CHECK(s.nj == 2);
    const TileIndex last{1, 2, 1, 0};
    CHECK(s.depth_k(0) == 0);
    CHECK(s.a_elements(last) == 32);
    CHECK(s.b_elements(last) == 0);
    CHECK(s.out_elements(last) == 32);
    CHECK(s.macs(last) == 0);

    // An element-wise op carrying a stray k still tiles without one.
    const auto gelu = make_tile_grid(make_op(OpKind::Gelu, 1, 16, 16, 99), {1, 16, 16});
    CHECK(gelu.k == 0);
    CHECK(gelu.nk == 1);

    CHECK_THROWS_AS(make_tile_grid(make_op(OpKind::MatMul, 1, 16, 16, 16), {1, 0, 16}),
                    std::invalid_argument);
}

TEST_CASE("tile MACs and outputs add up to the op's", "[tiling]") {
    const std::vector<Op> ops = {make_op(OpKind::MatMul, 3, 40, 40, 24),
                                 make_op(OpKind::MatMul, 5, 16, 33, 50, true),
                                 make_op(OpKind::MatMul, 7, 50, 17, 129),
                                 make_op(OpKind::LayerNorm, 3, 40, 20, 0)};
    const std::vector<TileShape> shapes = {{1, 16, 16}, {2, 16, 16}, {4, 8, 32}};
    for (const auto& op : ops) {
        for (const auto& shape : shapes) {
            const auto g = make_tile_grid(op, shape);
            std::uint64_t macs = 0, out = 0;
            for (const auto& s : walk_tiles(g, LoopOrder::parse("j_k_b_i"), 0, g.output_tiles())) {
                macs += g.macs(s.index);
                if (s.write_output) out += g.out_elements(s.index);
            }
            CHECK(macs == std::uint64_t(op.macs()));
            CHECK(out == std::uint64_t(op.out_elements()));
        }
    }
}

TEST_CASE("range_has_short_tile agrees with looking at every output of every range, in every loop order",
          "[tiling]") {
    std::string letters = "bijk";
    const TileGrid ragged = grid_a();                                                      // short tiles in b, i, j
    const TileGrid even = make_tile_grid(make_op(OpKind::MatMul, 4, 32, 48, 32), {2, 16, 16});  // none
    const TileGrid ragged_j = make_tile_grid(make_op(OpKind::Gelu, 4, 32, 40, 0), {2, 16, 16});  // in j only
    for (const TileGrid* g : {&ragged, &even, &ragged_j}) {
        std::sort(letters.begin(), letters.end());
        do {
            const LoopOrder order = LoopOrder::parse(std::string{letters[0], '_', letters[1], '_', letters[2], '_', letters[3]});
            // Ordinal -> whether that output tile is short along b, i or j.
            std::vector<bool> short_at(g->output_tiles());
            for (std::int64_t b = 0; b < g->nb; ++b)
                for (std::int64_t i = 0; i < g->ni; ++i)
                    for (std::int64_t j = 0; j < g->nj; ++j) {
                        const TileIndex t{b, i, j, 0};
                        short_at[output_ordinal(*g, order, t)] =
                            g->rows_b(b) < g->rows_b(0) || g->rows_i(i) < g->rows_i(0) || g->cols_j(j) < g->cols_j(0);
                    }
            for (std::uint64_t first = 0; first <= short_at.size(); ++first)
                for (std::uint64_t end = first; end <= short_at.size(); ++end) {
                    bool want = false;
                    for (std::uint64_t o = first; o < end; ++o) want = want || short_at[o];
                    INFO(letters << " [" << first << ", " << end << ")");
                    CHECK(range_has_short_tile(*g, order, first, end) == want);
                }
        } while (std::next_permutation(letters.begin(), letters.end()));
    }
}

TEST_CASE("loop order parsing", "[tiling]") {
    CHECK(LoopOrder().str() == "b_i_j_k");
    CHECK(LoopOrder::parse("b_i_j_k") == LoopOrder());
    CHECK(LoopOrder::parse("bijk") == LoopOrder());
    CHECK(LoopOrder::parse("K_J_B_I").str() == "k_j_b_i");
    CHECK(LoopOrder::parse("jkib").str() == "j_k_i_b");
    const std::array<char, 4> letters = {'i', 'k', 'b', 'j'};
    CHECK(LoopOrder::parse("i_k_b_j").letters() == letters);

    for (const std::string bad : {"b_i_j", "b_i_i_k", "x_i_j_k", "", "bij", "b_i_j_k_",
                                  "b-i-j-k", "b_ijk", "bbjk"}) {
        INFO("input \"" << bad << "\"");
        try {
            LoopOrder::parse(bad);
            FAIL("accepted");
        } catch (const InputError& e) {
            const std::string msg = e.what();
            CHECK(msg.find("\"" + bad + "\"") != std::string::npos);
            CHECK(msg.find("permutation") != std::string::npos);
            CHECK(msg.find("b_i_j_k") != std::string::npos);
        }
    }
}

TEST_CASE("the 24 loop orders", "[tiling]") {
    const auto orders = LoopOrder::all();
    REQUIRE(orders.size() == 24);
    std::set<std::string> names;
    for (std::size_t o = 0; o < orders.size(); ++o) {
        names.insert(orders[o].str());
        CHECK(LoopOrder::parse(orders[o].str()) == orders[o]);
        if (o > 0) CHECK(orders[o - 1].str() < orders[o].str());
    }
    CHECK(names.size() == 24);
    CHECK(orders.front().str() == "b_i_j_k");
    CHECK(orders.back().str() == "k_j_i_b");
}

TEST_CASE("output ordinals number the outputs in k-less loop order", "[tiling]") {
    for (const auto& g : {grid_a(), grid_batched(), grid_softmax()}) {
        for (const auto& order : LoopOrder::all()) {
            std::set<std::uint64_t> seen;
            for (std::int64_t b = 0; b < g.nb; ++b) {
                for (std::int64_t i = 0; i < g.ni; ++i) {
                    for (std::int64_t j = 0; j < g.nj; ++j) {
                        const auto o = output_ordinal(g, order, {b, i, j, 0});
                        CHECK(o < g.output_tiles());
                        seen.insert(o);
                        // k plays no part.
                        CHECK(output_ordinal(g, order, {b, i, j, g.nk - 1}) == o);
                    }
                }
            }
            CHECK(seen.size() == g.output_tiles());
        }
    }
    // grid_a: nb 2, ni 3, nj 3.
    const auto g = grid_a();
    CHECK(output_ordinal(g, LoopOrder(), {1, 2, 1, 1}) == (1 * 3 + 2) * 3 + 1);
    CHECK(output_ordinal(g, LoopOrder::parse("j_k_b_i"), {1, 2, 1, 0}) == (1 * 2 + 1) * 3 + 2);
}

TEST_CASE("a sequence does work only for its own range", "[tiling]") {
    // nb 4, ni 8, nj 192, nk 48: 294,912 tiles; the unit gets 3 outputs.
    const auto g = make_tile_grid(make_op(OpKind::MatMul, 4, 128, 3072, 768), {1, 16, 16});
    REQUIRE(g.nj == 192);
    REQUIRE(g.nk == 48);
    // 1024 on every axis: 2^40 tiles, which a walk over the whole op could not finish.
    const auto huge =
        make_tile_grid(make_op(OpKind::MatMul, 1024, 16384, 16384, 16384), {1, 16, 16});
    REQUIRE(huge.tiles() == (std::uint64_t(1) << 40));
    for (const auto& order : LoopOrder::all()) {
        INFO(order.str());
        for (const auto& [grid, first] : {std::pair{g, std::uint64_t(1000)},
                                          std::pair{huge, (std::uint64_t(1) << 29) - 1}}) {
            LaneTileSequence seq(grid, order, first, first + 3);
            CHECK(seq.size() == 3 * std::uint64_t(grid.nk));
            std::uint64_t produced = 0;
            TileStep step;
            while (seq.next(step)) {
                ++produced;
                const auto o = output_ordinal(grid, order, step.index);
                CHECK((o >= first && o < first + 3));
            }
            CHECK(produced == seq.size());
        }
    }
}

TEST_CASE("sequence ranges are checked", "[tiling]") {
    const auto g = grid_a();
    CHECK_THROWS_AS(LaneTileSequence(g, LoopOrder(), 3, 2), std::invalid_argument);
    CHECK_THROWS_AS(LaneTileSequence(g, LoopOrder(), 0, 19), std::invalid_argument);
    LaneTileSequence empty(g, LoopOrder(), 18, 18);
    CHECK(empty.size() == 0);
    TileStep step;
    CHECK_FALSE(empty.next(step));
    LaneTileSequence last(g, LoopOrder(), 17, 18);
    CHECK(last.size() == 2);
}
