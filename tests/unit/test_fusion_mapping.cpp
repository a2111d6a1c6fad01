// Fusion as a mapping choice (OpDirective::fuse, docs/mapping.md §11): a fused consumer runs on
// each block of its producer right after it, the intermediate tensor never crosses main memory,
// every op keeps its own compute entries on its own unit class, and illegal fusions are refused.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.h"
#include "tests/unit/program_occupancy.h"
#include "tests/unit/shipped_design.h"
#include "workloads/buffer_planner.h"
#include "workloads/generation.h"
#include "workloads/graph_builder.h"
#include "workloads/mapping_file.h"
#include "workloads/mapping_plan.h"
#include "workloads/model_spec.h"
#include "workloads/op_fusion.h"

using namespace acceltran;
using namespace acceltran::workloads;
using acceltran::testing::kModelsDir;
using acceltran::testing::shipped;
using Catch::Matchers::Contains;

namespace {

// Bytes moved between main memory and the buffers for one tensor, data and masks.
std::uint64_t fusion_traffic_of(const TiledProgram& p, int tensor) {
    std::uint64_t bytes = 0;
    for (const ProgramEntry& e : p.entries)
        if (e.kind != EntryKind::Compute && e.tensor == tensor) bytes += e.data_bytes + e.mask_bytes;
    return bytes;
}

// The op ids of the compute entries, in program order.
std::vector<int> fusion_compute_order(const TiledProgram& p) {
    std::vector<int> ops;
    for (const ProgramEntry& e : p.entries)
        if (e.kind == EntryKind::Compute) ops.push_back(e.op);
    return ops;
}

MappingDirectives fusion_directives(const OpGraph& g, const CompileOptions& o, const std::string& text) {
    const MappingPlan plan = MappingPlan::derive(g, o);
    return MappingFile::parse(text, "fuse.yaml").directives(g, plan, o);
}

// The program `g` compiles to under the mapping `text` (on top of `o`'s own settings).
TiledProgram fusion_program(const OpGraph& g, CompileOptions o, const std::string& text) {
    o.op_directives = fusion_directives(g, o, text).ops;
    return compile_program(g, o);
}

// The error a mapping text draws from fusion_directives, or "accepted".
std::string fusion_refusal(const OpGraph& g, const CompileOptions& o, const std::string& text) {
    try {
        fusion_directives(g, o, text);
    } catch (const InputError& e) {
        return e.what();
    }
    return "accepted";
}

}  // namespace

TEST_CASE("softmax fused into Q x K^T keeps the scores off main memory", "[fusion]") {
    CompileOptions o = shipped("acceltran-edge");
    const OpGraph g = build_op_graph(load_model("bert-tiny", kModelsDir), 64, 3, o);
    // Both runs block the scores by 5 of its 6 (batch x heads) entries; the probabilities stay
    // on chip in both (they fit); only the fusion differs.
    const std::string blocks = "ops:\n  - op: l0.attn.scores\n    block: {batch: 5}\n";
    const std::string fused_text = "ops:\n  - op: l0.attn.scores\n    block: {batch: 5}\n"
                                   "  - op: l0.attn.probs\n    fuse: true\n";
    const TiledProgram apart = fusion_program(g, o, blocks);
    const TiledProgram fused = fusion_program(g, o, fused_text);

    const Op& scores = g.op("l0.attn.scores");
    const Op& probs = g.op("l0.attn.probs");
    // By hand: the scores are 3 x 2 heads x 64 x 64 = 24,576 values at Edge's activation
    // density 0.5 and 20 bits: 30,720 data bytes, plus 24,576 / 8 = 3,072 mask bytes; the two
    // slices (5 and 1 entries) round to whole bytes exactly. Apart they are stored once and
    // loaded once: 67,584 bytes.
    REQUIRE(o.activation_density == 0.5);
    REQUIRE(o.element_bits == 20);
    CHECK(fusion_traffic_of(apart, scores.output) == 2 * (30720 + 3072));
    CHECK(fusion_traffic_of(fused, scores.output) == 0);
    CHECK(apart.totals.load_bytes + apart.totals.store_bytes - (fused.totals.load_bytes + fused.totals.store_bytes) ==
          2 * (30720 + 3072));
    // The probabilities never reach main memory in either.
    CHECK(fusion_traffic_of(fused, probs.output) == 0);
    CHECK(fusion_traffic_of(apart, probs.output) == 0);
    CHECK(fused.totals.macs == apart.totals.macs);
    CHECK(fused.totals.tile_ops == apart.totals.tile_ops);

    // Block by block: scores, softmax, scores, softmax, each on its own unit class.
    std::vector<int> pair;
    for (int op : fusion_compute_order(fused))
        if (op == scores.id || op == probs.id) pair.push_back(op);
    CHECK(pair == std::vector<int>{scores.id, probs.id, scores.id, probs.id});
    for (const ProgramEntry& e : fused.entries)
        if (e.kind == EntryKind::Compute && e.op == probs.id) CHECK(e.unit == o.unit_of(OpKind::Softmax));
    acceltran::testing::check_occupancy_in_program_order(fused);
}

