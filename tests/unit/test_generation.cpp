// The generation graph of decoders (workloads/generation.h): phases and steps, the KV cache as
// segments, causal masking, grouped-query attention and the token dependency between steps.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "modules/accelerator.h"
#include "core/accelerator_config.h"
#include "core/errors.h"
#include "tests/source_tree.h"
#include "workloads/generation.h"
#include "workloads/model_spec.h"
#include "workloads/op_graph.h"
#include "workloads/graph_builder.h"

using namespace acceltran;
using namespace acceltran::workloads;
using Catch::Matchers::Contains;
using acceltran::testing::kModelsDir;
using acceltran::testing::kConfigs;

namespace {


GenerationOptions generation_shape(int prompt, int gen, int batch, bool lm_head = true) {
    GenerationOptions o;
    o.prompt_len = prompt;
    o.gen_len = gen;
    o.batch = batch;
    o.lm_head = lm_head;
    return o;
}

std::vector<const Op*> ops_of_step(const OpGraph& g, int step) {
    std::vector<const Op*> out;
    for (const Op& o : g.ops)
        if (o.step == step) out.push_back(&o);
    return out;
}

// The B operand of an attention op: its key or value segments in position order.
std::vector<int> segments(const Op& o) {
    std::vector<int> all{o.b_input};
    all.insert(all.end(), o.b_more.begin(), o.b_more.end());
    return all;
}

std::int64_t rows(const OpGraph& g, const std::vector<int>& tensors) {
    std::int64_t sum = 0;
    for (int t : tensors) sum += g.tensors[t].rows;
    return sum;
}

// Every consumer relies on these (as for the encoder graph in test_op_graph.cpp).
void check_generation_graph(const OpGraph& g) {
    REQUIRE(g.producer.size() == g.tensors.size());
    for (std::size_t i = 0; i < g.ops.size(); ++i) {
        const Op& o = g.ops[i];
        CHECK(o.id == int(i));
        CHECK(g.tensors[o.output].elements() == o.out_elements());
        if (i > 0) {
            // Execution order: the prefill, then the decode steps in order.
            CHECK(o.step >= g.ops[i - 1].step);
            CHECK((o.phase == Phase::Prefill) == (o.step == 0));
        }
        for (int t : o.inputs()) {
            CHECK(g.producer[t] < int(i));
            CHECK(std::count(g.consumers[t].begin(), g.consumers[t].end(), int(i)) == 1);
        }
        if (o.kind == OpKind::MatMul) {
            std::int64_t a = 0;
            for (int t : o.a_inputs) a += g.tensors[t].elements();
            CHECK(a == o.batch * o.m * o.k);
            std::int64_t b = 0;
            for (int t : segments(o)) b += g.tensors[t].elements();
            CHECK(b == (o.b_batched ? o.batch : 1) * o.k * o.n);
        } else {
            const std::int64_t in = g.tensors[o.a_inputs[0]].elements();
            // A prefill's final norm reads the last position of each sequence only.
            CHECK(in == (o.last_position ? o.out_elements() * g.tensors[o.a_inputs[0]].rows : o.out_elements()));
        }
    }
    for (std::size_t t = 0; t < g.tensors.size(); ++t)
        if (std::find(g.outputs.begin(), g.outputs.end(), int(t)) == g.outputs.end())
            CHECK(!g.consumers[t].empty());
}

}  // namespace

