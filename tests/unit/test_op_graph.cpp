#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include "core/errors.h"
#include "tests/source_tree.h"
#include "workloads/model_spec.h"
#include "workloads/op_graph.h"
#include "workloads/graph_builder.h"

using namespace acceltran;
using namespace acceltran::workloads;
using Catch::Matchers::Contains;
using acceltran::testing::kModelsDir;

namespace {


// Structural invariants every consumer relies on.
void check_graph_links(const OpGraph& g) {
    REQUIRE(g.producer.size() == g.tensors.size());
    REQUIRE(g.consumers.size() == g.tensors.size());
    for (std::size_t t = 0; t < g.tensors.size(); ++t) {
        CHECK(g.tensors[t].id == int(t));
        const bool produced = g.tensors[t].kind == TensorKind::Activation;
        CHECK((g.producer[t] >= 0) == produced);
        if (produced) CHECK(g.ops[g.producer[t]].output == int(t));
        CHECK(std::is_sorted(g.consumers[t].begin(), g.consumers[t].end()));
        CHECK(std::adjacent_find(g.consumers[t].begin(), g.consumers[t].end()) ==
              g.consumers[t].end());
        // Only the final hidden state may be left unread.
        if (std::find(g.outputs.begin(), g.outputs.end(), int(t)) == g.outputs.end())
            CHECK(!g.consumers[t].empty());
    }
    for (std::size_t i = 0; i < g.ops.size(); ++i) {
        const Op& o = g.ops[i];
        CHECK(o.id == int(i));
        CHECK(g.tensors[o.output].elements() == o.out_elements());
        std::vector<int> inputs = o.a_inputs;
        if (o.b_input >= 0) inputs.push_back(o.b_input);
        CHECK(!inputs.empty());
        for (int t : inputs) {
            // Topological order: an input is a weight/input or produced earlier.
            CHECK(g.producer[t] < int(i));
            const auto& c = g.consumers[t];
            CHECK(std::find(c.begin(), c.end(), int(i)) != c.end());
        }
        for (int c : g.consumers[o.output]) CHECK(c > int(i));
        if (o.kind == OpKind::MatMul) {
            std::int64_t k = 0;
            for (int t : o.a_inputs) k += g.tensors[t].elements();
            CHECK(k == o.batch * o.m * o.k);  // A is batch x m x k, split along k
            const Tensor& b = g.tensors[o.b_input];
            CHECK(b.elements() == (o.b_batched ? o.batch : 1) * o.k * o.n);
        } else {
            CHECK(o.k == 0);
            CHECK(o.b_input == -1);
            CHECK(g.tensors[o.a_inputs[0]].elements() == o.out_elements());
        }
    }
}

}  // namespace

TEST_CASE("op graph of a uniform BERT matches the closed forms", "[op_graph]") {
    for (const char* name : {"bert-tiny", "bert-mini", "bert-base", "bert-large"}) {
        for (int seq : {1, 37, 128, 512}) {
            for (int batch : {1, 4}) {
                INFO(name << " seq " << seq << " batch " << batch);
                ModelSpec m = load_model(name, kModelsDir);
                OpGraph g = build_op_graph(m, seq, batch);
                const std::int64_t L = m.layers.size(), h = m.hidden(),
                                   f = m.layers[0].ffn[0], S = seq, B = batch;
                // Per layer: Q, K, V, Q.K^T, softmax, score x V, output projection, add, LN,
                // FFN up, GELU, FFN down, add, LN = 14; embedding: add + LN.
                CHECK(g.ops.size() == std::size_t(2 + 14 * L));
                // Per layer weights: wq, wk, wv, wo, w1, w2; plus word rows and position rows.
                CHECK(g.tensors.size() == g.ops.size() + 6 * L + 2);
                std::int64_t macs = 0;
                for (const Op& o : g.ops) macs += o.macs();
                CHECK(macs == L * (B * S * (4 * h * h + 2 * h * f) + 2 * B * S * S * h));
                REQUIRE(g.outputs.size() == 1);
                CHECK(g.tensors[g.outputs[0]].name == "l" + std::to_string(L - 1) + ".ffn.ln");
                check_graph_links(g);
            }
        }
    }
}