TEST_CASE("GELU fused into FFN W1 and layer-norm with its add into W_out", "[fusion]") {
    CompileOptions o = shipped("acceltran-edge");
    const OpGraph g = build_op_graph(load_model("bert-tiny", kModelsDir), 64, 3, o);
    const std::string apart_text = "ops:\n  - op: l0.ffn.h1\n    block: {batch: 1}\n"
                                   "  - op: l0.ffn.gelu1\n    block: {batch: 1}\n"
                                   "  - op: l0.attn.out\n    block: {batch: 1}\n"
                                   "  - op: l0.attn.residual\n    block: {batch: 1}\n"
                                   "  - op: l0.attn.ln\n    block: {batch: 1}\n";
    const std::string fused_text = "ops:\n  - op: l0.ffn.h1\n    block: {batch: 1}\n"
                                   "  - op: l0.ffn.gelu1\n    fuse: true\n"
                                   "  - op: l0.attn.out\n    block: {batch: 1}\n"
                                   "  - op: l0.attn.ln\n    fuse: true\n";
    const TiledProgram apart = fusion_program(g, o, apart_text);
    const TiledProgram fused = fusion_program(g, o, fused_text);
    for (const std::string name : {"l0.ffn.h1", "l0.attn.out", "l0.attn.residual"}) {
        INFO(name);
        const int t = g.op(name).output;
        CHECK(fusion_traffic_of(apart, t) > 0);
        CHECK(fusion_traffic_of(fused, t) == 0);
    }
    // The fused add still reads its residual, block by block.
    const int residual_in = g.op("l0.attn.residual").a_inputs.back();
    CHECK(fusion_traffic_of(fused, residual_in) > 0);
    CHECK(fused.totals.macs == apart.totals.macs);
    CHECK(fused.totals.tile_ops == apart.totals.tile_ops);
}

TEST_CASE("illegal fusions are refused with the file and line", "[fusion]") {
    CompileOptions o = shipped("acceltran-edge");
    const OpGraph g = build_op_graph(load_model("bert-tiny", kModelsDir), 64, 3, o);
    const auto refusal = [&](const std::string& text) { return fusion_refusal(g, o, text); };
    // Unsupported kind: a matmul is not fused into anything.
    CHECK_THAT(refusal("ops:\n  - op: l0.attn.context\n    fuse: true\n"),
               Contains("fuse.yaml:3") && Contains("not a softmax, GELU, SwiGLU, layer-norm or RMSNorm"));
    // Illegal pair: the embedding's layer-norm follows an add of two inputs, no matmul.
    CHECK_THAT(refusal("ops:\n  - op: emb.ln\n    fuse: true\n"),
               Contains("fuse.yaml:3") && Contains("cannot be fused"));
    // A fused op takes its producer's blocks.
    CHECK_THAT(refusal("ops:\n  - op: l0.attn.probs\n    fuse: true\n    block: {batch: 1}\n"),
               Contains("fuse.yaml:4") && Contains("blocks of the matmul"));
    // fusion_chain_of says why for a consumer whose input is read twice.
    std::string why;
    CHECK(fusion_chain_of(g, g.op("l0.attn.residual"), why).producer < 0);
}

