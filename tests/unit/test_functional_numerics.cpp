// The functional mode's numerics: fixed point, generated weights, weight pruning, tokens.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "core/errors.h"
#include "tests/unit/functional_test_support.h"
#include "workloads/functional/fixed_point.h"
#include "workloads/functional/random_stream.h"
#include "workloads/functional/weight_loader.h"

using namespace acceltran;
using namespace acceltran::functional;
using acceltran::testing::ScratchDir;
using acceltran::testing::tiny_bert;
using Catch::Matchers::Contains;

TEST_CASE("fixed point: rounding names parse and print", "[functional]") {
    CHECK(parse_rounding("nearest") == Rounding::Nearest);
    CHECK(parse_rounding("stochastic") == Rounding::Stochastic);
    CHECK(std::string(to_string(Rounding::Stochastic)) == "stochastic");
    CHECK_THROWS_WITH(parse_rounding("Nearest"), Contains("nearest, stochastic") && Contains("'Nearest'"));
}

TEST_CASE("fixed point: quantize rounds to the LSB and saturates", "[functional]") {
    const FixedPointFormat f;  // IL 4, FL 16
    CHECK(f.lsb() == std::ldexp(1.0, -16));
    CHECK(f.quantize(1.0) == 65536);
    CHECK(f.quantize(-1.0) == -65536);
    // Ties away from zero.
    CHECK(f.quantize(2.5 * f.lsb()) == 3);
    CHECK(f.quantize(-2.5 * f.lsb()) == -3);
    CHECK(f.quantize(2.4 * f.lsb()) == 2);
    CHECK(f.quantize(100.0) == f.max_raw());
    CHECK(f.quantize(-100.0) == f.min_raw());
    CHECK(f.max_value() == Approx(8.0 - f.lsb()).epsilon(0));
    CHECK(f.min_value() == -8.0);
    CHECK(f.saturate(std::int64_t(1) << 40) == f.max_raw());
    CHECK(f.quantize(std::nan("")) == 0);
}

TEST_CASE("fixed point: stochastic rounding is unbiased on average", "[functional]") {
    FixedPointFormat f;
    f.rounding = Rounding::Stochastic;
    const double x = 0.3 * f.lsb() + 1.0;  // 30% of the way from 65536 to 65537
    RandomStream rng(42);
    const int n = 200000;
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
        const std::int32_t r = f.quantize(x, rng.uniform());
        REQUIRE((r == 65536 || r == 65537));
        sum += f.to_double(r);
    }
    // Each draw is a Bernoulli(0.3) LSB: the mean's standard error is lsb x sqrt(0.21 / n),
    // about 1e-3 LSB; 5 standard errors.
    CHECK(std::fabs(sum / n - x) < 5 * f.lsb() * std::sqrt(0.21 / n));
    // Nearest rounding would be off by 0.3 LSB.
    FixedPointFormat nearest;
    CHECK(std::fabs(nearest.to_double(nearest.quantize(x)) - x) > 0.29 * f.lsb());
}

