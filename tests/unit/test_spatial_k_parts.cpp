// The reduction k split across units (`spatial: {k_parts: P}`, docs/mapping.md §1.2): the
// mapping file reads it with located errors, the compiler gives the op's compute entry the
// parts and a reduction pass after it, the tile sequence starts each part's partial sum from
// zero, the job split hands out groups x parts, and the cost model and the mapspace price and
// offer it (figures by hand).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "core/errors.h"
#include "explore/mapspace.h"
#include "explore/mapspace_search.h"
#include "explore/op_cost_model.h"
#include "modules/power/technology.h"
#include "modules/tlm/job_split.h"
#include "tests/unit/shipped_design.h"
#include "workloads/buffer_planner.h"
#include "workloads/graph_builder.h"
#include "workloads/mapping_file.h"
#include "workloads/mapping_plan.h"
#include "workloads/model_spec.h"

using acceltran::testing::kConfigs;
using acceltran::testing::kModelsDir;
using acceltran::testing::shipped;
using Catch::Matchers::Contains;

namespace {

namespace wl = acceltran::workloads;

// BERT-Tiny at sequence 1, batch 1 on Edge: every matmul has m = 1, a decode step's shape.
// l0.ffn.out is 1 x 1 x 128 x 512: 8 output tiles of 1 x 16, 32 k steps of 16.
struct KPartsFixture {
    // small_weights: a 64 KiB weight buffer, where the graph builder splits W2 (90 KB) in depth.
    explicit KPartsFixture(bool small_weights = false) : options(shipped("acceltran-edge")) {
        if (small_weights) options.capacity[int(wl::BufferKind::Weight)] = 64u << 10;
        graph = wl::build_op_graph(wl::load_model("bert-tiny", kModelsDir), 1, 1, options);
        plan = wl::MappingPlan::derive(graph, options);
    }
    wl::MappingDirectives read(const std::string& text) const {
        return wl::MappingFile::parse(text, "m.yaml").directives(graph, plan, options);
    }
    std::string error(const std::string& text) const {
        try {
            read(text);
        } catch (const acceltran::InputError& e) {
            return e.what();
        }
        return "";
    }
    wl::TiledProgram compile(const std::string& text) const {
        wl::CompileOptions o = options;
        o.op_directives = read(text).ops;
        return wl::compile_program(graph, o);
    }
    wl::CompileOptions options;
    wl::OpGraph graph;
    wl::MappingPlan plan;
};

std::vector<const wl::ProgramEntry*> kparts_computes_of(const wl::TiledProgram& p, int op) {
    std::vector<const wl::ProgramEntry*> out;
    for (const wl::ProgramEntry& e : p.entries)
        if (e.kind == wl::EntryKind::Compute && e.op == op) out.push_back(&e);
    return out;
}

}  // namespace