TEST_CASE("a fused matmul in column blocks keeps whole output rows resident, or is refused", "[fusion]") {
    CompileOptions o = shipped("acceltran-edge");
    const OpGraph g = build_op_graph(load_model("bert-tiny", kModelsDir), 64, 3, o);
    const Op& h1 = g.op("l0.ffn.h1");
    const Op& gelu = g.op("l0.ffn.gelu1");
    // W1 in blocks of one batch entry's 64 rows x 128 of its 512 columns; the GELU fused.
    const std::string text = "ops:\n  - op: l0.ffn.gelu1\n    fuse: true\n"
                             "  - op: l0.ffn.h1\n    block: {batch: 1, columns: 128}\n";
    const TiledProgram p = fusion_program(g, o, text);
    CHECK(fusion_traffic_of(p, h1.output) == 0);
    // Four column blocks per row block, then the GELU once over the row block's whole rows.
    std::vector<int> order;
    for (int op : fusion_compute_order(p))
        if (op == h1.id || op == gelu.id) order.push_back(op);
    REQUIRE(order.size() == 3 * 5);
    for (std::size_t r = 0; r < 3; ++r)
        CHECK(std::vector<int>(order.begin() + long(5 * r), order.begin() + long(5 * r + 5)) ==
              std::vector<int>{h1.id, h1.id, h1.id, h1.id, gelu.id});
    acceltran::testing::check_occupancy_in_program_order(p);

    // Rows not resident: 32 kB of activation buffer holds a 64 x 128 slice of A (10 kB: 8,192
    // values at density 0.5 and 20 bits) and a 64 x 128 output slice (10 kB) unfused, but not
    // beside the 64 x 512 rows (40 kB) fusion keeps.
    o.capacity[int(BufferKind::Activation)] = 32 * 1024;
    const std::string apart = "ops:\n  - op: l0.ffn.h1\n    block: {batch: 1, columns: 128}\n";
    o.op_directives = fusion_directives(g, o, apart).ops;
    CHECK_NOTHROW(compile_program(g, o));
    o.op_directives = fusion_directives(g, o, text).ops;
    CHECK_THROWS_WITH(compile_program(g, o), Contains("fuse.yaml:4") && Contains("output rows stay resident") &&
                                                 Contains("l0.ffn.gelu1"));
}

// The block order (MemoryBlock::columns_outer, docs/mapping.md §1.1): columns outer runs each column
// block over every row block, loading the weight's column slice once and A's row slice for every
// block; a fused consumer needs rows outer and refuses it with the producer entry's line.
TEST_CASE("columns outer runs the column blocks outside the row blocks and refuses a fused consumer", "[fusion][blocking]") {
    CompileOptions o = shipped("acceltran-edge");
    const OpGraph g = build_op_graph(load_model("bert-tiny", kModelsDir), 64, 3, o);
    const Op& h1 = g.op("l0.ffn.h1");
    const auto loads_of = [](const TiledProgram& p, int tensor) {
        int n = 0;
        for (const ProgramEntry& e : p.entries) n += e.kind == EntryKind::Load && e.tensor == tensor;
        return n;
    };
    for (const bool columns_outer : {false, true}) {
        const std::string text = std::string("ops:\n  - op: l0.ffn.h1\n    block: {batch: 1, columns: 128, order: ") +
                                 (columns_outer ? "columns_outer" : "rows_outer") + "}\n";
        const TiledProgram p = fusion_program(g, o, text);
        std::vector<std::int64_t> columns;  // each block's first column, in program order
        for (const ProgramEntry& e : p.entries)
            if (e.kind == EntryKind::Compute && e.op == h1.id) columns.push_back(e.grid.col_origin);
        REQUIRE(columns.size() == 3 * 4);
        for (std::size_t i = 0; i < columns.size(); ++i)
            CHECK(columns[i] == std::int64_t(128 * (columns_outer ? i / 3 : i % 4)));
        // Edge's weight buffer keeps the whole weight rows outer (one load); columns outer loads
        // each of its 4 column slices once. A: one slice per row block, or per block.
        CHECK(loads_of(p, h1.b_input) == (columns_outer ? 4 : 1));
        CHECK(loads_of(p, h1.a_inputs.front()) == (columns_outer ? 12 : 3));
        acceltran::testing::check_occupancy_in_program_order(p);
    }
    const std::string fused = "ops:\n  - op: l0.ffn.gelu1\n    fuse: true\n"
                              "  - op: l0.ffn.h1\n    block: {batch: 1, columns: 128, order: columns_outer}\n";
    o.op_directives = fusion_directives(g, o, fused).ops;
    CHECK_THROWS_WITH(compile_program(g, o), Contains("fuse.yaml:4") && Contains("columns_outer") &&
                                                 Contains("l0.ffn.gelu1") && Contains("rows_outer"));
}