TEST_CASE("op graph names, shapes and flags follow the documented layout", "[op_graph]") {
    ModelSpec m = load_model("bert-base", kModelsDir);
    OpGraph g = build_op_graph(m, 128, 4);
    CHECK(g.seq == 128);
    CHECK(g.batch == 4);

    const Tensor& word = g.tensor("emb.word_rows");
    CHECK(word.kind == TensorKind::Input);
    CHECK((word.batch == 4 && word.rows == 128 && word.cols == 768));
    const Tensor& pos = g.tensor("emb.pos_rows");
    CHECK(pos.kind == TensorKind::Weight);
    CHECK((pos.batch == 1 && pos.rows == 128 && pos.cols == 768));
    CHECK(g.ops[0].name == "emb.sum");
    CHECK(g.ops[0].a_inputs == std::vector<int>{word.id, pos.id});
    CHECK(g.ops[1].name == "emb.ln");

    const Tensor& wq = g.tensor("l3.attn.wq");
    CHECK((wq.kind == TensorKind::Weight && wq.layer == 3 && wq.batch == 1 && wq.rows == 768 &&
           wq.cols == 768));
    const Tensor& wo = g.tensor("l3.attn.wo");
    CHECK((wo.rows == 768 && wo.cols == 768));
    const Tensor& w1 = g.tensor("l3.ffn.w1");
    CHECK((w1.rows == 768 && w1.cols == 3072));
    const Tensor& w2 = g.tensor("l3.ffn.w2");
    CHECK((w2.rows == 3072 && w2.cols == 768));

    const Op& q = g.op("l3.attn.q");
    CHECK((q.kind == OpKind::MatMul && q.category == OpCategory::MhaProjection));
    CHECK((q.batch == 4 && q.m == 128 && q.k == 768 && q.n == 768));
    CHECK(q.a_inputs == std::vector<int>{g.tensor("l2.ffn.ln").id});
    CHECK((q.b_input == wq.id && !q.b_batched && !q.b_transposed));

    const Op& qk = g.op("l3.attn.scores");
    CHECK((qk.category == OpCategory::MhaActToAct && qk.batch == 48 && qk.m == 128 &&
           qk.k == 64 && qk.n == 128));
    CHECK(qk.a_inputs == std::vector<int>{g.tensor("l3.attn.q").id});
    CHECK((qk.b_input == g.tensor("l3.attn.k").id && qk.b_batched && qk.b_transposed));
    const Tensor& scores = g.tensor("l3.attn.scores");
    CHECK((scores.batch == 48 && scores.rows == 128 && scores.cols == 128));

    const Op& sm = g.op("l3.attn.probs");
    CHECK((sm.kind == OpKind::Softmax && sm.category == OpCategory::Other && sm.batch == 48));

    const Op& sv = g.op("l3.attn.context");
    CHECK((sv.category == OpCategory::MhaActToAct && sv.batch == 48 && sv.m == 128 &&
           sv.k == 128 && sv.n == 64));
    CHECK((sv.b_input == g.tensor("l3.attn.v").id && sv.b_batched && !sv.b_transposed));
    const Tensor& ctx = g.tensor("l3.attn.context");
    CHECK((ctx.batch == 4 && ctx.rows == 128 && ctx.cols == 768));

    const Op& o = g.op("l3.attn.out");
    CHECK((o.category == OpCategory::MhaProjection && o.batch == 4 && o.k == 768 && o.n == 768));
    CHECK(o.a_inputs == std::vector<int>{ctx.id});
    CHECK(g.op("l3.attn.residual").a_inputs ==
          std::vector<int>{g.tensor("l3.attn.out").id, g.tensor("l2.ffn.ln").id});
    CHECK(g.op("l3.attn.ln").kind == OpKind::LayerNorm);

    const Op& h1 = g.op("l3.ffn.h1");
    CHECK((h1.category == OpCategory::FfnProjection && h1.k == 768 && h1.n == 3072));
    CHECK(g.op("l3.ffn.gelu1").kind == OpKind::Gelu);
    const Op& down = g.op("l3.ffn.out");
    CHECK((down.k == 3072 && down.n == 768));
    CHECK(down.a_inputs == std::vector<int>{g.tensor("l3.ffn.gelu1").id});
    CHECK(g.op("l3.ffn.residual").a_inputs ==
          std::vector<int>{down.output, g.tensor("l3.attn.ln").id});
    // No activation after the last FFN matmul: its only reader is the residual add.
    CHECK(g.consumers[down.output] == std::vector<int>{g.op("l3.ffn.residual").id});

    CHECK(std::string(to_string(OpKind::LayerNorm)) == "layernorm");
    CHECK(std::string(to_string(OpCategory::MhaActToAct)) == "mha_act_to_act");
    CHECK(std::string(to_string(TensorKind::Input)) == "input");
}

