// Weight slicing (docs/decoders.md §2, "Weight slicing"): a matmul whose operands would not fit
// the buffers of the design point at once is split into column slices (hidden FFN matmuls, the
// LM head) or depth slices summed by adds (the FFN's last matmul), each fitting twice over.
// Graphs that fit stay exactly as they were.
#include <catch2/catch.hpp>

#include <algorithm>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "modules/accelerator.h"
#include "core/accelerator_config.h"
#include "core/errors.h"
#include "tests/unit/shipped_design.h"
#include "workloads/generation.h"
#include "workloads/model_spec.h"
#include "workloads/op_graph.h"
#include "workloads/tiled_program.h"
#include "workloads/graph_builder.h"
#include "workloads/buffer_planner.h"

using namespace acceltran;
using namespace acceltran::workloads;
using acceltran::testing::kConfigs;
using acceltran::testing::kModelsDir;
using acceltran::testing::shipped;

namespace {

GenerationOptions sliced_run(int prompt, int gen, const std::optional<CompileOptions>& buffers) {
    GenerationOptions o;
    o.prompt_len = prompt;
    o.gen_len = gen;
    o.batch = 1;
    o.buffers = buffers;
    return o;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// Ops whose names start with `prefix`, in graph order.
std::vector<const Op*> ops_named(const OpGraph& g, const std::string& prefix) {
    std::vector<const Op*> out;
    for (const Op& o : g.ops)
        if (starts_with(o.name, prefix)) out.push_back(&o);
    return out;
}

std::uint64_t total_macs(const OpGraph& g) {
    std::uint64_t macs = 0;
    for (const Op& op : g.ops) macs += std::uint64_t(op.macs());
    return macs;
}

std::vector<std::int64_t> widths(const std::vector<const Op*>& ops) {
    std::vector<std::int64_t> out;
    for (const Op* o : ops) out.push_back(o->n);
    return out;
}

// Two graphs with the same tensors and ops, field by field.
void check_same(const OpGraph& a, const OpGraph& b) {
    REQUIRE(a.tensors.size() == b.tensors.size());
    REQUIRE(a.ops.size() == b.ops.size());
    for (std::size_t t = 0; t < a.tensors.size(); ++t) {
        const Tensor &x = a.tensors[t], &y = b.tensors[t];
        INFO(x.name);
        CHECK((x.name == y.name && x.kind == y.kind && x.layer == y.layer && x.batch == y.batch &&
               x.rows == y.rows && x.cols == y.cols && x.gathered == y.gathered && x.cache == y.cache &&
               x.known_after == y.known_after));
    }
    for (std::size_t i = 0; i < a.ops.size(); ++i) {
        const Op &x = a.ops[i], &y = b.ops[i];
        INFO(x.name);
        CHECK((x.name == y.name && x.kind == y.kind && x.category == y.category && x.layer == y.layer &&
               x.phase == y.phase && x.step == y.step && x.batch == y.batch && x.m == y.m && x.n == y.n &&
               x.k == y.k && x.a_inputs == y.a_inputs && x.b_input == y.b_input && x.b_more == y.b_more &&
               x.output == y.output && x.causal.on == y.causal.on && x.last_position == y.last_position));
    }
    CHECK(a.outputs == b.outputs);
}

// Weight-matrix elements and stored bytes (compressed data, masks), without the per-step tables
// (position rows, cos/sin rows).
struct WeightBytes {
    std::uint64_t elements = 0, data = 0, mask = 0;
    void add(std::uint64_t n, const CompileOptions& o) {
        elements += n;
        data += compressed_bytes(n, o.weight_density, o.element_bits);
        mask += mask_bytes(n);
    }
};

WeightBytes graph_weights(const OpGraph& g, const CompileOptions& o) {
    WeightBytes w;
    for (const Tensor& t : g.tensors)
        if (t.kind == TensorKind::Weight && !t.gathered && t.name.find("rope.table") == std::string::npos)
            w.add(std::uint64_t(t.elements()), o);
    return w;
}

// llama-1b from its description alone: every matrix whole.
constexpr std::int64_t kLayers = 16, kHidden = 2048, kHeads = 32, kKvHeads = 8, kWidth = 64, kFfn = 8192,
                       kVocab = 128256;

WeightBytes llama_1b_weights(const CompileOptions& o) {
    WeightBytes w;
    for (int l = 0; l < kLayers; ++l) {
        for (std::int64_t n : {kHeads, kKvHeads, kKvHeads, kHeads}) w.add(std::uint64_t(kHidden * n * kWidth), o);
        for (int i = 0; i < 3; ++i) w.add(std::uint64_t(kHidden * kFfn), o);  // gate, up, down
    }
    w.add(std::uint64_t(kHidden * kVocab), o);  // LM head
    return w;
}

// MACs of a llama-1b generation of P prompt tokens and G steps, batch 1: every token through
// every projection, the prefill's causal attention (lower triangle), each decode step's
// attention over P + t positions, one LM head per step.
std::uint64_t llama_1b_macs(std::int64_t P, std::int64_t G) {
    const std::int64_t per_token = kHidden * kHeads * kWidth * 2 + kHidden * kKvHeads * kWidth * 2 + 3 * kHidden * kFfn;
    std::int64_t attention = 2 * kHeads * kWidth * P * (P + 1) / 2;  // Q.K^T and probs x V
    for (std::int64_t t = 1; t <= G; ++t) attention += 2 * kHeads * kWidth * (P + t);
    return std::uint64_t(kLayers * ((P + G) * per_token + attention) + (1 + G) * kHidden * kVocab);
}

// 8-bit dense words, so that bytes are easy to count: one byte per element, masks 1/8.
CompileOptions byte_words(std::uint64_t activation, std::uint64_t weight, std::uint64_t mask) {
    CompileOptions o;
    o.element_bits = 8;
    o.activation_density = o.weight_density = 1.0;
    o.capacity[int(BufferKind::Activation)] = activation;
    o.capacity[int(BufferKind::Weight)] = weight;
    o.capacity[int(BufferKind::Mask)] = mask;
    return o;
}

}  // namespace

TEST_CASE("llama-1b, prompt 32 and 4 decode steps, compiles on both shipped accelerators once split to fit",
          "[slicing][generation][tiled_program]") {
    const ModelSpec m = load_model("llama-1b", kModelsDir);
    for (const char* accel : {"acceltran-edge", "acceltran-server"}) {
        INFO(accel);
        const CompileOptions o = shipped(accel);
        const OpGraph g = build_generation_graph(m, sliced_run(32, 4, o));
        TiledProgram p;
        REQUIRE_NOTHROW(p = compile_program(g, o));
        CHECK(p.totals.compute_entries == g.ops.size());
        // The split graph does the work of the whole one, and holds the same weights.
        CHECK(p.totals.macs == llama_1b_macs(32, 4));
        const WeightBytes split = graph_weights(g, o), whole = llama_1b_weights(o);
        CHECK(split.elements == whole.elements);
        CHECK(split.data == whole.data);
        CHECK(split.mask == whole.mask);
        CHECK(total_macs(build_generation_graph(m, sliced_run(32, 4, std::nullopt))) == llama_1b_macs(32, 4));
    }
    // Unsplit, its 2048 x 8192 FFN weight (20 MiB compressed) does not fit Edge's 8 MiB whole:
    // the planner blocks the op inside instead (op_blocking.h).
    const CompileOptions edge = shipped("acceltran-edge");
    const OpGraph unsplit = build_generation_graph(m, sliced_run(32, 4, std::nullopt));
    CHECK(compile_program(unsplit, edge).blocked[std::size_t(unsplit.op("prefill.l0.ffn.gate").id)].has_value());
}

TEST_CASE("llama-1b on Edge: six FFN slices and 79 LM-head slices, by hand", "[slicing][generation]") {
    // Edge: weight buffer 8 MiB, mask 1 MiB, activation 4 MiB; 20-bit words at density 0.5, so
    // a weight element takes 1.25 bytes of data and 1/8 byte of mask. A slice must fit twice.
    //   gate/up, 2048 x c: 2 * 2560 c <= 8,388,608 -> c <= 1638, 102 tiles of 16 (1632); the mask
    //     (8192 + 2 * (256 c + 4 c) <= 1 MiB at 32 rows) allows 2000. 8192 columns are 512 tiles:
    //     ceil(512 / 102) = 6 slices, 86, 86, 85, 85, 85, 85 tiles.
    //   down, 8192 x 2048: each gate slice's rows (2 * 1376 * 2560 = 7.0 MB fits, two slices'
    //     14 MB do not): six depth slices, five adds.
    //   LM head: its default slice (2048 x 8192, 20 MiB) does not fit; 128256 columns are 8016
    //     tiles, 102 per slice: ceil(8016 / 102) = 79 slices of 101 or 102 tiles.
    const ModelSpec m = load_model("llama-1b", kModelsDir);
    const OpGraph g = build_generation_graph(m, sliced_run(32, 4, shipped("acceltran-edge")));
    for (const std::string step : {"prefill.", "decode4."}) {
        INFO(step);
        CHECK(widths(ops_named(g, step + "l0.ffn.gate.s")) == std::vector<std::int64_t>{1376, 1376, 1360, 1360, 1360, 1360});
        CHECK(widths(ops_named(g, step + "l15.ffn.up.s")) == widths(ops_named(g, step + "l15.ffn.gate.s")));
        CHECK(ops_named(g, step + "l3.ffn.swiglu.s").size() == 6);
        const auto down = ops_named(g, step + "l3.ffn.down.k");
        REQUIRE(down.size() == 6);
        for (const Op* o : down) CHECK(o->n == kHidden);
        CHECK(down[0]->k == 1376);
        CHECK(ops_named(g, step + "l3.ffn.down.sum").size() == 5);
        CHECK(g.op(step + "l3.ffn.residual").a_inputs.front() == g.op(step + "l3.ffn.down.sum5").output);
        // Attention projections fit whole.
        CHECK(g.op(step + "l0.attn.q").n == kHeads * kWidth);
        const auto head = ops_named(g, step + "lm_head.s");
        REQUIRE(head.size() == 79);
        std::int64_t vocab = 0;
        for (const Op* o : head) {
            CHECK((o->n == 1632 || o->n == 1616));
            vocab += o->n;
        }
        CHECK(vocab == kVocab);
    }
    CHECK(lm_head_slice_columns(m, sliced_run(32, 4, shipped("acceltran-edge"))) == 1632);
    CHECK(lm_head_slice_columns(m, sliced_run(32, 4, std::nullopt)) == kFfn);
    // Every slice fits twice in the weight buffer (the whole attention matrices, 5 MiB, once).
    const CompileOptions o = shipped("acceltran-edge");
    for (const Tensor& t : g.tensors)
        if (starts_with(t.name, "lm_head.w") || t.name.find("ffn.w_") != std::string::npos)
            CHECK(2 * compressed_bytes(std::uint64_t(t.elements()), o.weight_density, o.element_bits) <=
                  o.capacity[int(BufferKind::Weight)]);
}

TEST_CASE("graphs that fit the shipped buffers are unchanged by slicing", "[slicing][op_graph]") {
    for (const char* accel : {"acceltran-edge", "acceltran-server"}) {
        INFO(accel);
        const CompileOptions o = shipped(accel);
        for (const char* model : {"bert-base", "bert-tiny"}) {
            INFO(model);
            const ModelSpec m = load_model(model, kModelsDir);
            check_same(build_op_graph(m, 128, 4, o), build_op_graph(m, 128, 4));
        }
        const ModelSpec gpt2 = load_model("gpt2", kModelsDir);
        check_same(build_generation_graph(gpt2, sliced_run(32, 4, o)), build_generation_graph(gpt2, sliced_run(32, 4, std::nullopt)));
    }
    // llama-1b's matrices (20 MiB at most) fit Server's 64 MiB weight buffer whole.
    const ModelSpec llama = load_model("llama-1b", kModelsDir);
    check_same(build_generation_graph(llama, sliced_run(32, 4, shipped("acceltran-server"))),
               build_generation_graph(llama, sliced_run(32, 4, std::nullopt)));
}

TEST_CASE("a huge FFN on a tiny weight buffer gets the slices the arithmetic gives", "[slicing][op_graph]") {
    // Weight buffer 256 KiB.
    const CompileOptions o = byte_words(4u << 20, 256u << 10, 1u << 20);

    SECTION("decoder: hidden 256, FFN 4096, vocabulary 8000") {
        ModelSpec m;
        m.name = "wide";
        m.architecture = "decoder";
        m.vocab_size = 8000;
        m.max_positions = 64;
        LayerSpec layer;
        layer.hidden = 256;
        layer.heads.assign(4, AttentionHeadSpec{"sa_sdp", 64});
        layer.ffn = {4096};
        m.layers = {layer, layer};
        const OpGraph g = build_generation_graph(m, sliced_run(16, 2, o));
        const OpGraph whole = build_generation_graph(m, sliced_run(16, 2, std::nullopt));
        for (const std::string step : {"prefill.l1.", "decode2.l0."}) {
            INFO(step);
            // h1, 256 x c: 2 * 256 c <= 262,144 -> c <= 512: 4096 / 512 = 8 slices of 512.
            CHECK(widths(ops_named(g, step + "ffn.h1.s")) == std::vector<std::int64_t>(8, 512));
            CHECK(ops_named(g, step + "ffn.gelu1.s").size() == 8);
            // out, 4096 x 256: one 512-row slice fits twice (exactly 256 KiB), two do not.
            CHECK(widths(ops_named(g, step + "ffn.out.k")) == std::vector<std::int64_t>(8, 256));
            CHECK(ops_named(g, step + "ffn.out.sum").size() == 7);
            // Each h1 slice reads the whole hidden state; each out slice one GELU slice.
            CHECK(g.op(step + "ffn.h1.s3").k == 256);
            CHECK(g.op(step + "ffn.out.k3").a_inputs == std::vector<int>{g.op(step + "ffn.gelu1.s3").output});
        }
        // LM head: 8000 columns are 500 tiles, 32 per slice: 16 slices, 4 of 32 tiles, 12 of 31.
        std::vector<std::int64_t> head(4, 512);
        head.insert(head.end(), 12, 496);
        CHECK(lm_head_slices(m, sliced_run(16, 2, o)) == head);
        CHECK(widths(ops_named(g, "decode1.lm_head.s")) == head);
        // Same work, same weights, and it compiles where the whole graph cannot.
        CHECK(total_macs(g) == total_macs(whole));
        CHECK(graph_weights(g, o).data == graph_weights(whole, o).data);
        CHECK(compile_program(g, o).totals.macs == total_macs(whole));
        // The whole graph runs only by blocking ops inside (op_blocking.h).
        const TiledProgram unsplit = compile_program(whole, o);
        CHECK(std::any_of(unsplit.blocked.begin(), unsplit.blocked.end(), [](const auto& b) { return b.has_value(); }));
    }
    SECTION("encoder: BERT-Tiny (hidden 128) with an FFN of 4096") {
        ModelSpec m = load_model("bert-tiny", kModelsDir);
        for (LayerSpec& layer : m.layers) layer.ffn = {4096};
        const OpGraph g = build_op_graph(m, 32, 2, o);
        // h1, 128 x c: 2 * 128 c <= 262,144 -> c <= 1024: 4 slices; out: 1024-row slices fit
        // twice, two of them do not: 4 depth slices, 3 adds.
        CHECK(widths(ops_named(g, "l1.ffn.h1.s")) == std::vector<std::int64_t>(4, 1024));
        CHECK(ops_named(g, "l1.ffn.out.k").size() == 4);
        CHECK(ops_named(g, "l1.ffn.out.sum").size() == 3);
        CHECK(total_macs(g) == total_macs(build_op_graph(m, 32, 2)));
        CHECK(compile_program(g, o).totals.compute_entries == g.ops.size());
    }
}

TEST_CASE("BufferFit follows the planner's bytes to the byte", "[slicing][tiled_program]") {
    CompileOptions o = byte_words(1u << 20, 64u << 10, 1u << 20);
    const BufferFit fit(o);
    // A 128 x c weight takes 128 c bytes: 512 columns fill 64 KiB exactly.
    CHECK(fit.fits(16, {128}, 512, 1));
    CHECK_FALSE(fit.fits(16, {128}, 513, 1));
    CHECK(fit.fits(16, {128}, 256, 2));
    CHECK_FALSE(fit.fits(16, {128}, 257, 2));
    // k split over several A slices counts the same.
    CHECK(fit.fits(16, {64, 64}, 512, 1));
    // Off: nothing is split.
    CHECK(BufferFit().plan(16, {128}, 1 << 20, true).kind == WeightSplit::Kind::Whole);
    // Several k tiles under an order that parks partial sums reserve the output dense: with
    // activation density 0.25 the output of 16 x 4096 takes 16,384 compressed bytes but 65,536 dense.
    o.activation_density = 0.25;
    o.capacity[int(BufferKind::Weight)] = 1u << 30;
    o.capacity[int(BufferKind::Activation)] = 32768;
    CHECK(BufferFit(o).fits(16, {128}, 4096, 1));
    o.loop_order = LoopOrder::parse("b_i_k_j");
    CHECK_FALSE(BufferFit(o).fits(16, {128}, 4096, 1));
}
