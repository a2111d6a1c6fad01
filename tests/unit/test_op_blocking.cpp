// Main-memory blocking inside an op (workloads/op_blocking.h, docs/mapping.md §1): the blocks of
// an op cover exactly its tiles and MACs, the planner's default blocks what does not fit and
// nothing else, a mapping's per-op tile, loop order and block are followed, and an illegal or
// oversized block is refused naming where it came from.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "core/errors.h"
#include "tests/unit/program_occupancy.h"
#include "tests/unit/shipped_design.h"
#include "workloads/buffer_planner.h"
#include "workloads/generation.h"
#include "workloads/graph_builder.h"
#include "workloads/model_spec.h"
#include "workloads/op_blocking.h"

using namespace acceltran;
using namespace acceltran::workloads;
using acceltran::testing::kModelsDir;
using acceltran::testing::shipped;
using Catch::Matchers::Contains;

namespace {

struct BlockedOpTally {
    std::uint64_t computes = 0, tiles = 0, loads = 0, stores = 0, store_bytes = 0;
};

// What the program does for one op: its compute entries and their tiles, and the stores of its
// output.
BlockedOpTally blocked_op_tally(const TiledProgram& p, const OpGraph& g, const std::string& name) {
    const Op& op = g.op(name);
    BlockedOpTally t;
    for (const ProgramEntry& e : p.entries) {
        if (e.kind == EntryKind::Compute && e.op == op.id) {
            t.computes++;
            t.tiles += e.grid.tiles();
        }
        if (e.kind == EntryKind::Store && e.tensor == op.output) {
            t.stores++;
            t.store_bytes += e.data_bytes;
        }
    }
    return t;
}

std::vector<OpDirective> one_directive(const OpGraph& g, const std::string& op, const OpDirective& d) {
    std::vector<OpDirective> all(g.ops.size());
    all[std::size_t(g.op(op).id)] = d;
    return all;
}

}  // namespace

TEST_CASE("blocks of rows and columns cover exactly the op's tiles", "[blocking]") {
    CompileOptions o = shipped("acceltran-edge");
    const OpGraph g = build_op_graph(load_model("bert-tiny", kModelsDir), 64, 3, o);
    const TiledProgram whole = compile_program(g, o);
    // A weight matmul by rows (inside one batch entry) and columns, an attention matmul by
    // batch x heads, a row-wise op by rows and an element-wise op by columns; the blocks are
    // not whole multiples of the op (edge blocks).
    const std::map<std::string, MemoryBlock> blocks = {{"l0.attn.q", {1, 48, 80}},
                                                       {"l0.attn.scores", {5, 0, 0}},
                                                       {"l0.attn.probs", {1, 24, 0}},
                                                       {"l1.ffn.gelu1", {2, 0, 192}}};
    for (const auto& [name, block] : blocks) {
        INFO(name);
        OpDirective d;
        d.block = block;
        o.op_directives = one_directive(g, name, d);
        const TiledProgram p = compile_program(g, o);
        const Op& op = g.op(name);
        REQUIRE(p.blocked[std::size_t(op.id)].has_value());
        const BlockedOpTally a = blocked_op_tally(whole, g, name), b = blocked_op_tally(p, g, name);
        const MemoryBlock r = p.blocked[std::size_t(op.id)]->block;
        const auto pieces = [](std::int64_t extent, std::int64_t size) { return std::uint64_t((extent + size - 1) / size); };
        const std::uint64_t row_blocks =
            r.rows < op.m ? std::uint64_t(op.batch) * pieces(op.m, r.rows) : pieces(op.batch, r.batch);
        CHECK(b.computes == row_blocks * pieces(op.n, r.columns));
        CHECK(b.stores == b.computes);
        // Blocks in whole tiles (48 rows, 80 or 192 columns) cover the same tiles; 24 rows of a
        // 16-row tile make edge tiles, so the count may only grow there.
        if (name == "l0.attn.probs")
            CHECK(b.tiles >= a.tiles);
        else
            CHECK(b.tiles == a.tiles);
        // Each output slice rounds its bytes up, by less than one byte per slice.
        CHECK(b.store_bytes >= p.layouts[std::size_t(op.output)].data_bytes);
        CHECK(b.store_bytes <= p.layouts[std::size_t(op.output)].data_bytes + b.stores);
        CHECK(p.totals.macs == whole.totals.macs);
        acceltran::testing::check_occupancy_in_program_order(p);
    }
}

TEST_CASE("a causal attention op blocked by rows keeps its mask in the op's coordinates", "[blocking]") {
    const CompileOptions o = shipped("acceltran-server");
    GenerationOptions run;
    run.prompt_len = 96;
    run.batch = 2;
    run.buffers = o;
    const OpGraph g = build_generation_graph(load_model("llama-1b", kModelsDir), run);
    for (const std::string name : {"prefill.l0.attn.scores", "prefill.l0.attn.probs", "prefill.l0.attn.context"}) {
        INFO(name);
        const Op& op = g.op(name);
        REQUIRE(op.causal.on);
        const OpBlocking blocking(g, op, compile_program(g, o).layouts, o, o.tile, o.loop_order);
        const TileGrid all = make_tile_grid(op, o.tile);
        // Rows in whole tiles: the blocks run exactly the unmasked tiles of the whole op.
        REQUIRE(op.m > 32);
        const MemoryBlock block = blocking.resolve({1, 32, 0}, "");
        std::uint64_t tiles = 0;
        for (const auto& rows : blocking.row_ranges(block))
            for (const auto& b : blocking.column_ranges(block, rows)) tiles += blocking.grid(b).tiles();
        // Without the blocks' row origins every block would see only the first rows' few keys.
        CHECK(tiles == all.tiles());
    }
}