namespace {

// Llama-1B's prefill of 512 tokens (batch 1, no LM head) compiled for the buffers of `o`. On
// Server the graph splits no FFN matmul; on Edge it cuts gate and up into 6 column slices each
// and down into 6 depth groups whose partial sums are added (docs/decoders.md §2).
OpGraph fusion_llama_prefill(const CompileOptions& o) {
    GenerationOptions g;
    g.prompt_len = 512;
    g.gen_len = 0;
    g.batch = 1;
    g.lm_head = false;
    g.buffers = o;
    return build_generation_graph(load_model("llama-1b", kModelsDir), g);
}

// Bytes of the store entries of one tensor.
std::uint64_t fusion_stores_of(const TiledProgram& p, int tensor) {
    std::uint64_t bytes = 0;
    for (const ProgramEntry& e : p.entries)
        if (e.kind == EntryKind::Store && e.tensor == tensor) bytes += e.data_bytes + e.mask_bytes;
    return bytes;
}

}  // namespace

TEST_CASE("RMSNorm fused with its residual add into W_out stores the residual stream once", "[fusion]") {
    CompileOptions o = shipped("acceltran-server");
    const OpGraph g = fusion_llama_prefill(o);
    const Op& out = g.op("prefill.l0.attn.out");
    const Op& add = g.op("prefill.l0.attn.residual");
    const Op& norm = g.op("prefill.l0.ffn.norm");
    REQUIRE(norm.kind == OpKind::RmsNorm);
    // Pre-norm: the add's output (the residual stream) is read by the norm and by the FFN's
    // residual add, so it reaches main memory in slices and the chain goes on from it.
    std::string why;
    const FusedChain chain = fusion_chain_of(g, norm, why);
    INFO(why);
    REQUIRE(chain.producer == out.id);
    CHECK(chain.consumers == std::vector<int>{add.id, norm.id});
    CHECK(chain.stored == std::vector<int>{add.output});

    const std::string apart_text = "ops:\n  - op: prefill.l0.attn.out\n    block: {rows: 128}\n";
    const std::string fused_text = apart_text + "  - op: prefill.l0.ffn.norm\n    fuse: true\n";
    const TiledProgram apart = fusion_program(g, o, apart_text);
    const TiledProgram fused = fusion_program(g, o, fused_text);
    // W_out's output: stored and loaded whole apart (2 x its bytes), never when fused.
    const TensorLayout& l = apart.layouts[std::size_t(out.output)];
    CHECK(fusion_traffic_of(apart, out.output) == 2 * (l.data_bytes + l.mask_bytes));
    CHECK(fusion_traffic_of(fused, out.output) == 0);
    // The residual stream: stored exactly once, in the four row blocks' slices.
    const TensorLayout& r = fused.layouts[std::size_t(add.output)];
    CHECK(fusion_stores_of(fused, add.output) == r.data_bytes + r.mask_bytes);
    // Block by block: W_out, add, norm, on their own unit classes.
    std::vector<int> order;
    for (int op : fusion_compute_order(fused))
        if (op == out.id || op == add.id || op == norm.id) order.push_back(op);
    CHECK(order == std::vector<int>{out.id, add.id, norm.id, out.id, add.id, norm.id, out.id, add.id, norm.id,
                                    out.id, add.id, norm.id});
    for (const ProgramEntry& e : fused.entries)
        if (e.kind == EntryKind::Compute && e.op == norm.id) CHECK(e.unit == o.unit_of(OpKind::RmsNorm));
    CHECK(fused.totals.macs == apart.totals.macs);
    CHECK(fused.totals.tile_ops == apart.totals.tile_ops);
    acceltran::testing::check_occupancy_in_program_order(fused);
}

