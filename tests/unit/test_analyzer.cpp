#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "tests/source_tree.h"
#include "workloads/analyzer.h"
#include "workloads/generation.h"
#include "workloads/model_spec.h"
#include "workloads/op_graph.h"
#include "workloads/graph_builder.h"

using namespace acceltran;
using namespace acceltran::workloads;
using Catch::Matchers::Contains;
using acceltran::testing::kModelsDir;

namespace {


// The survey extrapolates BERT-Base past its 512 learned positions; so do we, for the check.
OpGraph bert_base(int seq) {
    ModelSpec m = load_model("bert-base", kModelsDir);
    m.max_positions = 4096;
    return build_op_graph(m, seq, 1);
}

const OpCount& category(const Analysis& a, OpCategory c) { return a.categories.at(int(c)); }

}  // namespace

// Hand calculation, BERT-Base (L = 12, h = 768, H = 12 heads, f = 3072), batch 1, seq S:
//   matmuls per layer   2·(4·S·h² + 2·S·h·f + 2·S²·h) = 14,155,776·S + 3,072·S²
//   softmax per layer   5·H·S²                         = 60·S²
//   LN (2), GELU, adds (2) per layer  8·2·S·h + 8·S·f + 2·S·h = 38,400·S
//   embedding add + LN                 S·h + 8·S·h            = 6,912·S
//   total = 12·(14,194,176·S + 3,132·S²) + 6,912·S = 170,337,024·S + 37,584·S²
//   S = 128:  22,418,915,328   survey 22.42e9   (-0.005%)
//   S = 512:  97,064,976,384   survey 97.02e9   (+0.05%)
//   S = 4096: 1,328,255,336,448 survey 1323.66e9 (+0.35%; the survey's act-to-act count is
//             0.4% below 2·2·S²·h·L, the rest is our softmax/GELU constants)
TEST_CASE("BERT-Base FLOPs match the survey Table 3 totals", "[analyzer]") {
    struct Row { int seq; double survey; };
    for (const Row& r : {Row{128, 22.42e9}, Row{512, 97.02e9}, Row{4096, 1323.66e9}}) {
        INFO("seq " << r.seq);
        Analysis a = analyze(bert_base(r.seq), 1.0);
        const double s = r.seq;
        CHECK(a.total.flops == Approx(170337024.0 * s + 37584.0 * s * s).epsilon(1e-12));
        CHECK(a.total.flops == Approx(r.survey).epsilon(0.01));
    }
}

TEST_CASE("BERT-Base per-category FLOPs and intensities match the survey Table 3", "[analyzer]") {
    Analysis a = analyze(bert_base(128), 1.0);
    CHECK(category(a, OpCategory::MhaProjection).flops == Approx(7.25e9).epsilon(0.01));
    CHECK(category(a, OpCategory::MhaActToAct).flops == Approx(0.60e9).epsilon(0.01));
    CHECK(category(a, OpCategory::FfnProjection).flops == Approx(14.50e9).epsilon(0.01));
    CHECK(category(a, OpCategory::Other).flops < 0.1e9);

    // Bytes follow the same read-inputs-once, write-output-once convention, so the matmul
    // intensities agree too; "Other" differs more (the survey's nonlinear constants are not
    // stated), which moves the totals by about 1.5%.
    struct Row { int seq; double proj, act, ffn, total; };
    for (const Row& r : {Row{128, 192.0, 63.6, 211.9, 159.7}, Row{512, 438.9, 102.0, 558.5, 231.0},
                         Row{4096, 702.2, 123.6, 1068.5, 118.0}}) {
        INFO("seq " << r.seq);
        Analysis b = analyze(bert_base(r.seq), 1.0);
        CHECK(category(b, OpCategory::MhaProjection).intensity() == Approx(r.proj).epsilon(0.01));
        CHECK(category(b, OpCategory::MhaActToAct).intensity() == Approx(r.act).epsilon(0.01));
        CHECK(category(b, OpCategory::FfnProjection).intensity() == Approx(r.ffn).epsilon(0.01));
        CHECK(b.total.intensity() == Approx(r.total).epsilon(0.025));
    }
}

TEST_CASE("analysis sums operators into categories and the total", "[analyzer]") {
    OpGraph g = build_op_graph(load_model("bert-tiny", kModelsDir), 64, 4);
    Analysis a = analyze(g, 2.0);
    REQUIRE(a.ops.size() == g.ops.size() + 1);
    REQUIRE(a.categories.size() == 4);

    const OpCount& gather = a.ops.front();
    CHECK(gather.name == "emb.gather");
    CHECK(gather.gather);
    CHECK(gather.category == OpCategory::Other);
    CHECK(gather.flops == 0);
    CHECK(gather.bytes == 2.0 * (4 * 64 + 64) * 128 * 2.0);

    double flops = 0, bytes = 0;
    for (const OpCount& c : a.ops) {
        flops += c.flops;
        bytes += c.bytes;
    }
    CHECK(a.total.flops == Approx(flops));
    CHECK(a.total.bytes == Approx(bytes));

    // One matmul and one element-wise op by hand (2 bytes per element).
    const OpCount& q = a.ops[1 + 2];  // after gather, emb.sum, emb.ln
    CHECK(q.name == "l0.attn.q");
    CHECK(q.flops == 2.0 * 4 * 64 * 128 * 128);
    CHECK(q.bytes == 2.0 * (4 * 64 * 128 + 128 * 128 + 4 * 64 * 128));
    const OpCount& probs = a.ops[1 + 6];  // then k, v, scores
    CHECK(probs.name == "l0.attn.probs");
    CHECK(probs.flops == kSoftmaxFlopsPerElement * 4 * 2 * 64 * 64);
    CHECK(probs.bytes == 2.0 * 2 * (4 * 2 * 64 * 64));

    REQUIRE_THROWS_AS(analyze(g, 0), InputError);
}