TEST_CASE("a GPT-2 generation graph holds the prefill and every decode step", "[generation]") {
    const ModelSpec m = load_model("gpt2", kModelsDir);
    const int P = 32, G = 8, B = 2;
    const OpGraph g = build_generation_graph(m, generation_shape(P, G, B));
    check_generation_graph(g);
    CHECK(g.seq == P + G);
    CHECK(g.prompt_len == P);
    CHECK(g.gen_len == G);

    // Per step: the embedding add; per layer norm, Q, K, V, Q.K^T, softmax, probs x V, output
    // projection, add, norm, FFN up, GELU, FFN down, add (14); the final norm and the LM head
    // in slices as wide as the FFN (3072 columns: 16 full slices and one of 1105).
    const std::size_t L = m.layers.size(), slices = (50257 + 3071) / 3072;
    CHECK(lm_head_slice_columns(m, generation_shape(P, G, B)) == 3072);
    const std::size_t per_step = 1 + 14 * L + 1 + slices;
    CHECK(g.ops.size() == (G + 1) * per_step);
    for (int step = 0; step <= G; ++step) {
        INFO("step " << step);
        const auto ops = ops_of_step(g, step);
        CHECK(ops.size() == per_step);
        const std::int64_t S = step == 0 ? P : 1;
        for (const Op* o : ops) {
            CHECK(o->phase == (step == 0 ? Phase::Prefill : Phase::Decode));
            if (o->kind == OpKind::MatMul && o->category != OpCategory::MhaActToAct)
                CHECK(o->batch * o->m == B * (o->category == OpCategory::LmHead ? 1 : S));
        }
    }
    // Weights are shared by all steps; the LM head's slices cover the vocabulary.
    CHECK(g.consumers[g.tensor("l5.attn.wq").id].size() == std::size_t(G + 1));
    std::int64_t vocab = 0;
    for (std::size_t i = 0; i < slices; ++i) vocab += g.tensor("lm_head.w" + std::to_string(i)).cols;
    CHECK(vocab == 50257);
    // Each step's logits go to main memory.
    CHECK(g.outputs.size() == (G + 1) * slices);
    CHECK(g.op("decode3.lm_head.s16").category == OpCategory::LmHead);
    CHECK(g.op("prefill.final_norm").last_position);
    CHECK(!g.op("decode3.final_norm").last_position);
}

TEST_CASE("decode step t attends to a cache of P + t positions", "[generation]") {
    const ModelSpec m = load_model("gpt2", kModelsDir);
    for (int P : {0, 1, 17}) {
        const int G = 5, B = 3;
        INFO("prompt " << P);
        const OpGraph g = build_generation_graph(m, generation_shape(P, G, B));
        check_generation_graph(g);
        for (int t = 1; t <= G; ++t) {
            INFO("step " << t);
            const std::string p = "decode" + std::to_string(t) + ".l4.attn.";
            const Op& scores = g.op(p + "scores");
            const Op& context = g.op(p + "context");
            CHECK(scores.n == P + t);
            CHECK(context.k == P + t);
            CHECK((!scores.causal.on && !context.causal.on));  // one query sees the whole cache
            const auto keys = segments(scores), values = segments(context);
            CHECK(rows(g, keys) == P + t);
            CHECK(rows(g, values) == P + t);
            // The prefill's segment (when there is a prompt), then one per decode step so far,
            // the last being this step's own K and V.
            CHECK(keys.size() == std::size_t((P > 0 ? 1 : 0) + t));
            CHECK(keys.back() == g.op(p + "k").output);
            CHECK(values.back() == g.op(p + "v").output);
            for (int k : keys) CHECK((g.tensors[k].cache == CacheRole::Key && g.tensors[k].layer == 4));
            for (int v : values) CHECK(g.tensors[v].cache == CacheRole::Value);
            if (P > 0) CHECK(keys.front() == g.op("prefill.l4.attn.k").output);
        }
    }
}

TEST_CASE("KV-cache bytes read per decode step grow linearly", "[generation]") {
    // Per token and layer the cache holds a key and a value row of kv_heads x head width values
    // per sequence, so step t reads 2 * L * B * (P + t) * kv * width values.
    for (const char* name : {"gpt2", "llama-1b"}) {
        INFO(name);
        const ModelSpec m = load_model(name, kModelsDir);
        const int P = 6, G = 4, B = 2;
        const OpGraph g = build_generation_graph(m, generation_shape(P, G, B));
        const std::int64_t L = m.layers.size(), kv = m.layers[0].key_value_heads(),
                           width = m.layers[0].heads[0].width;
        for (int t = 1; t <= G; ++t) {
            std::int64_t read = 0;
            for (const Op* o : ops_of_step(g, t))
                for (int s : o->b_more) read += g.tensors[s].elements();
            for (const Op* o : ops_of_step(g, t))
                if (o->category == OpCategory::MhaActToAct) read += g.tensors[o->b_input].elements();
            CHECK(read == 2 * L * B * (P + t) * kv * width);
        }
    }
}