TEST_CASE("k parts: the mapping file reads spatial k_parts and refuses what cannot work, with the line",
          "[mapping][spatial]") {
    const KPartsFixture f;
    const int w2 = f.graph.op("l0.ffn.out").id;
    CHECK(f.read("ops:\n  - op: l0.ffn.out\n    spatial: {k_parts: 8}\n").ops[std::size_t(w2)].k_parts == 8);
    CHECK(f.read("ops:\n  - op: l0.ffn.out\n    spatial: {k_parts: 1}\n").ops[std::size_t(w2)].k_parts == 1);
    CHECK(f.read("ops:\n  - op: l0.ffn.out\n").ops[std::size_t(w2)].k_parts == 1);
    // 512 / 16 = 32 k tiles; with an entry's own tile y = 64, 8.
    CHECK(f.read("ops:\n  - op: l0.ffn.out\n    spatial: {k_parts: 32}\n").ops[std::size_t(w2)].k_parts == 32);
    CHECK_THAT(f.error("ops:\n  - op: l0.ffn.out\n    spatial: {k_parts: 33}\n"),
               Contains("m.yaml:3:") && Contains("ops[0].spatial.k_parts: expected at most 32, the op's k tiles"));
    CHECK_THAT(f.error("ops:\n  - op: l0.ffn.out\n    buffer_tile: {b: 1, x: 16, y: 64}\n    spatial: {k_parts: 9}\n"),
               Contains("m.yaml:4:") && Contains("expected at most 8"));
    CHECK_THAT(f.error("ops:\n  - op: l0.ffn.out\n    spatial: {k_parts: 0}\n"),
               Contains("m.yaml:3:") && Contains("expected an integer of at least 1"));
    CHECK_THAT(f.error("ops:\n  - op: l0.ffn.out\n    spatial: {parts: 2}\n"),
               Contains("m.yaml:3:") && Contains("parts") && Contains("k_parts"));
    CHECK_THAT(f.error("ops:\n  - op: l0.attn.probs\n    spatial: {k_parts: 2}\n"),
               Contains("m.yaml:3:") && Contains("'l0.attn.probs' is a softmax"));
    CHECK_THAT(f.error("ops:\n  - op: l0.ffn.out\n    block: {batch: 1}\n    spatial: {k_parts: 2}\n"),
               Contains("m.yaml:4:") && Contains("cannot be combined with `block`"));
    // A matmul the graph builder split in depth: its add ops sum the parts already.
    const KPartsFixture small(true);
    REQUIRE(small.plan.of("l0.ffn.out").memory_block().kind == wl::WeightSplit::Kind::Depth);
    CHECK_THAT(small.error("ops:\n  - op: l0.ffn.out\n    spatial: {k_parts: 2}\n"),
               Contains("m.yaml:3:") && Contains("'l0.ffn.out' is split in depth by the graph builder"));
    // A fused consumer runs its producer in main-memory blocks.
    CHECK_THAT(f.error("ops:\n  - op: l0.ffn.h1\n    spatial: {k_parts: 2}\n  - op: l0.ffn.gelu1\n    fuse: true\n"),
               Contains("m.yaml:3:") && Contains("fused into 'l0.ffn.h1'") && Contains("k parts run the op whole"));
}

TEST_CASE("k parts: the compiler gives the op's entry its parts and a reduction pass after it",
          "[mapping][spatial]") {
    const KPartsFixture f;
    const wl::Op& w2 = f.graph.op("l0.ffn.out");
    const wl::TiledProgram whole = f.compile("ops: []\n");
    const wl::TiledProgram split = f.compile("ops:\n  - op: l0.ffn.out\n    spatial: {k_parts: 8}\n");
    const auto before = kparts_computes_of(whole, w2.id);
    const auto after = kparts_computes_of(split, w2.id);
    REQUIRE(before.size() == 1);
    REQUIRE(after.size() == 2);
    CHECK(before[0]->grid.k_parts == 1);
    CHECK(after[0]->grid.k_parts == 8);
    CHECK(after[0]->grid.tiles() == 8 * 32);  // the matmul's own tiles, unchanged
    CHECK(after[0]->grid.tiles() == before[0]->grid.tiles());
    const wl::TileGrid& r = after[1]->grid;
    CHECK(r.reduction());
    CHECK(r.reduce_parts == 8);
    CHECK_FALSE(r.matmul);
    CHECK(r.output_tiles() == 8);
    CHECK(r.tiles() == 8 * 8);  // one step per part per output tile
    // The reduction waits for every part.
    const auto first = std::uint32_t(after[0] - split.entries.data());
    CHECK(std::find(after[1]->deps.begin(), after[1]->deps.end(), first) != after[1]->deps.end());
    CHECK(split.totals.macs == whole.totals.macs);
    CHECK(split.totals.tile_ops == whole.totals.tile_ops + 64);
    CHECK(split.totals.compute_entries == whole.totals.compute_entries + 1);
    // The parts' partial sums: 8 dense copies of 128 outputs at 20 bits = 2,560 bytes in the
    // activation buffer, allocated by the parts' entry.
    bool found = false;
    for (std::uint32_t res : after[0]->allocates) {
        const wl::Residency& p = split.residencies[res];
        if (p.tensor == w2.output && p.data_bytes == 2560 && p.mask_bytes == 0 && p.buffer == wl::BufferKind::Activation)
            found = true;
    }
    CHECK(found);
    // --write-mapping writes the choice back.
    wl::CompileOptions o = f.options;
    o.op_directives = f.read("ops:\n  - op: l0.ffn.out\n    spatial: {k_parts: 8}\n").ops;
    std::ostringstream written;
    wl::MappingPlan::derive(f.graph, o).write_yaml(written, "test");
    CHECK_THAT(written.str(), Contains("  - op: l0.ffn.out\n") && Contains("    spatial: {k_parts: 8}\n"));
    CHECK(written.str().find("spatial") == written.str().rfind("spatial"));  // only that op
}