TEST_CASE("heterogeneous FlexiBERT layers get head groups and projections", "[op_graph]") {
    ModelSpec m;
    m.name = "hetero";
    LayerSpec a;
    a.hidden = 128;
    a.heads = {{"sa_sdp", 64}, {"sa_sdp", 32}, {"sa_sdp", 64}};  // Σ widths 160 != 128
    a.ffn = {512, 1024};
    LayerSpec b;
    b.hidden = 256;
    b.heads = {{"sa_sdp", 16}};
    b.ffn = {256};
    m.layers = {a, b};
    OpGraph g = build_op_graph(m, 64, 2);
    check_graph_links(g);

    // Layer 0: 2 groups x 6 ops + O + add + LN + 3 FFN matmuls + 2 GELU + add + LN = 22.
    // Layer 1: projection 128 -> 256 + 14. Embedding: 2.
    CHECK(g.ops.size() == 2 + 22 + 15);

    const Op& q64 = g.op("l0.attn.g0.q");
    CHECK((q64.n == 128 && q64.k == 128));
    const Op& qk64 = g.op("l0.attn.g0.scores");
    CHECK((qk64.batch == 4 && qk64.k == 64));
    const Op& qk32 = g.op("l0.attn.g1.scores");
    CHECK((qk32.batch == 2 && qk32.k == 32));
    const Op& o = g.op("l0.attn.out");
    CHECK((o.k == 160 && o.n == 128));
    CHECK(o.a_inputs == std::vector<int>{g.tensor("l0.attn.g0.context").id,
                                         g.tensor("l0.attn.g1.context").id});
    CHECK((g.tensor("l0.attn.wo").rows == 160 && g.tensor("l0.attn.wo").cols == 128));

    CHECK((g.op("l0.ffn.h2").k == 512 && g.op("l0.ffn.h2").n == 1024));
    CHECK(g.op("l0.ffn.gelu2").a_inputs == std::vector<int>{g.op("l0.ffn.h2").output});
    CHECK((g.op("l0.ffn.out").k == 1024 && g.op("l0.ffn.out").n == 128));

    const Op& proj = g.op("l1.proj");
    CHECK((proj.category == OpCategory::FfnProjection && proj.k == 128 && proj.n == 256));
    CHECK(proj.a_inputs == std::vector<int>{g.tensor("l0.ffn.ln").id});
    CHECK(g.op("l1.attn.q").a_inputs == std::vector<int>{proj.output});
    CHECK(g.op("l1.attn.residual").a_inputs[1] == proj.output);
}

TEST_CASE("op graph refuses run shapes that cannot work", "[op_graph]") {
    ModelSpec m = load_model("bert-tiny", kModelsDir);
    REQUIRE_THROWS_AS(build_op_graph(m, 0, 1), InputError);
    REQUIRE_THROWS_WITH(build_op_graph(m, 513, 1),
                        Contains("seq 513") && Contains("max_positions 512"));
    REQUIRE_THROWS_WITH(build_op_graph(m, 128, 0), Contains("batch 0"));
    ModelSpec empty;
    empty.name = "empty";
    REQUIRE_THROWS_WITH(build_op_graph(empty, 1, 1), Contains("no layers"));
    m.layers[1].heads[0].type = "c_5";
    REQUIRE_THROWS_WITH(build_op_graph(m, 8, 1), Contains("only sa_sdp"));
}

namespace {

// FNV-1a over a text form of everything an encoder graph had before decoders were added.
std::uint64_t fingerprint(const OpGraph& g) {
    std::string text;
    for (const Tensor& t : g.tensors)
        text += t.name + " " + to_string(t.kind) + " " + std::to_string(t.layer) + " " + std::to_string(t.batch) +
                " " + std::to_string(t.rows) + " " + std::to_string(t.cols) + "\n";
    for (const Op& o : g.ops) {
        text += o.name + " " + to_string(o.kind) + " " + to_string(o.category) + " " + std::to_string(o.layer);
        for (std::int64_t v : {o.batch, o.m, o.n, o.k, o.macs(), std::int64_t(o.b_input), std::int64_t(o.output)})
            text += " " + std::to_string(v);
        text += std::string(o.b_batched ? " B" : " -") + (o.b_transposed ? "T" : "-");
        for (int a : o.a_inputs) text += " " + std::to_string(a);
        text += "\n";
    }
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
    return h;
}

}  // namespace

TEST_CASE("encoder graphs are unchanged by the decoder work", "[op_graph]") {
    // Pinned by running the same function on the code before generation graphs existed
    // (commit 6834d6e): the decoder work must leave every encoder tensor and op as it was.
    CHECK(fingerprint(build_op_graph(load_model("bert-tiny", kModelsDir), 37, 3)) == 17861972527560938973ull);
    CHECK(fingerprint(build_op_graph(load_model("bert-base", kModelsDir), 128, 4)) == 3156211871378034386ull);
    const OpGraph g = build_op_graph(load_model("bert-base", kModelsDir), 128, 4);
    for (const Op& o : g.ops) {
        CHECK((o.phase == Phase::Prefill && o.step == 0 && !o.causal.on && o.b_more.empty() && !o.last_position));
        CHECK(o.active_elements() == o.out_elements());
    }
    for (const Tensor& t : g.tensors) {
        CHECK(t.cache == CacheRole::None);
        CHECK(t.known_after.empty());
        CHECK(t.gathered == (t.name == "emb.word_rows" || t.name == "emb.pos_rows"));
    }
    CHECK((g.prompt_len == 0 && g.gen_len == 0));
}
