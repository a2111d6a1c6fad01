// Mapping files (docs/mapping.md §3): what --write-mapping writes reads back as the same choices,
// and every way an entry can be wrong is refused with the file, the line and what was expected.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "core/errors.h"
#include "tests/unit/shipped_design.h"
#include "workloads/graph_builder.h"
#include "workloads/mapping_file.h"
#include "workloads/mapping_plan.h"
#include "workloads/model_spec.h"

using namespace acceltran;
using namespace acceltran::workloads;
using acceltran::testing::kModelsDir;
using acceltran::testing::shipped;
using Catch::Contains;

namespace {

// BERT-Tiny at sequence 64, batch 2 on Edge's buffers, or on a 64 KiB weight buffer, where the
// FFN's first matmul (128 x 512 at 1.25 bytes, 80 KiB) is split by columns and its second by depth.
struct MappingFileFixture {
    explicit MappingFileFixture(bool small_weights = false) : options(shipped("acceltran-edge")) {
        if (small_weights) options.capacity[int(BufferKind::Weight)] = 64u << 10;
        graph = build_op_graph(load_model("bert-tiny", kModelsDir), 64, 2, options);
        plan = MappingPlan::derive(graph, options);
    }
    MappingDirectives read(const std::string& text) const {
        return MappingFile::parse(text, "m.yaml").directives(graph, plan, options);
    }
    const Op& op(const std::string& name) const {
        for (const Op& o : graph.ops)
            if (o.name == name) return o;
        throw std::out_of_range(name);
    }
    // The block the mapping file `ops: [{op: <op>, block: <block>}]` gives `op`.
    MemoryBlock block_of(const std::string& op_name, const std::string& block) const {
        const MappingDirectives d = read("ops:\n  - op: " + op_name + "\n    block: " + block + "\n");
        const OpDirective& dir = d.ops[std::size_t(op(op_name).id)];
        REQUIRE(dir.block);
        return *dir.block;
    }
    std::string written() const {
        std::ostringstream out;
        plan.write_yaml(out, "test");
        return out.str();
    }
    CompileOptions options;
    OpGraph graph;
    MappingPlan plan;
};

// The message of the InputError reading `text` raises, or "" when it raises none.
std::string mapping_file_error(const MappingFileFixture& f, const std::string& text) {
    try {
        f.read(text);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a mapping file written by --write-mapping reads back as the design point's choices", "[mapping]") {
    for (const bool small : {false, true}) {
        INFO("64 KiB weight buffer: " << small);
        const MappingFileFixture f(small);
        const MappingDirectives d = f.read(f.written());
        REQUIRE(d.ops.size() == f.graph.ops.size());
        CHECK(d.warnings.empty());
        for (const OpDirective& o : d.ops) {
            CHECK_THAT(o.origin, Catch::StartsWith("m.yaml:"));
            REQUIRE(o.tile);
            CHECK(o.tile->x == f.options.tile.x);
            CHECK(o.tile->y == f.options.tile.y);
            CHECK(o.tile->b == f.options.tile.b);
            CHECK(*o.loop_order == f.options.loop_order);
            CHECK_FALSE(o.block);
        }
        // Written and read again with the directives, the mapping is the same text.
        CompileOptions directed = f.options;
        directed.op_directives = d.ops;
        std::ostringstream again;
        MappingPlan::derive(f.graph, directed).write_yaml(again, "test");
        CHECK(again.str() == f.written());
    }
}

TEST_CASE("a logical op's entry applies to each of its graph ops, sums included", "[mapping]") {
    const MappingFileFixture f(true);
    const OpMapping& w1 = f.plan.of("l0.ffn.h1");
    const OpMapping& w2 = f.plan.of("l0.ffn.out");
    REQUIRE(w1.memory_block().kind == WeightSplit::Kind::Columns);
    REQUIRE(w2.memory_block().kind == WeightSplit::Kind::Depth);
    const MappingDirectives d = f.read("ops:\n"
                                       "  - op: l0.ffn.out\n"
                                       "    buffer_tile: {b: 2, x: 8, y: 32}\n"
                                       "    loop_order: k_b_i_j\n"
                                       "    stationary: input\n"
                                       "    block: {batch: 1, rows: 32, columns: 64}\n");
    int directed = 0;
    for (const Op& o : f.graph.ops) {
        const OpDirective& dir = d.ops[std::size_t(o.id)];
        const bool member = o.name.rfind("l0.ffn.out.", 0) == 0;
        INFO(o.name);
        CHECK(bool(dir.tile) == member);
        if (!member) continue;
        ++directed;
        CHECK(dir.origin == "m.yaml:2");
        CHECK(dir.tile->b == 2);
        CHECK(dir.tile->x == 8);
        CHECK(dir.tile->y == 32);
        CHECK(dir.loop_order->str() == "k_b_i_j");
        REQUIRE(dir.block);
        CHECK(dir.block->batch == 1);
        CHECK(dir.block->rows == 32);
        // The depth groups are weight matmuls, the adds summing them element-wise: both may
        // take column blocks.
        CHECK(dir.block->columns == 64);
    }
    // The depth groups and the adds between them.
    CHECK(directed == int(2 * w2.memory_block().sizes.size() - 1));
}

TEST_CASE("mapping file errors name the file, the line and what was expected", "[mapping]") {
    const MappingFileFixture f;
    const auto error = [&](const std::string& entry) { return mapping_file_error(f, "ops:\n" + entry); };
    // Each entry starts on line 2; the message points at the offending key's line.
    CHECK_THAT(error("  - op: l0.atn.q\n"), Contains("m.yaml:2:") && Contains("unknown op 'l0.atn.q'") &&
                                                Contains("did you mean 'l0.attn.q'"));
    CHECK_THAT(error("  - op: l0.attn.q\n  - op: l0.attn.k\n  - op: l0.attn.q\n"),
               Contains("m.yaml:4:") && Contains("op 'l0.attn.q' is mapped twice; first at m.yaml:2"));
    CHECK_THAT(error("  - op: l0.attn.q\n    loop_ordr: b_i_j_k\n"),
               Contains("m.yaml:3:") && Contains("unknown key 'loop_ordr'") && Contains("did you mean 'loop_order'"));
    CHECK_THAT(error("  - loop_order: b_i_j_k\n"), Contains("m.yaml:2:") && Contains("missing required key 'op'"));
    CHECK_THAT(error("  - op: l0.attn.q\n    buffer_tile: {b: 1, x: 1.5, y: 16}\n"),
               Contains("m.yaml:3:") && Contains("ops[0].buffer_tile.x: expected an integer, found '1.5'"));
    for (const std::string tile : {"{b: 1, x: 0, y: 16}", "{b: 1, x: -4, y: 16}", "{b: 1, x: 2048, y: 16}"})
        CHECK_THAT(error("  - op: l0.attn.q\n    buffer_tile: " + tile + "\n"),
                   Contains("m.yaml:3:") && Contains("ops[0].buffer_tile.x") && Contains("1 to 1024"));
    CHECK_THAT(error("  - op: l0.attn.q\n    buffer_tile: {b: 1, x: 16}\n"),
               Contains("m.yaml:3:") && Contains("missing required key 'y'"));
    CHECK_THAT(error("  - op: l0.attn.q\n    loop_order: b_i_j_j\n"),
               Contains("m.yaml:3:") && Contains("ops[0].loop_order: expected a permutation of the loops b, i, j, k"));
    CHECK_THAT(error("  - op: l0.attn.q\n    loop_order: b_i_k_j\n    stationary: output\n"),
               Contains("m.yaml:4:") && Contains("expected 'input', the operand loop order b_i_k_j keeps in place"));
    // Without a loop order the design point's (b_i_j_k: output stationary) is the one to agree with.
    CHECK_THAT(error("  - op: l0.attn.q\n    stationary: weight\n"), Contains("m.yaml:3:") && Contains("expected 'output'"));
    CHECK_THAT(error("  - op: l0.attn.probs\n    stationary: output\n"), Contains("expected 'none'"));
    CHECK_THAT(error("  - op: l0.attn.q\n    stationary: bias\n"), Contains("m.yaml:3:") && Contains("output, input, weight"));
    CHECK_THAT(error("  - op: l0.attn.q\n    block: {rows: -16}\n"),
               Contains("m.yaml:3:") && Contains("ops[0].block.rows: expected a non-negative integer"));
    CHECK_THAT(error("  - op: l0.attn.q\n    block: {batch: 2, rows: 32}\n"),
               Contains("m.yaml:3:") && Contains("a block of 32 of the op's 64 rows needs batch: 1") &&
                   Contains("found batch 2"));
    // batch 0 is the whole batch (2 here), so rows below m are refused alike.
    CHECK_THAT(error("  - op: l0.attn.q\n    block: {rows: 32}\n"), Contains("found batch 2"));
    CHECK_THAT(error("  - op: l0.attn.scores\n    block: {columns: 16}\n"),
               Contains("m.yaml:3:") && Contains("need a matmul whose B is a weight or an element-wise GELU, add or "
                                                 "SwiGLU; 'l0.attn.scores' is not one"));
    CHECK_THAT(error("  - op: l0.attn.probs\n    block: {columns: 16}\n"), Contains("'l0.attn.probs' is not one"));
    CHECK_THAT(error("  - op: l0.ffn.ln\n    block: {columns: 16}\n"), Contains("'l0.ffn.ln' is not one"));
    CHECK(error("  - op: l0.ffn.gelu1\n    block: {batch: 1, rows: 16, columns: 16}\n").empty());
    CHECK_THAT(error("  - op: l0.attn.q\n    block: {rows: 65}\n"),
               Contains("m.yaml:3:") && Contains("ops[0].block.rows: expected at most 64, the op's rows m"));
    CHECK_THAT(error("  - op: l0.attn.q\n    block: {batch: 3}\n"), Contains("expected at most 2, the op's batch"));
    CHECK_THAT(error("  - op: l0.attn.q\n    block: {columns: 129}\n"), Contains("expected at most 128, the op's columns n"));
    CHECK_THAT(error("  - op: l0.attn.q\n    block: {lines: 4}\n"), Contains("m.yaml:3:") && Contains("unknown key 'lines'"));
    CHECK_THAT(error("  - op: l0.ffn.h1\n    memory_block: columns [256, 256]\n"),
               Contains("m.yaml:3:") && Contains("expected 'whole', found 'columns [256, 256]'") &&
                   Contains("changing a weight's blocking is not supported yet"));
    CHECK_THAT(error("  - op: l0.ffn.h1\n    memory_block: rows [4]\n"),
               Contains("m.yaml:3:") && Contains("expected whole, columns [w0, w1, ...] or depth [d0, d1, ...]"));
    CHECK_THAT(error("  - op: l0.ffn.h1\n    memory_block: columns [256, x]\n"), Contains("expected whole, columns"));
    CHECK_THAT(error("  - op: l0.ffn.h1\n    depth_parts: [1, 1]\n"),
               Contains("m.yaml:3:") && Contains("depth_parts belongs to a memory_block split by depth"));
    CHECK_THAT(mapping_file_error(f, "ops: {op: l0.attn.q}\n"), Contains("m.yaml:1:") && Contains("expected a list"));
    CHECK_THAT(mapping_file_error(f, "op: [l0.attn.q]\n"), Contains("unknown key 'op'"));
    CHECK_THAT(mapping_file_error(f, ""), Contains("m.yaml") && Contains("expected a mapping"));
}

// The block-level loop order (MemoryBlock::columns_outer, docs/mapping.md §1.1): rows_outer (the
// default) or columns_outer, only where there are column blocks to order.
TEST_CASE("a block's order key reads rows_outer or columns_outer and refuses anything else", "[mapping]") {
    const MappingFileFixture f;
    const auto block_of = [&](const std::string& op, const std::string& block) { return f.block_of(op, block); };
    CHECK_FALSE(block_of("l0.attn.out", "{batch: 1, rows: 32, columns: 64}").columns_outer);
    CHECK_FALSE(block_of("l0.attn.out", "{batch: 1, rows: 32, columns: 64, order: rows_outer}").columns_outer);
    const MemoryBlock outer = block_of("l0.attn.out", "{batch: 1, rows: 32, columns: 64, order: columns_outer}");
    CHECK(outer.columns_outer);
    CHECK(outer.columns == 64);
    CHECK(block_of("l0.ffn.gelu1", "{columns: 64, order: columns_outer}").columns_outer);
    const auto error = [&](const std::string& entry) { return mapping_file_error(f, "ops:\n" + entry); };
    CHECK_THAT(error("  - op: l0.attn.out\n    block: {columns: 64, order: cols_outer}\n"),
               Contains("m.yaml:3:") && Contains("ops[0].block.order: expected rows_outer or columns_outer") &&
                   Contains("cols_outer"));
    CHECK_THAT(error("  - op: l0.attn.out\n    block: {columns: 64, order: 1}\n"),
               Contains("m.yaml:3:") && Contains("expected rows_outer or columns_outer"));
    CHECK_THAT(error("  - op: l0.attn.probs\n    block: {batch: 1, order: columns_outer}\n"),
               Contains("m.yaml:3:") && Contains("ops[0].block.order") && Contains("'l0.attn.probs' has none"));
    CHECK_THAT(error("  - op: l0.attn.scores\n    block: {batch: 1, order: columns_outer}\n"),
               Contains("'l0.attn.scores' has none"));
    CHECK(error("  - op: l0.attn.probs\n    block: {batch: 1, order: rows_outer}\n").empty());
}

// Blocks that cut the reduction (MemoryBlock::depth, docs/mapping.md §1.1): a weight matmul's k,
// in whole tiles of the op's tile k extent (its y), rows outer.
TEST_CASE("a block's depth reads a weight matmul's k slice and refuses anything else", "[mapping]") {
    const MappingFileFixture f;
    const auto block_of = [&](const std::string& op, const std::string& block) { return f.block_of(op, block); };
    REQUIRE(f.op("l0.ffn.out").k == 512);
    CHECK(block_of("l0.ffn.out", "{rows: 0, depth: 128}").depth == 128);
    CHECK(block_of("l0.ffn.out", "{depth: 512}").depth == 0);  // the whole k
    CHECK(block_of("l0.ffn.out", "{depth: 0}").depth == 0);
    // A tile of the entry's own: its y is the k extent.
    CHECK(block_of("l0.ffn.out", "{depth: 96}\n    buffer_tile: {b: 1, x: 16, y: 32}").depth == 96);
    const auto error = [&](const std::string& entry) { return mapping_file_error(f, "ops:\n" + entry); };
    CHECK_THAT(error("  - op: l0.ffn.out\n    block: {depth: 40}\n"),
               Contains("m.yaml:3:") && Contains("ops[0].block.depth: expected a multiple of 16, the k extent of the "
                                                 "op's tile (its y), or 512, the whole k") && Contains("found '40'"));
    CHECK_THAT(error("  - op: l0.ffn.out\n    block: {depth: 64}\n    buffer_tile: {b: 1, x: 16, y: 128}\n"),
               Contains("expected a multiple of 128"));
    CHECK_THAT(error("  - op: l0.ffn.out\n    block: {depth: 1024}\n"),
               Contains("m.yaml:3:") && Contains("expected at most 512, the op's reduction k"));
    CHECK_THAT(error("  - op: l0.ffn.out\n    block: {depth: -16}\n"), Contains("expected a non-negative integer"));
    CHECK_THAT(error("  - op: l0.attn.scores\n    block: {depth: 16}\n"),
               Contains("m.yaml:3:") && Contains("ops[0].block.depth") && Contains("'l0.attn.scores' is not one"));
    CHECK_THAT(error("  - op: l0.ffn.gelu1\n    block: {depth: 16}\n"), Contains("'l0.ffn.gelu1' is not one"));
    CHECK_THAT(error("  - op: l0.ffn.out\n    block: {columns: 64, order: columns_outer, depth: 128}\n"),
               Contains("m.yaml:3:") && Contains("leave order out or give rows_outer"));
}

TEST_CASE("mapping file entries for a blocked matmul name the op its blocks share", "[mapping]") {
    const MappingFileFixture f(true);
    const auto error = [&](const std::string& entry) { return mapping_file_error(f, "ops:\n" + entry); };
    CHECK_THAT(error("  - op: l0.ffn.h1.s0\n"),
               Contains("m.yaml:2:") && Contains("one of the graph ops of the blocked op 'l0.ffn.h1'"));
    // Restating the graph builder's blocking is accepted; a different one is not.
    const OpMapping& w2 = f.plan.of("l0.ffn.out");
    std::string sizes, parts;
    for (std::size_t j = 0; j < w2.memory_block().sizes.size(); ++j) {
        sizes += (j ? ", " : "") + std::to_string(w2.memory_block().sizes[j]);
        parts += (j ? ", " : "") + std::to_string(w2.memory_block().parts[j]);
    }
    CHECK(error("  - op: l0.ffn.out\n    memory_block: depth [" + sizes + "]\n    depth_parts: [" + parts + "]\n").empty());
    CHECK_THAT(error("  - op: l0.ffn.out\n    memory_block: whole\n"),
               Contains("m.yaml:3:") && Contains("expected 'depth [" + sizes + "]', found 'whole'"));
    CHECK_THAT(error("  - op: l0.ffn.out\n    depth_parts: [7]\n"),
               Contains("m.yaml:3:") && Contains("expected [" + parts + "]"));
}

TEST_CASE("a derived double_buffering that disagrees is a warning with its line, not an error", "[mapping]") {
    const MappingFileFixture f;
    const MappingDirectives d = f.read("ops:\n  - op: l0.attn.q\n    double_buffering: true\n");
    REQUIRE(d.warnings.size() == 1);
    CHECK_THAT(d.warnings[0], Contains("m.yaml:3:") && Contains("ops[0].double_buffering: the default mapping gives false"));
    CHECK(d.ops[std::size_t(f.op("l0.attn.q").id)].origin == "m.yaml:2");
    // With a block of its own the value follows from that block, not the default: no warning.
    const MappingDirectives blocked =
        f.read("ops:\n  - op: l0.attn.q\n    block: {batch: 1, rows: 0, columns: 0}\n    double_buffering: true\n");
    CHECK(blocked.warnings.empty());
}

TEST_CASE("mapping files that are too large or not files are refused before they are read", "[mapping]") {
    const MappingFileFixture f;
    // More entries than the YAML node limit (core/config_node.h): refused while parsing.
    std::string huge = "ops:\n";
    for (int i = 0; i < 40000; ++i) huge += "  - {op: l0.attn.q}\n";
    CHECK_THROWS_WITH(MappingFile::parse(huge, "m.yaml"), Contains("m.yaml") && Contains("nodes"));
    CHECK_THROWS_WITH(MappingFile::load("no/such/mapping.yaml"),
                      Contains("no/such/mapping.yaml: no such file"));
    CHECK_THROWS_AS(MappingFile::load("/dev/zero"), InputError);
}