TEST_CASE("k parts: the compiler refuses partial sums that do not fit and the Gemmini template, with the entry's line",
          "[mapping][spatial]") {
    const std::string text = "ops:\n  - op: l0.ffn.out\n    spatial: {k_parts: 8}\n";
    const auto refusal = [&](const KPartsFixture& f) {
        try {
            f.compile(text);
        } catch (const acceltran::InputError& e) {
            return std::string(e.what());
        }
        return std::string("compiled");
    };
    // 8 dense copies of W2's 128 outputs: 2,560 bytes, above a 2 KiB activation buffer (which
    // holds the op whole: its input and output take 864 bytes).
    KPartsFixture small;
    small.options.capacity[int(wl::BufferKind::Activation)] = 2048;
    CHECK_THAT(refusal(small), Contains("m.yaml:2: op 'l0.ffn.out': spatial k_parts 8: the parts' dense partial sums "
                                        "need 2560 bytes (0.002441 MiB) in the activation buffer, which holds 2048 bytes"));
    KPartsFixture gemmini;
    gemmini.options = shipped("gemmini-transformer");
    gemmini.graph = wl::build_op_graph(wl::load_model("bert-tiny", kModelsDir), 1, 1, gemmini.options);
    gemmini.plan = wl::MappingPlan::derive(gemmini.graph, gemmini.options);
    CHECK_THAT(refusal(gemmini), Contains("m.yaml:2: op 'l0.ffn.out': spatial k_parts 8:") &&
                                     Contains("k parts run on the AccelTran template only"));
}

TEST_CASE("k parts: each part starts its partial sum and writes it dense, the reduction reads every part",
          "[mapping][spatial]") {
    wl::Op op;
    op.kind = wl::OpKind::MatMul;
    op.batch = 1;
    op.m = 16;
    op.n = 32;
    op.k = 64;
    wl::TileGrid g = wl::make_tile_grid(op, wl::TileShape{1, 16, 16});
    REQUIRE(g.nk == 4);
    g.k_parts = 2;
    const auto order = acceltran::LoopOrder::parse("b_i_j_k");
    for (std::int64_t begin : {0, 2}) {
        wl::LaneTileSequence s(g, order, 0, 1, begin, begin + 2);
        wl::TileStep first, second, none;
        REQUIRE(s.next(first));
        REQUIRE(s.next(second));
        CHECK_FALSE(s.next(none));
        CHECK(first.index.k == begin);
        CHECK_FALSE(first.read_psum);  // from zero, also in the second part
        CHECK_FALSE(first.write_psum);
        CHECK_FALSE(second.read_psum);
        CHECK(second.write_psum);  // dense partial sum, also in the last part
        CHECK_FALSE(second.write_output);
    }
    const wl::TileGrid r = wl::reduction_grid(g, 2);
    wl::LaneTileSequence s(r, order, 0, 2);
    std::vector<wl::TileStep> steps;
    for (wl::TileStep t; s.next(t);) steps.push_back(t);
    REQUIRE(steps.size() == 4);
    for (const wl::TileStep& t : steps) {
        CHECK(t.read_psum);
        CHECK_FALSE(t.read_a);
        CHECK_FALSE(t.read_b);
        CHECK(t.write_output == (t.index.k == 1));
        CHECK(r.macs(t.index) == 0);
    }
    // The control block's split: 10 outputs in 3 groups of 4 parts over 10 k steps. Job 5 is
    // group 1 (outputs 10/3 = 3 to 20/3 = 6), part 1 (k steps 10/4 = 2 to 20/4 = 5).
    acceltran::JobSplit split{10, 12, 4, 10};
    const acceltran::JobRange j = split.range(5);
    CHECK(j.first_output == 3);
    CHECK(j.end_output == 6);
    CHECK(j.k_begin == 2);
    CHECK(j.k_end == 5);
    // One output per group (spread_k_tiles' split): unchanged.
    const acceltran::JobRange one = acceltran::JobSplit{10, 40, 4, 10}.range(5);
    CHECK(one.first_output == 1);
    CHECK(one.end_output == 2);
}

