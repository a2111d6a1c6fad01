// `acceltran run --functional` through the binary: real values in the accelerator's fixed-point
// format, sparsity measured from them (docs/dynatran.md). BERT-Tiny on AccelTran-Edge at
// sequence 32, batch 2 unless said otherwise (about 0.2 s per run).
//
// Error bounds, in LSBs of the format (2^-frac_bits; 2^-16 by default):
// - against the matched reference (same weights rounded to the format, same pruning, every
//   stored value rounded at the same points): the two round the same values, so they differ
//   only where the double-precision evaluation order (row sums, exp/erf/sqrt arguments) flips
//   a rounding by one LSB, and such flips propagate. Bound 32 LSB max, 4 LSB rms; measured on
//   BERT-Tiny seq 128: 8 LSB max, 1.6 LSB rms.
// - against the dense double-precision reference: the rounding error of every stored value
//   (half an LSB each) through two layers. Bound 64 LSB max and 24 LSB rms; measured 38 and 12
//   at sequence 128. That the error comes from the format is checked directly: with 4 fraction
//   bits fewer it grows by about 2^4.
#include <catch2/catch.hpp>

#include <algorithm>

#include <cmath>
#include <string>
#include <vector>

#include "tests/integration/integration_support.h"
#include "core/sha256.h"
#include "workloads/functional/safetensors_file.h"
#include "workloads/functional/weight_loader.h"
#include "workloads/model_spec.h"

using namespace acceltran::testing;
using Catch::Matchers::Contains;

namespace {

const std::vector<std::string> kFunctionalRunArgs = {"--model", "bert-tiny", "--accel", "acceltran-edge",
                                         "--seq", "32", "--batch", "2", "-q"};

double lsb(int frac_bits = 16) { return std::ldexp(1.0, -frac_bits); }

}  // namespace

TEST_CASE("functional run at tau 0 takes exactly the cycles and bytes of a dense timing run",
          "[integration][functional]") {
    ScratchDir dir("functional-dense");
    const auto f = run_summary(dir, "functional", kFunctionalRunArgs, {"--functional", "--threshold", "0"});
    const auto t = run_summary(dir, "timing", kFunctionalRunArgs, {"--set", "sparsity.activation=0", "--set", "sparsity.weight=0"});
    CHECK(f["cycles"].get<double>() == t["cycles"].get<double>());
    CHECK(f["bytes"] == t["bytes"]);
    CHECK(f["macs"]["effectual"].get<double>() == double(f["macs"]["total"].get<std::uint64_t>()));
    CHECK(f["sparsity"]["source"] == "measured");
    CHECK(t["sparsity"]["source"] == "configured");
    // Nothing pruned: the masks are all ones, but zeros are still counted in the values.
    CHECK(f["sparsity"]["activation"].get<double>() < 0.01);
}

TEST_CASE("raising tau raises measured sparsity and lowers MAC work and cycles monotonically",
          "[integration][functional]") {
    ScratchDir dir("functional-tau");
    double last_sparsity = -1, last_effectual = 1e300, last_lane = 1e300, last_cycles = 1e300;
    for (const std::string tau : {"0", "0.01", "0.03", "0.06", "0.1"}) {
        INFO("tau " << tau);
        const auto s = run_summary(dir, "tau" + tau, kFunctionalRunArgs, {"--functional", "--threshold", tau});
        const double sparsity = s["sparsity"]["activation"].get<double>();
        const double effectual = s["macs"]["effectual"].get<double>();
        const double lane = s["units"]["mac_lane"]["busy_unit_cycles"].get<double>();
        const double cycles = s["cycles"].get<double>();
        CHECK(sparsity > last_sparsity);
        CHECK(effectual < last_effectual);
        CHECK(lane < last_lane);
        CHECK(cycles <= last_cycles);
        last_sparsity = sparsity;
        last_effectual = effectual;
        last_lane = lane;
        last_cycles = cycles;
    }
    CHECK(last_sparsity > 0.3);  // at tau 0.1 a third of the activations at least (measured 0.55)
}