TEST_CASE("generated weights are deterministic, per tensor, and at BERT's scale", "[functional]") {
    const auto model = testing::bert_tiny_shape();
    const ModelWeights a = generate_weights(model, 7);
    const ModelWeights b = generate_weights(model, 7);
    const ModelWeights c = generate_weights(model, 8);
    CHECK(a.matrices.at("l1.ffn.w2").values == b.matrices.at("l1.ffn.w2").values);
    CHECK(a.matrices.at("l1.ffn.w2").values != c.matrices.at("l1.ffn.w2").values);
    // A tensor's values depend on its name, not on how many tensors were drawn before it.
    auto one_layer = model;
    one_layer.layers.resize(1);
    CHECK(generate_weights(one_layer, 7).matrices.at("l0.attn.wq").values == a.matrices.at("l0.attn.wq").values);

    const Matrix& w1 = a.matrices.at("l0.ffn.w1");
    REQUIRE(w1.rows == 128);
    REQUIRE(w1.cols == 512);
    double sum = 0, sq = 0;
    for (double v : w1.values) sum += v, sq += v * v;
    const double n = double(w1.values.size()), mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
    // 65536 draws: the mean's standard error is 0.02 / 256 ~ 8e-5, the sd's about 0.02 / 362.
    CHECK(std::fabs(mean) < 4e-4);
    CHECK(sd == Approx(0.02).epsilon(0.02));
    const NormParams& ln = a.norms.at("l1.ffn.ln");
    double gmean = 0;
    for (double g : ln.gamma) gmean += g / 128;
    CHECK(gmean == Approx(1.0).margin(0.01));  // 128 draws: standard error 0.0018
    CHECK(a.biases.at("l0.attn.q").size() == 128);
    CHECK(a.biases.at("l0.attn.q")[0] != 0.0);
    CHECK(a.word_embeddings.rows == 1000);
    CHECK(a.matrices.at("emb.pos_rows").rows == 512);
    CHECK(a.norms.count("emb.ln") == 1);
}

TEST_CASE("functional mode refuses models it does not support", "[functional]") {
    auto model = tiny_bert(2);
    model.layers[1].hidden = 16;
    model.layers[1].heads = {{"sa_sdp", 8}, {"sa_sdp", 8}};
    CHECK_THROWS_WITH(generate_weights(model, 1), Contains("layer 1") && Contains("projections between layers"));
    model = tiny_bert();
    model.layers[0].heads = {{"sa_sdp", 4}, {"sa_sdp", 2}};
    CHECK_THROWS_WITH(generate_weights(model, 1), Contains("one head width per layer"));
    model = tiny_bert();
    model.layers[0].ffn = {16, 16};
    CHECK_THROWS_WITH(generate_weights(model, 1), Contains("exactly one"));
    model = tiny_bert();
    model.architecture = "decoder";
    CHECK_THROWS_AS(generate_weights(model, 1), InputError);
}

TEST_CASE("weight pruning zeroes |w| <= threshold in the matmul weights only", "[functional]") {
    ModelWeights w = generate_weights(tiny_bert(), 3);
    const ModelWeights before = w;
    const WeightPruneStats none = prune_weights(w, 0.0);
    CHECK(none.zeroed == 0);
    CHECK(none.elements == 4 * 8 * 8 + 2 * 8 * 16);
    // Put a value exactly at the threshold: the rule zeroes it (|w| <= τ).
    w.matrices.at("l0.attn.wq").values[0] = 0.02;
    w.matrices.at("l0.attn.wq").values[1] = -0.0200001;
    std::int64_t expected = 0;
    for (const auto& [name, m] : w.matrices)
        if (name != "emb.pos_rows")
            for (double v : m.values) expected += std::fabs(v) <= 0.02;
    const WeightPruneStats s = prune_weights(w, 0.02);
    CHECK(s.zeroed == expected);
    CHECK(s.zeros == expected);
    CHECK(s.fraction() == Approx(double(expected) / double(s.elements)));
    CHECK(w.matrices.at("l0.attn.wq").values[0] == 0.0);
    CHECK(w.matrices.at("l0.attn.wq").values[1] == -0.0200001);
    for (const auto& [name, m] : w.matrices)
        for (double v : m.values) CHECK((name == "emb.pos_rows" || v == 0.0 || std::fabs(v) > 0.02));
    // Embeddings, biases and norms untouched.
    CHECK(w.word_embeddings.values == before.word_embeddings.values);
    CHECK(w.matrices.at("emb.pos_rows").values == before.matrices.at("emb.pos_rows").values);
    CHECK(w.biases == before.biases);
    CHECK(w.norms.at("emb.ln").gamma == before.norms.at("emb.ln").gamma);
    CHECK_THROWS_AS(prune_weights(w, -1.0), InputError);
    CHECK_THROWS_AS(prune_weights(w, std::nan("")), InputError);
}