TEST_CASE("k parts: the cost model's compute, reduction and partial-sum bytes by hand", "[mapper][spatial]") {
    const acceltran::AcceleratorConfig edge = acceltran::load_accelerator("acceltran-edge", kConfigs);
    const acceltran::explore::OpCostModel model(edge, acceltran::power::load_technology(edge.technology, kConfigs));
    REQUIRE(edge.pes * edge.lanes_per_pe == 1024);
    REQUIRE(edge.macs_per_lane == 16);
    acceltran::explore::OpShape w2;  // BERT-Tiny's FFN W2 at m = 1
    w2.kind = wl::OpKind::MatMul;
    w2.m = 1;
    w2.n = 128;
    w2.k = 512;
    w2.b_weight = true;
    acceltran::explore::MappingChoice c = model.default_choice();
    REQUIRE(c.tile.x == 16);
    REQUIRE(c.tile.y == 16);
    const acceltran::explore::OpCost one = model.evaluate(w2, c);
    c.k_parts = 8;
    const acceltran::explore::OpCost eight = model.evaluate(w2, c);
    REQUIRE(one.fits);
    REQUIRE(eight.fits);
    // 8 output tiles of 1 x 16, 32 k steps of 1·16·16·0.25/16 = 4 cycles: 1,024 busy cycles,
    // one output tile per lane: 128 cycles.
    CHECK(one.busy_unit_cycles == 1024);
    CHECK(one.compute_cycles == 128);
    // 8 parts: 8 groups x 8 parts on 64 lanes, 4 k steps each (16 cycles); the reduction pass:
    // per output tile 1 + 7·⌈16/16⌉ = 8 cycles, 64 in all, one tile per lane: 8 cycles.
    CHECK(eight.busy_unit_cycles == 1024 + 64);
    CHECK(eight.compute_cycles == 16 + 8);
    // Partial sums: 8 parts write 128 outputs dense (20 bits) and the pass reads them:
    // 2 · 8 · 128 · 2.5 = 5,120 bytes more in the activation buffer.
    CHECK(eight.buffer_bytes[0] - one.buffer_bytes[0] == Approx(5120));
    CHECK(eight.buffer_bytes[1] == Approx(one.buffer_bytes[1]));
    CHECK(eight.memory_bytes == one.memory_bytes);
    CHECK(eight.cycles < one.cycles);
    // More parts than k tiles, a block, or a causal mask: not a mapping the compiler takes.
    c.k_parts = 64;
    CHECK_FALSE(model.evaluate(w2, c).fits);
    c.k_parts = 2;
    c.block.batch = 1;
    c.block.columns = 64;
    CHECK_FALSE(model.evaluate(w2, c).fits);
}

TEST_CASE("k parts: the mapspace offers them for a matmul of few rows, and the mapper takes them when they pay",
          "[mapper][spatial]") {
    using namespace acceltran::explore;
    const acceltran::AcceleratorConfig edge = acceltran::load_accelerator("acceltran-edge", kConfigs);
    const OpCostModel model(edge, acceltran::power::load_technology(edge.technology, kConfigs));
    OpShape decode;
    decode.kind = wl::OpKind::MatMul;
    decode.m = 1;
    decode.n = 128;
    decode.k = 512;
    decode.b_weight = true;
    const Mapspace space(decode, model.default_choice(), true);
    CHECK(space.choices(Mapspace::KParts) == 7);  // 1, 2, 4, ..., 64 (k / 4 = 128)
    OpShape prefill = decode;
    prefill.m = 128;
    CHECK(Mapspace(prefill, model.default_choice(), true).choices(Mapspace::KParts) == 1);
    OpShape causal = decode;
    causal.unmasked = 0.5;
    CHECK(Mapspace(causal, model.default_choice(), true).choices(Mapspace::KParts) == 1);
    // At Edge's main memory the weight load (the same for every mapping) dominates; the latency
    // objective still prefers the shorter compute of k parts.
    const SearchResult best = MapspaceSearch(model, Objective::Latency, SearchKind::Exhaustive, 1, 1).run(decode, space);
    REQUIRE(best.found);
    CHECK(best.best.k_parts > 1);
    acceltran::explore::MappingChoice without = best.best;
    without.k_parts = 1;
    CHECK(model.evaluate(decode, without).cycles > best.best_cost.cycles);
}