TEST_CASE("grouped-query attention shrinks K/V weights and the cache by heads/kv_heads", "[generation]") {
    const ModelSpec gqa = load_model("llama-1b", kModelsDir);
    ModelSpec mha = gqa;
    for (LayerSpec& l : mha.layers) l.kv_heads = int(l.heads.size());
    const std::int64_t heads = 32, kv = 8, group = heads / kv, width = 64, B = 2, P = 8;
    REQUIRE(gqa.layers[0].key_value_heads() == kv);
    const OpGraph a = build_generation_graph(gqa, generation_shape(int(P), 2, int(B)));
    const OpGraph b = build_generation_graph(mha, generation_shape(int(P), 2, int(B)));
    check_generation_graph(a);
    for (const char* w : {"l0.attn.wk", "l0.attn.wv"})
        CHECK(b.tensor(w).elements() == group * a.tensor(w).elements());
    CHECK(a.tensor("l0.attn.wq").elements() == b.tensor("l0.attn.wq").elements());
    for (const char* seg : {"prefill.l3.attn.k_rot", "prefill.l3.attn.v", "decode2.l3.attn.k_rot"})
        CHECK(b.tensor(seg).elements() == group * a.tensor(seg).elements());
    // The query heads of a group are rows of one matmul per (sequence, kv head): same MACs,
    // each cached block read once per group.
    const Op& s = a.op("decode2.l3.attn.scores");
    CHECK((s.batch == B * kv && s.m == group && s.n == P + 2 && s.k == width));
    CHECK(s.macs() == b.op("decode2.l3.attn.scores").macs());
    CHECK(a.op("prefill.l3.attn.context").macs() == b.op("prefill.l3.attn.context").macs());
    CHECK(a.op("prefill.l3.attn.scores").m == P * group);
}

TEST_CASE("the prefill's attention computes the lower triangle only", "[generation]") {
    const ModelSpec m = load_model("llama-1b", kModelsDir);
    const std::int64_t P = 13, B = 2, heads = 32, width = 64;
    const OpGraph g = build_generation_graph(m, generation_shape(int(P), 1, int(B)));
    // Query i sees keys 0..i: P (P + 1) / 2 pairs per sequence and head.
    const std::int64_t pairs = B * heads * P * (P + 1) / 2;
    const Op& scores = g.op("prefill.l0.attn.scores");
    const Op& probs = g.op("prefill.l0.attn.probs");
    const Op& context = g.op("prefill.l0.attn.context");
    CHECK((scores.causal.on && probs.causal.on && context.causal.on));
    CHECK(scores.macs() == pairs * width);
    CHECK(context.macs() == pairs * width);
    CHECK(probs.active_elements() == pairs);
    CHECK(scores.active_elements() == pairs);
    CHECK(context.active_elements() == context.out_elements());
    // Storage stays rectangular.
    CHECK(g.tensors[scores.output].elements() == B * heads * P * P);
    CHECK(g.op("decode1.l0.attn.scores").macs() == B * heads * (P + 1) * width);
}

TEST_CASE("Llama layers use RMSNorm, rotary embedding and SwiGLU", "[generation]") {
    const ModelSpec m = load_model("llama-1b", kModelsDir);
    const OpGraph g = build_generation_graph(m, generation_shape(4, 1, 1));
    check_generation_graph(g);
    // Per layer: norm, Q, K, V, 2 rotations, Q.K^T, softmax, probs x V, output projection, add,
    // norm, gate, up, SwiGLU, down, add = 17; per step a final norm and the LM head slices
    // (8192 columns wide: 16 slices for 128256 words). No embedding add: positions are rotary.
    const std::size_t per_step = 17 * 16 + 1 + 16;
    CHECK(g.ops.size() == 2 * per_step);
    CHECK(g.op("prefill.l2.attn.norm").kind == OpKind::RmsNorm);
    const Op& rot = g.op("decode1.l2.attn.k_rot");
    CHECK(rot.kind == OpKind::Rotary);
    CHECK(rot.a_inputs == std::vector<int>{g.op("decode1.l2.attn.k").output, g.tensor("decode1.rope.table").id});
    CHECK((g.tensor("prefill.rope.table").rows == 4 && g.tensor("prefill.rope.table").cols == 64));
    const Op& glu = g.op("prefill.l2.ffn.swiglu");
    CHECK(glu.kind == OpKind::SwiGlu);
    CHECK(glu.a_inputs == std::vector<int>{g.op("prefill.l2.ffn.gate").output, g.op("prefill.l2.ffn.up").output});
    CHECK(g.op("prefill.l2.ffn.down").a_inputs == std::vector<int>{glu.output});
    CHECK(g.op("decode1.final_norm").kind == OpKind::RmsNorm);
    CHECK(g.tensors[g.op("prefill.l0.attn.norm").a_inputs[0]].name == "prefill.emb.word_rows");
}