TEST_CASE("quantize_weights rounds every parameter to the format", "[functional]") {
    ModelWeights w = generate_weights(tiny_bert(), 3);
    FixedPointFormat f;
    f.frac_bits = 8;
    quantize_weights(w, f);
    const auto on_grid = [&](double v) { return v * 256.0 == std::round(v * 256.0); };
    for (double v : w.matrices.at("l0.ffn.w1").values) REQUIRE(on_grid(v));
    for (double v : w.norms.at("emb.ln").gamma) REQUIRE(on_grid(v));
    for (double v : w.word_embeddings.values) REQUIRE(on_grid(v));
}

TEST_CASE("random tokens are deterministic and in range", "[functional]") {
    const auto a = random_tokens(3, 16, 10, 5);
    CHECK(a.size() == 48);
    CHECK(a == random_tokens(3, 16, 10, 5));
    CHECK(a != random_tokens(3, 16, 10, 6));
    bool seen[10] = {};
    for (auto t : a) {
        REQUIRE((t >= 0 && t < 10));
        seen[t] = true;
    }
    int distinct = 0;
    for (bool s : seen) distinct += s;
    CHECK(distinct >= 8);  // 48 uniform draws over 10 ids miss more than 2 with probability < 1e-3
    CHECK_THROWS_WITH(random_tokens(0, 16, 10, 5), Contains("batch 0"));
    CHECK_THROWS_WITH(random_tokens(1, 16, 0, 5), Contains("vocab size 0"));
    CHECK_THROWS_WITH(random_tokens(1 << 20, 1 << 20, 10, 5), Contains("2^28"));
}

TEST_CASE("token files: comments and blank lines skipped, every error located", "[functional]") {
    ScratchDir dir;
    const auto good = dir.write("good.txt", "# two sequences\n1 2 3 4\n\n   # indented comment\n9\t0 5  6\r\n");
    CHECK(load_tokens(good, 2, 4, 10) == std::vector<std::int32_t>{1, 2, 3, 4, 9, 0, 5, 6});

    const auto short_line = dir.write("short.txt", "1 2 3 4\n# c\n1 2 3\n");
    CHECK_THROWS_WITH(load_tokens(short_line, 2, 4, 10),
                      Contains("short.txt:3: expected 4 token ids (seq 4), found 3"));
    const auto long_line = dir.write("long.txt", "1 2 3 4 5 6\n");
    CHECK_THROWS_WITH(load_tokens(long_line, 1, 4, 10), Contains("long.txt:1:") && Contains("found 6"));
    CHECK_THROWS_WITH(load_tokens(good, 3, 4, 10), Contains("expected 3 sequences") && Contains("found 2"));
    CHECK_THROWS_WITH(load_tokens(good, 1, 4, 10), Contains("good.txt:5:") && Contains("found more"));
    const auto range = dir.write("range.txt", "1 2 10 4\n");
    CHECK_THROWS_WITH(load_tokens(range, 1, 4, 10), Contains("range.txt:1: token 3") && Contains("0 to 9"));
    const auto negative = dir.write("neg.txt", "1 -2 3 4\n");
    CHECK_THROWS_WITH(load_tokens(negative, 1, 4, 10), Contains("neg.txt:1: token 2"));
    const auto word = dir.write("word.txt", "1 2 x3 4\n");
    CHECK_THROWS_WITH(load_tokens(word, 1, 4, 10), Contains("word.txt:1: token 3: expected an integer"));
    const auto huge = dir.write("huge.txt", "1 2 99999999999999999999999 4\n");
    CHECK_THROWS_WITH(load_tokens(huge, 1, 4, 10), Contains("expected an integer"));
    CHECK_THROWS_WITH(load_tokens(dir.file("none.txt"), 1, 4, 10), Contains("no such file"));
}