TEST_CASE("analysis JSON and table carry the totals", "[analyzer]") {
    OpGraph g = build_op_graph(load_model("bert-tiny", kModelsDir), 32, 1);
    Analysis a = analyze(g, 1.0);
    nlohmann::json j = nlohmann::json::parse(analysis_json(g, a, 1.0));
    CHECK(j["model"] == "bert-tiny");
    CHECK(j["seq"] == 32);
    CHECK(j["batch"] == 1);
    CHECK(j["bytes_per_element"] == 1.0);
    CHECK(j["total"]["flops"].get<double>() == Approx(a.total.flops));
    CHECK(j["total"]["bytes"].get<double>() == Approx(a.total.bytes));
    CHECK(j["total"].contains("intensity"));
    REQUIRE(j["categories"].size() == 4);
    CHECK(j["categories"][1]["name"] == "mha_act_to_act");
    REQUIRE(j["operators"].size() == a.ops.size());
    CHECK(j["operators"][0]["kind"] == "gather");
    CHECK(j["operators"][3]["kind"] == "matmul");
    CHECK(j["operators"][3]["category"] == "mha_projection");
    CHECK(j["operators"][3]["layer"] == 0);

    std::string table = analysis_table(g, a);
    CHECK_THAT(table, Contains("bert-tiny, seq 32, batch 1"));
    CHECK_THAT(table, Contains("mha_projection"));
    CHECK_THAT(table, Contains("total"));
    CHECK_THAT(table, Contains("l1.ffn.ln"));
}

TEST_CASE("ReLU models count one FLOP per activation element", "[analyzer]") {
    ModelSpec m = load_model("bert-tiny", kModelsDir);
    m.activation = "relu";
    OpGraph g = build_op_graph(m, 16, 2);
    Analysis a = analyze(g, 1.0);
    bool found = false;
    for (std::size_t i = 0; i < g.ops.size(); ++i) {
        if (g.ops[i].kind != OpKind::Gelu) continue;
        found = true;
        CHECK(g.ops[i].name.find(".ffn.relu") != std::string::npos);
        CHECK(a.ops[i + 1].flops == kReluFlopsPerElement * g.ops[i].out_elements());
    }
    CHECK(found);
}

namespace {

// The survey's decoder numbers: generate the whole sequence with no prompt, batch 1, 8-bit
// data, transformer blocks only (no LM head).
OpGraph gpt2_generation(int tokens, bool lm_head) {
    GenerationOptions o;
    o.prompt_len = 0;
    o.gen_len = tokens;
    o.batch = 1;
    o.lm_head = lm_head;
    return build_generation_graph(load_model("gpt2", kModelsDir), o);
}

}  // namespace

// Hand calculation, GPT-2 small (L = 12, h = 768, H = 12, f = 3072), batch 1, no prompt,
// S decode steps; step t reads a cache of t positions.
//   FLOPs per step and layer: matmuls 2·(4h² + 2hf) + 2·2·h·t (Q.K^T, probs x V), softmax
//     5·H·t, two layer norms 2·8h, GELU 8f, two adds 2h; per step the embedding add h.
//   F(S) = 12·(14,194,176·S + 3,132·S(S+1)/2) + 768·S = 170,349,672·S + 18,792·S²
//   Bytes (1 per element) per step and layer: weights 4h² + 2hf, activation vectors 22h + 4f,
//     the cache read by Q.K^T and probs x V 2·h·t, the scores and probabilities 4·H·t
//     (written, read and written by softmax, read); per step the embedding add 3h and the
//     gather 2·2h.
//   B(S) = S·(12·7,107,072 + 7h) + 12·(2h + 4H)·S(S+1)/2 = 85,290,240·S + 9,504·S(S+1)
//   S = 128: F = 22,112,646,144 (survey 22.12e9, -0.03%); B = 11,074,080,768 (survey 11.08e9,
//            -0.05%)
//   S = 512: F = 92,145,242,112 (survey 92.15e9); B = 46,164,885,504 (survey 46.17e9)
// The issue asks for FLOPs within 2% and bytes within 10% of the survey.
TEST_CASE("GPT-2 generation reproduces the survey's totals (Table 11)", "[analyzer][generation]") {
    struct Row { int seq; double flops, bytes; };
    for (const Row& r : {Row{128, 22.12e9, 11.08e9}, Row{512, 92.15e9, 46.17e9}}) {
        INFO("seq " << r.seq);
        const Analysis a = analyze(gpt2_generation(r.seq, false), 1.0);
        const double s = r.seq;
        CHECK(a.total.flops == Approx(170349672.0 * s + 18792.0 * s * s).epsilon(1e-12));
        CHECK(a.total.bytes == Approx(85290240.0 * s + 9504.0 * s * (s + 1)).epsilon(1e-12));
        CHECK(a.total.flops == Approx(r.flops).epsilon(0.02));
        CHECK(a.total.bytes == Approx(r.bytes).epsilon(0.10));
        // Matrix-vector work: about 2 FLOPs per byte (Kim et al. survey, Sec. 2.2, Figs. 4-6).
        CHECK(a.total.intensity() == Approx(2.0).epsilon(0.01));
        REQUIRE(a.phases.size() == 2);
        CHECK(a.phases[0].flops == 0);
        CHECK(a.phases[1].flops == Approx(a.total.flops));
        CHECK(a.categories.size() == 4);
    }
}