TEST_CASE("functional outputs match the matched and the dense reference within the format's bounds",
          "[integration][functional]") {
    ScratchDir dir("functional-error");
    const auto s = run_summary(dir, "dense", kFunctionalRunArgs, {"--functional"});
    const auto& matched = s["functional"]["output_error_vs_matched_reference"];
    const auto& dense = s["functional"]["output_error_vs_dense"];
    CHECK(matched["max_abs"].get<double>() <= 32 * lsb());
    CHECK(matched["rms"].get<double>() <= 4 * lsb());
    CHECK(dense["max_abs"].get<double>() <= 64 * lsb());
    CHECK(dense["rms"].get<double>() <= 24 * lsb());

    // 12 fraction bits: an LSB 16 times larger, and the error against the dense reference with it
    // (between 4x and 64x: the noise is a sum of many roundings, not one).
    const auto coarse = run_summary(dir, "coarse", kFunctionalRunArgs, {"--functional", "--set", "numerics.frac_bits=12"});
    const double ratio = coarse["functional"]["output_error_vs_dense"]["rms"].get<double>() / dense["rms"].get<double>();
    INFO("rms error ratio FL12 / FL16: " << ratio);
    CHECK(ratio > 4);
    CHECK(ratio < 64);

    // With pruning, a value within one LSB of tau can land on either side in the two
    // computations; each such flip moves it by at most tau + 1 LSB where it happens, and the
    // layers after it carry that on (measured: 1.03 tau at the output). Bound 2 tau; rms stays
    // small because flips are rare.
    const auto pruned = run_summary(dir, "pruned", kFunctionalRunArgs, {"--functional", "--threshold", "0.03"});
    const auto& pm = pruned["functional"]["output_error_vs_matched_reference"];
    CHECK(pm["max_abs"].get<double>() <= 2 * 0.03);
    CHECK(pm["relative_rms"].get<double>() < 0.01);
    // Batch 1: attention still splits the batch-1 activations into heads (a weight is the only
    // operand shared by every entry); once, half the context came out zero here.
    ScratchDir one("functional-batch1");
    std::vector<std::string> args = {"run", "-q", "--out", one / "b1", "--seq", "32", "--batch", "1", "--functional"};
    const auto r = run_acceltran(args, one);
    REQUIRE(r.exit_code == 0);
    const auto b1 = load_json(one / "b1/summary.json");
    CHECK(b1["functional"]["output_error_vs_matched_reference"]["max_abs"].get<double>() <= 32 * lsb());
    CHECK(b1["sparsity"]["by_op"]["context"].get<double>() < 0.01);
    // Stochastic rounding: the reference draws its own numbers, so only statistical agreement.
    const auto stochastic = run_summary(dir, "stochastic", kFunctionalRunArgs, {"--functional", "--set", "numerics.rounding=stochastic"});
    CHECK(stochastic["functional"]["output_error_vs_matched_reference"]["relative_rms"].get<double>() < 0.01);
    CHECK(stochastic["functional"]["output_error_vs_dense"]["rms"].get<double>() <= 24 * lsb());
    // Pruning changes the output much more than rounding does: the dense error grows.
    CHECK(pruned["functional"]["output_error_vs_dense"]["rms"].get<double>() > 10 * dense["rms"].get<double>());
}

TEST_CASE("top-k keeps fewer than k probabilities per row and pays for its selection unit",
          "[integration][functional]") {
    ScratchDir dir("functional-topk");
    const auto dense = run_summary(dir, "dense", kFunctionalRunArgs, {"--functional"});
    const auto topk = run_summary(dir, "topk", kFunctionalRunArgs, {"--functional", "--sparsity", "topk", "--k", "4"});
    // At most k - 1 = 3 of a row's 32 probabilities survive.
    CHECK(topk["sparsity"]["by_op"]["probs"].get<double>() >= 1.0 - 3.0 / 32.0);
    CHECK(topk["functional"]["output_error_vs_matched_reference"]["relative_rms"].get<double>() < 0.01);
    // Every probability passes the selection unit once, at topk_elements_per_cycle = 1:
    // 2 layers x batch 2 x 2 heads x 32 x 32 = 8,192 more softmax-unit cycles than the dense run,
    // less what the lanes' zero skipping saves nowhere here (scores are not pruned under top-k).
    const double extra = topk["units"]["softmax"]["busy_unit_cycles"].get<double>() -
                         dense["units"]["softmax"]["busy_unit_cycles"].get<double>();
    CHECK(extra == Approx(8192).margin(0.5));
    CHECK(topk["macs"]["effectual"].get<double>() < dense["macs"]["effectual"].get<double>());
}