TEST_CASE("SwiGLU fused into the up projection reads the gate's rows block by block", "[fusion]") {
    CompileOptions o = shipped("acceltran-server");
    const OpGraph g = fusion_llama_prefill(o);
    const Op& swiglu = g.op("prefill.l0.ffn.swiglu");
    const Op& up = g.op("prefill.l0.ffn.up");
    const Op& gate = g.op("prefill.l0.ffn.gate");
    std::string why;
    const FusedChain chain = fusion_chain_of(g, swiglu, why);
    INFO(why);
    REQUIRE(chain.producer == up.id);  // the later of the two matmuls
    CHECK(chain.consumers == std::vector<int>{swiglu.id});
    CHECK(chain.stored.empty());

    const std::string apart_text = "ops:\n  - op: prefill.l0.ffn.gate\n    block: {rows: 256}\n"
                                   "  - op: prefill.l0.ffn.up\n    block: {rows: 256}\n";
    const std::string fused_text = apart_text + "  - op: prefill.l0.ffn.swiglu\n    fuse: true\n";
    const TiledProgram apart = fusion_program(g, o, apart_text);
    const TiledProgram fused = fusion_program(g, o, fused_text);
    // The up projection's output: stored and loaded apart, never fused. The gate's (blocked too,
    // so stored either way) is loaded slice by slice beside it: the same bytes both ways.
    const TensorLayout& l = apart.layouts[std::size_t(up.output)];
    CHECK(fusion_traffic_of(apart, up.output) == 2 * (l.data_bytes + l.mask_bytes));
    CHECK(fusion_traffic_of(fused, up.output) == 0);
    CHECK(fusion_traffic_of(fused, gate.output) == fusion_traffic_of(apart, gate.output));
    CHECK(apart.totals.load_bytes + apart.totals.store_bytes - (fused.totals.load_bytes + fused.totals.store_bytes) ==
          2 * (l.data_bytes + l.mask_bytes));
    std::vector<int> order;
    for (int op : fusion_compute_order(fused))
        if (op == up.id || op == swiglu.id) order.push_back(op);
    CHECK(order == std::vector<int>{up.id, swiglu.id, up.id, swiglu.id});
    CHECK(fused.totals.macs == apart.totals.macs);
    CHECK(fused.totals.tile_ops == apart.totals.tile_ops);
    acceltran::testing::check_occupancy_in_program_order(fused);
}

TEST_CASE("decoder fusions that are not legal are refused with the file and line", "[fusion]") {
    CompileOptions o = shipped("acceltran-server");
    const OpGraph g = fusion_llama_prefill(o);
    const auto refusal = [&](const std::string& text) { return fusion_refusal(g, o, text); };
    // Layer 0's first norm reads the embedding rows: no add, no matmul before it.
    CHECK_THAT(refusal("ops:\n  - op: prefill.l0.attn.norm\n    fuse: true\n"),
               Contains("fuse.yaml:3") && Contains("cannot be fused") && Contains("not produced by an op"));
    // The rotary embedding is not a kind that fuses.
    CHECK_THAT(refusal("ops:\n  - op: prefill.l0.attn.q_rot\n    fuse: true\n"),
               Contains("fuse.yaml:3") && Contains("not a softmax, GELU, SwiGLU, layer-norm or RMSNorm"));
    // The FFN's residual add into the next layer's norm is legal on Server, where FFN down is
    // one matmul; on Edge the add reads the sum of its depth groups' partial sums, not a matmul.
    CHECK(refusal("ops:\n  - op: prefill.l1.attn.norm\n    fuse: true\n") == "accepted");
    CompileOptions edge = shipped("acceltran-edge");
    const OpGraph split = fusion_llama_prefill(edge);
    try {
        fusion_directives(split, edge, "ops:\n  - op: prefill.l1.attn.norm\n    fuse: true\n");
        FAIL("accepted");
    } catch (const InputError& e) {
        CHECK_THAT(std::string(e.what()), Contains("fuse.yaml:3") && Contains("prefill.l0.ffn.down.sum") &&
                                              Contains("is not a matmul"));
    }
}