TEST_CASE("the default blocks only what does not fit, and runs BERT-Base in 64 kB buffers", "[blocking]") {
    CompileOptions o = shipped("acceltran-edge");
    const OpGraph fits = build_op_graph(load_model("bert-base", kModelsDir), 128, 4, o);
    const TiledProgram normal = compile_program(fits, o);
    for (const auto& b : normal.blocked) CHECK_FALSE(b.has_value());

    for (int b = 0; b < kBufferKinds; ++b) o.capacity[b] = 64 * 1024;
    const OpGraph g = build_op_graph(load_model("bert-base", kModelsDir), 128, 4, o);
    const TiledProgram small = compile_program(g, o);
    std::size_t blocked = 0;
    for (const Op& op : g.ops) {
        if (!small.blocked[std::size_t(op.id)]) continue;
        blocked++;
        INFO(op.name);
        const BlockedOp& c = *small.blocked[std::size_t(op.id)];
        CHECK(c.block.batch >= 1);
        CHECK(c.block.rows >= 1);
        CHECK(c.block.columns >= 1);
    }
    CHECK(blocked > g.ops.size() / 2);
    CHECK(small.totals.macs == normal.totals.macs);
    // Small buffers move more bytes: operands come back once per block.
    CHECK(small.totals.load_bytes > normal.totals.load_bytes);
    acceltran::testing::check_occupancy_in_program_order(small);
}

TEST_CASE("a mapping's tile and loop order reach that op's compute entry only", "[blocking][mapping]") {
    CompileOptions o = shipped("acceltran-edge");
    const OpGraph g = build_op_graph(load_model("bert-tiny", kModelsDir), 64, 2, o);
    OpDirective d;
    d.tile = TileShape{1, 8, 32};
    d.loop_order = LoopOrder::parse("b_k_j_i");
    o.op_directives = one_directive(g, "l0.attn.k", d);
    const TiledProgram p = compile_program(g, o);
    for (const ProgramEntry& e : p.entries) {
        if (e.kind != EntryKind::Compute) continue;
        const bool directed = g.ops[std::size_t(e.op)].name == "l0.attn.k";
        INFO(g.ops[std::size_t(e.op)].name);
        CHECK(e.grid.shape.x == (directed ? 8 : o.tile.x));
        CHECK(e.grid.shape.y == (directed ? 32 : o.tile.y));
        CHECK((e.loop_order == (directed ? *d.loop_order : o.loop_order)));
    }
}

TEST_CASE("an illegal or oversized block is refused naming the mapping's line", "[blocking][mapping]") {
    CompileOptions o = shipped("acceltran-edge");
    const OpGraph g = build_op_graph(load_model("bert-tiny", kModelsDir), 64, 2, o);
    const auto refuse = [&](const std::string& op, MemoryBlock block, const std::string& expected) {
        OpDirective d;
        d.block = block;
        d.origin = "map.yaml:7";
        o.op_directives = one_directive(g, op, d);
        INFO(op);
        CHECK_THROWS_WITH(compile_program(g, o), Contains("map.yaml:7") && Contains(op) && Contains(expected));
    };
    refuse("l0.attn.q", {2, 16, 0}, "must have batch: 1");
    refuse("l0.attn.probs", {1, 16, 32}, "whole rows");
    refuse("l0.attn.scores", {1, 16, 32}, "every key of a row");
    refuse("l0.attn.q", {3, 0, 0}, "larger than the op");
    refuse("l0.attn.q", {-1, 0, 0}, "positive");
    // A block that fits nowhere: shrink the activation buffer under one block.
    o.capacity[int(BufferKind::Activation)] = 4096;
    refuse("l0.attn.q", {1, 64, 0}, "activation buffer");
    // Without a directive the same op is blocked smaller by default, or refused by name.
    o.op_directives.clear();
    o.capacity[int(BufferKind::Activation)] = 64;
    CHECK_THROWS_WITH(compile_program(g, o), Contains("even in blocks") && Contains("activation buffer"));
    // It names what one block holds there, operand by operand, and those bytes add up to the
    // bytes it says the block needs (the issue: "needs 3.75 MiB, holds 4 MiB" named nothing).
    std::string message;
    try {
        compile_program(g, o);
    } catch (const InputError& e) {
        message = e.what();
    }
    const auto needs = message.find(" needs "), advice = message.find(" (raise ");
    REQUIRE(needs != std::string::npos);
    REQUIRE(advice != std::string::npos);
    const std::string parts = message.substr(needs, advice - needs);
    CHECK_THAT(parts, Contains("operand '") && Contains("output '"));
    std::vector<std::uint64_t> figures;  // needed, then each part
    const std::regex blocking_bytes("([0-9]+) bytes");
    for (std::sregex_iterator i(parts.begin(), parts.end(), blocking_bytes), end; i != end; ++i)
        figures.push_back(std::stoull((*i)[1].str()));
    REQUIRE(figures.size() >= 3);
    std::uint64_t sum = 0;
    for (std::size_t i = 1; i < figures.size(); ++i) sum += figures[i];
    CHECK(sum == figures.front());
    CHECK(figures.front() > 64);
}
