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

// Compiling `g` with `block` directed to `op` from `origin` is refused, the message naming the
// origin, the op and `expected`. Leaves the directive in `o`.
void check_block_refused(const OpGraph& g, CompileOptions& o, const std::string& op, const MemoryBlock& block,
                         const std::string& origin, const std::string& expected) {
    OpDirective d;
    d.block = block;
    d.origin = origin;
    o.op_directives = one_directive(g, op, d);
    INFO(op);
    CHECK_THROWS_WITH(compile_program(g, o), Contains(origin) && Contains(op) && Contains(expected));
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
    const TiledProgram program = compile_program(g, o);
    for (const std::string name : {"prefill.l0.attn.scores", "prefill.l0.attn.probs", "prefill.l0.attn.context"}) {
        INFO(name);
        const Op& op = g.op(name);
        REQUIRE(op.causal.on);
        const OpBlocking blocking(g, op, program.layouts, o, o.tile, o.loop_order);
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

TEST_CASE("the default cuts k only for a deep weight matmul held to one tile of columns", "[blocking]") {
    // BERT-Base's FFN W2 (k = 3072) in 64 kB buffers: uncut, a block gets one 16-column tile
    // (docs/mapping.md §2.1); with k blocks it gets the block of most outputs that fits twice.
    CompileOptions o = shipped("acceltran-edge");
    for (int b = 0; b < kBufferKinds; ++b) o.capacity[b] = 64 * 1024;
    const OpGraph g = build_op_graph(load_model("bert-base", kModelsDir), 128, 4, o);
    const Op& w2 = g.op("l0.ffn.out");
    const TiledProgram p = compile_program(g, o);  // OpBlocking keeps a reference to its layouts
    OpBlocking blocking(g, w2, p.layouts, o, o.tile, o.loop_order);
    const OpBlocking::Choice cut = blocking.choose();
    CHECK(blocking.cuts_k(cut.block));
    CHECK(cut.block.depth % o.tile.y == 0);
    CHECK(cut.double_buffered);
    CHECK(blocking.fits(cut.block, 2, false));
    // More outputs per block than any uncut block: at most one batch entry of 16 rows x 16 columns.
    CHECK(cut.block.batch * cut.block.rows * cut.block.columns > 16 * 16);
    // No block of more outputs fits twice with any depth the rule tries.
    MemoryBlock larger = cut.block;
    larger.columns = std::min<std::int64_t>(w2.n, cut.block.columns * 2);
    larger.depth = o.tile.y;
    if (larger.columns > cut.block.columns) CHECK_FALSE(blocking.fits(larger, 2, false));

    // Where the target does not allow it (the Gemmini template), the uncut block stays.
    CompileOptions no_cut = o;
    no_cut.default_k_blocks = false;
    const TiledProgram uncut_program = compile_program(g, no_cut);
    OpBlocking uncut(g, w2, uncut_program.layouts, no_cut, no_cut.tile, no_cut.loop_order);
    const OpBlocking::Choice whole_k = uncut.choose();
    CHECK_FALSE(uncut.cuts_k(whole_k.block));
    CHECK(whole_k.block.columns == o.tile.y);

    // W1 (k = 768) gets more than one tile of columns uncut: no k cut.
    const Op& w1 = g.op("l0.ffn.h1");
    OpBlocking first(g, w1, p.layouts, o, o.tile, o.loop_order);
    const OpBlocking::Choice c1 = first.choose();
    REQUIRE((c1.block.columns > o.tile.y || c1.weight_whole));
    CHECK_FALSE(first.cuts_k(c1.block));

    // The program runs the cut blocks: the op's tiles and MACs are the uncut op's.
    REQUIRE(p.blocked[std::size_t(w2.id)].has_value());
    CHECK(p.blocked[std::size_t(w2.id)]->block == cut.block);
    const OpGraph whole_graph = build_op_graph(load_model("bert-base", kModelsDir), 128, 4, shipped("acceltran-edge"));
    const TiledProgram whole = compile_program(whole_graph, shipped("acceltran-edge"));
    CHECK(blocked_op_tally(p, g, "l0.ffn.out").tiles == blocked_op_tally(whole, whole_graph, "l0.ffn.out").tiles);
    acceltran::testing::check_occupancy_in_program_order(p);
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
        check_block_refused(g, o, op, block, "map.yaml:7", expected);
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

TEST_CASE("k blocks run exactly the op's tiles and MACs, one partial sum per output slice", "[blocking]") {
    CompileOptions o = shipped("acceltran-edge");
    const OpGraph g = build_op_graph(load_model("bert-tiny", kModelsDir), 64, 3, o);
    const TiledProgram whole = compile_program(g, o);
    // BERT-Tiny's FFN W2 has k = 512: depth 128 gives 4 k blocks, 192 gives 3 (the last of
    // 128), each with rows and columns blocks too.
    for (const MemoryBlock block : {MemoryBlock{1, 32, 64, false, 128}, MemoryBlock{0, 0, 0, false, 192},
                                    MemoryBlock{1, 48, 80, false, 64}}) {
        INFO(block.rows << " rows, " << block.columns << " columns, depth " << block.depth);
        const std::string name = "l1.ffn.out";
        const Op& op = g.op(name);
        REQUIRE(op.k == 512);
        OpDirective d;
        d.block = block;
        o.op_directives = one_directive(g, name, d);
        const TiledProgram p = compile_program(g, o);
        REQUIRE(p.blocked[std::size_t(op.id)].has_value());
        const MemoryBlock r = p.blocked[std::size_t(op.id)]->block;
        CHECK(r.depth == block.depth);
        CHECK_FALSE(p.blocked[std::size_t(op.id)]->weight_whole);
        const BlockedOpTally a = blocked_op_tally(whole, g, name), b = blocked_op_tally(p, g, name);
        const auto pieces = [](std::int64_t extent, std::int64_t size) { return std::uint64_t((extent + size - 1) / size); };
        const std::uint64_t row_blocks =
            r.rows < op.m ? std::uint64_t(op.batch) * pieces(op.m, r.rows) : pieces(op.batch, r.batch);
        const std::uint64_t out_blocks = row_blocks * pieces(op.n, r.columns), k_blocks = pieces(op.k, r.depth);
        CHECK(b.computes == out_blocks * k_blocks);
        CHECK(b.stores == out_blocks);  // partial sums never leave the buffers
        // The finished slices go home at the output's density, not as the dense partial sums
        // they were held as: the output's home bytes, up to one byte of rounding per slice.
        CHECK(b.store_bytes >= p.layouts[std::size_t(op.output)].data_bytes);
        CHECK(b.store_bytes <= p.layouts[std::size_t(op.output)].data_bytes + b.stores);
        CHECK(b.tiles == a.tiles);
        CHECK(p.totals.macs == whole.totals.macs);
        // Each compute entry is one k slice; the slices of one output block tile k in order, the
        // first starting a partial sum and the last finishing the output.
        std::int64_t k_covered = 0, starts = 0, ends = 0;
        std::uint64_t macs = 0;
        for (const ProgramEntry& e : p.entries) {
            if (e.kind != EntryKind::Compute || e.op != op.id) continue;
            CHECK(e.grid.k_whole == op.k);
            CHECK(e.grid.k_origin % r.depth == 0);
            CHECK(e.grid.k == std::min(r.depth, op.k - e.grid.k_origin));
            k_covered += e.grid.k;
            starts += !e.grid.continues_k();
            ends += e.grid.ends_k();
            macs += std::uint64_t(e.grid.batch * e.grid.m * e.grid.n * e.grid.k);
        }
        CHECK(k_covered == std::int64_t(out_blocks) * op.k);
        CHECK(starts == std::int64_t(out_blocks));
        CHECK(ends == std::int64_t(out_blocks));
        CHECK(macs == std::uint64_t(op.macs()));
        // The A and weight k slices add up to every operand byte once per column block (A) and
        // once per row block (the weight), give or take a byte per slice.
        std::uint64_t a_bytes = 0, w_bytes = 0, a_loads = 0, w_loads = 0;
        const int a_in = op.a_inputs[0];
        for (const ProgramEntry& e : p.entries) {
            if (e.kind != EntryKind::Load) continue;
            if (e.tensor == a_in) a_bytes += e.data_bytes, a_loads++;
            if (e.tensor == op.b_input) w_bytes += e.data_bytes, w_loads++;
        }
        const std::uint64_t col_blocks = pieces(op.n, r.columns);
        CHECK(a_bytes >= col_blocks * p.layouts[std::size_t(a_in)].data_bytes);
        CHECK(a_bytes <= col_blocks * p.layouts[std::size_t(a_in)].data_bytes + a_loads);
        CHECK(w_bytes >= row_blocks * p.layouts[std::size_t(op.b_input)].data_bytes);
        CHECK(w_bytes <= row_blocks * p.layouts[std::size_t(op.b_input)].data_bytes + w_loads);
        acceltran::testing::check_occupancy_in_program_order(p);
    }
}

TEST_CASE("a k block's tiles continue and park the partial sum at its edges", "[blocking]") {
    Op op;
    op.kind = OpKind::MatMul;
    op.batch = 1;
    op.m = 16;
    op.n = 16;
    op.k = 64;
    TileGrid g = make_tile_grid(op, TileShape{1, 16, 16});
    g.k = 32;
    g.nk = 2;
    const auto steps = [&](std::int64_t origin) {
        g.k_origin = origin;
        g.k_whole = 64;
        LaneTileSequence seq(g, LoopOrder::parse("b_i_j_k"), 0, 1);
        std::vector<TileStep> out;
        TileStep s;
        while (seq.next(s)) out.push_back(s);
        return out;
    };
    const std::vector<TileStep> first = steps(0), last = steps(32);
    REQUIRE(first.size() == 2);
    REQUIRE(last.size() == 2);
    // The first k block starts the sum and parks it; the last reads it back and writes the output.
    CHECK_FALSE(first[0].read_psum);
    CHECK(first[1].write_psum);
    CHECK_FALSE(first[1].write_output);
    CHECK(last[0].read_psum);
    CHECK_FALSE(last[1].write_psum);
    CHECK(last[1].write_output);
}

TEST_CASE("an illegal depth is refused naming the mapping's line", "[blocking][mapping]") {
    CompileOptions o = shipped("acceltran-edge");
    const OpGraph g = build_op_graph(load_model("bert-tiny", kModelsDir), 64, 2, o);
    const auto refuse = [&](const std::string& op, MemoryBlock block, const std::string& expected) {
        check_block_refused(g, o, op, block, "map.yaml:9", expected);
    };
    refuse("l0.ffn.out", {0, 0, 0, false, 40}, "not a multiple of the tile's k extent");
    refuse("l0.ffn.out", {0, 0, 0, false, 1024}, "larger than the op");
    refuse("l0.attn.scores", {0, 0, 0, false, 16}, "only a matmul whose B is a weight");
    refuse("l0.ffn.out", {0, 0, 64, true, 128}, "columns_outer");
}