TEST_CASE("weights from a safetensors file give the run the same numbers as the weights generated in memory",
          "[integration][functional]") {
    ScratchDir dir("functional-weights");
    // A small BERT so the file stays small: vocabulary 50, hidden 32, 2 heads, FFN 64, 1 layer.
    write_text(dir / "mini.yaml",
               "name: mini\nfamily: bert\nvocab_size: 50\nmax_positions: 64\nactivation: gelu\n"
               "layers: 1\nhidden: 32\nheads: 2\nffn: 64\n");
    const auto model = acceltran::workloads::load_model(dir / "mini.yaml", "");
    const auto w = acceltran::functional::generate_weights(model, 7);
    // Hugging Face layout: Linear weights [out, in], token-type row 0 already folded into the
    // position rows by generate_weights, so the file carries a zero token-type row.
    std::vector<acceltran::functional::SafetensorsTensor> t;
    auto matrix = [&](const std::string& name, const acceltran::functional::Matrix& m, bool transpose) {
        acceltran::functional::SafetensorsTensor s{name, {transpose ? m.cols : m.rows, transpose ? m.rows : m.cols}, {}};
        for (std::int64_t r = 0; r < s.shape[0]; ++r)
            for (std::int64_t c = 0; c < s.shape[1]; ++c) s.values.push_back(transpose ? m.at(c, r) : m.at(r, c));
        t.push_back(s);
    };
    auto vec = [&](const std::string& name, const std::vector<double>& v) {
        t.push_back({name, {std::int64_t(v.size())}, v});
    };
    matrix("bert.embeddings.word_embeddings.weight", w.word_embeddings, false);
    matrix("bert.embeddings.position_embeddings.weight", w.matrices.at("emb.pos_rows"), false);
    t.push_back({"bert.embeddings.token_type_embeddings.weight", {2, 32}, std::vector<double>(64, 0.0)});
    vec("bert.embeddings.LayerNorm.weight", w.norms.at("emb.ln").gamma);
    vec("bert.embeddings.LayerNorm.bias", w.norms.at("emb.ln").beta);
    const std::string p = "bert.encoder.layer.0.";
    const std::pair<const char*, const char*> linear[] = {
        {"attention.self.query", "attn.q"}, {"attention.self.key", "attn.k"}, {"attention.self.value", "attn.v"},
        {"attention.output.dense", "attn.out"}, {"intermediate.dense", "ffn.h1"}, {"output.dense", "ffn.out"}};
    const char* weight_of[] = {"attn.wq", "attn.wk", "attn.wv", "attn.wo", "ffn.w1", "ffn.w2"};
    for (int i = 0; i < 6; ++i) {
        matrix(p + linear[i].first + ".weight", w.matrices.at(std::string("l0.") + weight_of[i]), true);
        vec(p + linear[i].first + ".bias", w.biases.at(std::string("l0.") + linear[i].second));
    }
    for (const auto& [hf, ours] : {std::pair<std::string, std::string>{"attention.output.LayerNorm", "l0.attn.ln"},
                                   {"output.LayerNorm", "l0.ffn.ln"}}) {
        vec(p + hf + ".weight", w.norms.at(ours).gamma);
        vec(p + hf + ".bias", w.norms.at(ours).beta);
    }
    acceltran::functional::write_safetensors(dir / "mini.safetensors", t);

    const std::vector<std::string> common = {"--model", dir / "mini.yaml", "--seq", "16", "--batch", "1", "-q",
                                             "--functional", "--threshold", "0.02", "--seed", "7"};
    auto run = [&](const std::string& name, std::vector<std::string> extra) {
        std::vector<std::string> args = {"run", "--out", dir / name};
        args.insert(args.end(), common.begin(), common.end());
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = run_acceltran(args, dir);
        INFO(describe(r));
        REQUIRE(r.exit_code == 0);
        return load_json(dir / (name + "/summary.json"));
    };
    const auto generated = run("generated", {});
    const auto loaded = run("loaded", {"--weights", dir / "mini.safetensors"});
    CHECK(loaded["cycles"] == generated["cycles"]);
    CHECK(loaded["sparsity"] == generated["sparsity"]);
    // The file holds float32 values: the weights differ from the generated doubles by float
    // rounding, far below the format's LSB, so the outputs agree to a few LSB.
    CHECK(std::fabs(loaded["functional"]["output_error_vs_dense"]["rms"].get<double>() -
                    generated["functional"]["output_error_vs_dense"]["rms"].get<double>()) < 4 * lsb());
    CHECK_THAT(loaded["functional"]["weights"].get<std::string>(), Contains("mini.safetensors"));
    // The weights are one of the run's inputs, recorded with their digest (docs/outputs.md, provenance).
    const auto& inputs = loaded["provenance"]["inputs"];
    CHECK(std::any_of(inputs.begin(), inputs.end(), [&](const nlohmann::json& i) {
        return i["kind"] == "a safetensors" && i["path"] == dir / "mini.safetensors" &&
               i["sha256"] == acceltran::sha256_file_hex(dir / "mini.safetensors");
    }));
}

TEST_CASE("functional misuse and bad weight or token files are refused with their message",
          "[integration][functional]") {
    ScratchDir dir("functional-bad");
    write_text(dir / "garbage.safetensors", "this is not a safetensors file");
    write_text(dir / "tokens.txt", "1 2 3\n");
    struct Case {
        std::vector<std::string> args;
        int exit_code;
        std::string message;
    } cases[] = {
        {{"--threshold", "0.1"}, 2, "--threshold needs --functional"},
        {{"--functional", "--detail", "fast"}, 2, "--detail full"},
        {{"--functional", "--threshold", "-1"}, 2, "--threshold must be a finite number >= 0"},
        {{"--functional", "--sparsity", "topk"}, 2, "--k"},
        {{"--functional", "--sparsity", "random"}, 2, "dynatran or topk"},
        {{"--functional", "--weights", dir / "garbage.safetensors"}, 3, "garbage.safetensors"},
        {{"--functional", "--tokens", dir / "tokens.txt"}, 3, "tokens.txt"},
        {{"--functional", "--model", "gpt2"}, 3, "encoder"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> args = {"run", "-q", "--seq", "32", "--batch", "2", "--out", dir / "out"};
        args.insert(args.end(), c.args.begin(), c.args.end());
        const auto r = run_acceltran(args, dir);
        INFO(describe(r));
        CHECK(r.exit_code == c.exit_code);
        CHECK_THAT(r.err, Contains(c.message));
        CHECK_FALSE(fs::exists(dir / "out"));
    }
}