TEST_CASE("the LM head is its own category: 2·h·V FLOPs per step", "[analyzer][generation]") {
    const int steps = 16;
    const Analysis with = analyze(gpt2_generation(steps, true), 1.0);
    const Analysis without = analyze(gpt2_generation(steps, false), 1.0);
    REQUIRE(with.categories.size() == 5);
    const OpCount& head = with.categories[int(OpCategory::LmHead)];
    CHECK(head.name == "lm_head");
    CHECK(head.flops == 2.0 * 768 * 50257 * steps);
    // The final norm (8 FLOPs per element over one row per step) counts as "other".
    CHECK(with.total.flops == Approx(without.total.flops + head.flops + 8.0 * 768 * steps).epsilon(1e-12));
}

TEST_CASE("decoder ops count their own FLOP constants and only unmasked work", "[analyzer][generation]") {
    GenerationOptions o;
    o.prompt_len = 9;
    o.gen_len = 2;
    o.batch = 2;
    const OpGraph g = build_generation_graph(load_model("llama-1b", kModelsDir), o);
    const Analysis a = analyze(g, 1.0);
    REQUIRE(a.ops.size() == g.ops.size() + 1);
    bool seen[3] = {false, false, false};
    for (std::size_t i = 0; i < g.ops.size(); ++i) {
        const Op& op = g.ops[i];
        const OpCount& c = a.ops[i + 1];
        INFO(op.name);
        CHECK((c.phase == op.phase && c.step == op.step));
        switch (op.kind) {
            case OpKind::RmsNorm: CHECK(c.flops == kRmsNormFlopsPerElement * op.out_elements()); seen[0] = true; break;
            case OpKind::SwiGlu: CHECK(c.flops == kSwiGluFlopsPerElement * op.out_elements()); seen[1] = true; break;
            case OpKind::Rotary: CHECK(c.flops == kRotaryFlopsPerElement * op.out_elements()); seen[2] = true; break;
            default: break;
        }
    }
    CHECK((seen[0] && seen[1] && seen[2]));
    // Prefill: 9 queries see 1..9 keys, 45 pairs per sequence and head; 32 heads of width 64.
    const std::size_t scores = std::size_t(g.op("prefill.l0.attn.scores").id);
    CHECK(a.ops[scores + 1].flops == 2.0 * 2 * 32 * 45 * 64);
    CHECK(a.ops[scores + 2].flops == kSoftmaxFlopsPerElement * 2 * 32 * 45);
    // The final norm of the prefill reads one row per sequence, not the whole prompt.
    CHECK(a.ops[std::size_t(g.op("prefill.final_norm").id) + 1].bytes == 2.0 * 2 * 2048);

    nlohmann::json j = nlohmann::json::parse(analysis_json(g, a, 1.0));
    CHECK(j["prompt_len"] == 9);
    CHECK(j["gen_len"] == 2);
    REQUIRE(j["phases"].size() == 2);
    CHECK(j["phases"][1]["name"] == "decode");
    CHECK(j["phases"][0]["flops"].get<double>() + j["phases"][1]["flops"].get<double>() ==
          Approx(a.total.flops));
    CHECK(j["operators"][1]["phase"] == "prefill");
    CHECK(!j["operators"][0].contains("phase"));  // the gather row
    CHECK_THAT(analysis_table(g, a), Contains("llama-1b, prompt 9 + 2 decode steps (seq 11), batch 2"));
}

TEST_CASE("encoder analyses carry no decoder fields", "[analyzer]") {
    const OpGraph g = build_op_graph(load_model("bert-tiny", kModelsDir), 16, 1);
    const Analysis a = analyze(g, 1.0);
    CHECK(a.phases.empty());
    nlohmann::json j = nlohmann::json::parse(analysis_json(g, a, 1.0));
    CHECK(!j.contains("phases"));
    CHECK(!j.contains("prompt_len"));
    CHECK(!j["operators"][1].contains("phase"));
}