TEST_CASE("a decode step's token is fetched only after the previous step's logits", "[generation]") {
    const ModelSpec m = load_model("gpt2", kModelsDir);
    const OpGraph g = build_generation_graph(m, generation_shape(5, 3, 1));
    CHECK(g.tensor("prefill.emb.word_rows").known_after.empty());
    for (int t = 1; t <= 3; ++t) {
        const std::string prev = t == 1 ? "prefill." : "decode" + std::to_string(t - 1) + ".";
        std::vector<int> logits;
        for (const Op& o : g.ops)
            if (o.category == OpCategory::LmHead && o.name.rfind(prev, 0) == 0) logits.push_back(o.id);
        CHECK(logits.size() == 17);
        CHECK(g.tensor("decode" + std::to_string(t) + ".emb.word_rows").known_after == logits);
        // Positions are known up front.
        CHECK(g.tensor("decode" + std::to_string(t) + ".emb.pos_rows").known_after.empty());
    }
    // Without an LM head the step's last hidden state stands for its token.
    const OpGraph bare = build_generation_graph(m, generation_shape(5, 1, 1, false));
    const Op& last = bare.op("prefill.l11.ffn.residual");
    CHECK(bare.tensor("decode1.emb.word_rows").known_after == std::vector<int>{last.id});
    CHECK(bare.outputs == std::vector<int>{last.output, bare.op("decode1.l11.ffn.residual").output});
}

TEST_CASE("a decoder's forward pass is a prefill", "[generation]") {
    const ModelSpec m = load_model("gpt2-medium", kModelsDir);
    const OpGraph a = build_op_graph(m, 24, 2);
    const OpGraph b = build_generation_graph(m, generation_shape(24, 0, 2));
    REQUIRE(a.ops.size() == b.ops.size());
    for (std::size_t i = 0; i < a.ops.size(); ++i) {
        CHECK(a.ops[i].name == b.ops[i].name);
        CHECK(a.ops[i].macs() == b.ops[i].macs());
    }
    CHECK((a.prompt_len == 24 && a.gen_len == 0 && a.seq == 24));
}

TEST_CASE("a generation graph split to fit Edge's buffers is consistent", "[generation][slicing]") {
    // llama-1b's FFN and LM head are split on Edge (tests/unit/test_weight_slicing.cpp); its
    // forward pass through build_op_graph is split the same way.
    const ModelSpec m = load_model("llama-1b", kModelsDir);
    const CompileOptions edge = compile_options(load_accelerator("acceltran-edge", kConfigs));
    GenerationOptions o = generation_shape(8, 2, 2);
    o.buffers = edge;
    const OpGraph g = build_generation_graph(m, o);
    check_generation_graph(g);
    CHECK(g.op("decode2.l15.ffn.down.sum5").kind == OpKind::Add);
    const OpGraph prefill = build_op_graph(m, 8, 2, edge);
    check_generation_graph(prefill);
    CHECK(prefill.op("prefill.l0.ffn.gate.s5").n == 1360);
}

TEST_CASE("generation refuses shapes and models that cannot work", "[generation]") {
    const ModelSpec gpt2 = load_model("gpt2", kModelsDir);
    REQUIRE_THROWS_WITH(build_generation_graph(gpt2, generation_shape(1000, 25, 1)),
                        Contains("(1025) is outside 1..1024") && Contains("max_positions 1024"));
    REQUIRE_THROWS_WITH(build_generation_graph(gpt2, generation_shape(0, 0, 1)), Contains("(0) is outside"));
    REQUIRE_THROWS_WITH(build_generation_graph(gpt2, generation_shape(-1, 4, 1)), Contains("must not be negative"));
    REQUIRE_THROWS_WITH(build_generation_graph(gpt2, generation_shape(4, 4, 0)), Contains("batch 0"));
    REQUIRE_THROWS_WITH(build_generation_graph(load_model("bert-tiny", kModelsDir), generation_shape(4, 4, 1)),
                        Contains("is an encoder"));
    ModelSpec odd = gpt2;
    odd.layers[3].kv_heads = 5;
    REQUIRE_THROWS_WITH(build_generation_graph(odd, generation_shape(4, 4, 1)),
                        Contains("layer 3") && Contains("kv_heads (5) must divide"));
    ModelSpec mixed = gpt2;
    mixed.layers[0].heads[0].width = 32;
    REQUIRE_THROWS_WITH(build_generation_graph(mixed, generation_shape(4, 4, 1)), Contains("one width"));
    ModelSpec encoder_gqa = load_model("bert-tiny", kModelsDir);
    encoder_gqa.layers[0].kv_heads = 1;
    REQUIRE_THROWS_WITH(build_op_graph(encoder_gqa, 8, 1), Contains("needs a decoder"));
}
