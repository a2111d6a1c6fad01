// The double-precision reference forward pass: hand-checkable cases, the pruning points and
// their counts, top-k, and rounding.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "core/errors.h"
#include "tests/unit/functional_test_support.h"
#include "workloads/functional/reference_forward.h"
#include "workloads/functional/weight_loader.h"

using namespace acceltran;
using namespace acceltran::functional;
using acceltran::testing::tiny_bert;
using Catch::Matchers::Contains;

namespace {

// Generated embeddings; every matmul weight and bias zero, layer norms the identity affine map.
ModelWeights zero_layers(const workloads::ModelSpec& model) {
    ModelWeights w = generate_weights(model, 11);
    for (auto& [name, m] : w.matrices)
        if (name != "emb.pos_rows") std::fill(m.values.begin(), m.values.end(), 0.0);
    for (auto& [name, b] : w.biases) std::fill(b.begin(), b.end(), 0.0);
    for (auto& [name, n] : w.norms) {
        std::fill(n.gamma.begin(), n.gamma.end(), 1.0);
        std::fill(n.beta.begin(), n.beta.end(), 0.0);
    }
    return w;
}

std::vector<double> layer_norm(std::vector<double> row) {
    double mean = 0, var = 0;
    for (double v : row) mean += v / double(row.size());
    for (double v : row) var += (v - mean) * (v - mean) / double(row.size());
    for (double& v : row) v = (v - mean) / std::sqrt(var + 1e-12);
    return row;
}

const std::vector<std::int32_t> kTokens = {3, 1, 4, 1, 5, 9, 2, 6};  // batch 2, seq 4

}  // namespace

TEST_CASE("reference forward: zero layers pass the normalised embedding through", "[functional]") {
    const auto model = tiny_bert();
    const ModelWeights w = zero_layers(model);
    const ReferenceResult r = reference_forward(model, w, kTokens, 4, 2);
    REQUIRE(r.hidden_states.size() == 2 * 4 * 8);
    for (std::int64_t b = 0; b < 2; ++b)
        for (std::int64_t s = 0; s < 4; ++s) {
            std::vector<double> e(8);
            for (int c = 0; c < 8; ++c)
                e[std::size_t(c)] = w.word_embeddings.at(kTokens[std::size_t(b * 4 + s)], c) +
                                    w.matrices.at("emb.pos_rows").at(s, c);
            // Embedding norm, then the two residual norms of a row that is already normalised.
            const auto expected = layer_norm(layer_norm(layer_norm(e)));
            for (int c = 0; c < 8; ++c) CHECK(r.at(b, s, c) == Approx(expected[std::size_t(c)]).margin(1e-12));
        }
    // Zero weights and biases: every matmul output is exactly zero and counted as such, even
    // with pruning off. The probabilities are uniform (1/4), not zero.
    for (const char* point : {"attn.q", "attn.k", "attn.v", "attn.scores", "attn.context", "attn.out", "ffn.h1", "ffn.out"}) {
        INFO(point);
        const PruneCount& c = r.points.at(std::string("l0.") + point);
        CHECK(c.zeros == c.elements);
    }
    CHECK(r.points.at("l0.attn.scores").elements == 2 * 2 * 4 * 4);
    CHECK(r.points.at("l0.attn.probs").zeros == 0);
    CHECK(r.points.size() == 9);
    REQUIRE(r.layer_outputs.size() == 1);
    CHECK(r.layer_outputs[0] == r.hidden_states);
}

TEST_CASE("reference forward: equal scores give uniform probabilities, pruned at exactly tau", "[functional]") {
    const auto model = tiny_bert();
    ModelWeights w = zero_layers(model);
    // V rows all equal to the bias: the context under uniform probabilities is that bias, so the
    // attention output is bias x Wo; with Wo = I it is the bias itself.
    std::vector<double> bv = {0.5, -0.25, 1.0, 2.0, -1.0, 0.75, 0.125, -0.5};
    w.biases.at("l0.attn.v") = bv;
    Matrix& wo = w.matrices.at("l0.attn.wo");
    for (int i = 0; i < 8; ++i) wo.values[std::size_t(i * 8 + i)] = 1.0;
    // Just below 1/seq = 0.25 nothing in the probabilities is pruned; at exactly 0.25 all is.
    ReferenceOptions o;
    o.threshold = 0.2499;
    const ReferenceResult kept = reference_forward(model, w, kTokens, 4, 2, o);
    CHECK(kept.points.at("l0.attn.probs").zeros == 0);
    // V's 0.125 column is pruned at v (<= 0.2499), so the context has that one zero per row.
    CHECK(kept.points.at("l0.attn.v").zeros == 8);
    CHECK(kept.points.at("l0.attn.context").zeros == 8);
    o.threshold = 0.25;
    const ReferenceResult pruned = reference_forward(model, w, kTokens, 4, 2, o);
    CHECK(pruned.points.at("l0.attn.probs").zeros == pruned.points.at("l0.attn.probs").elements);
    CHECK(pruned.points.at("l0.attn.context").zeros == pruned.points.at("l0.attn.context").elements);
    // Pruning at v: -0.25 and 0.125 are at or under 0.25, in every one of the 8 rows.
    CHECK(pruned.points.at("l0.attn.v").zeros == 2 * 8);
    // Unpruned, the attention output (before the residual) is bv: the first layer norm sees
    // x + bv. Check it through the final output with zero FFN: LN(LN(x + bv)).
    o.threshold = 0.0;
    const ReferenceResult plain = reference_forward(model, w, kTokens, 4, 2, o);
    std::vector<double> e(8);
    for (int c = 0; c < 8; ++c) e[std::size_t(c)] = w.word_embeddings.at(3, c) + w.matrices.at("emb.pos_rows").at(0, c);
    auto x = layer_norm(e);
    for (int c = 0; c < 8; ++c) x[std::size_t(c)] += bv[std::size_t(c)];
    const auto expected = layer_norm(layer_norm(x));
    for (int c = 0; c < 8; ++c) CHECK(plain.at(0, 0, c) == Approx(expected[std::size_t(c)]).margin(1e-12));
}

TEST_CASE("reference forward: threshold pruning at Q, K and the scaled scores", "[functional]") {
    const auto model = tiny_bert();
    ModelWeights w = zero_layers(model);
    // Q and K rows equal their biases. Head 0 (columns 0-3), head 1 (columns 4-7).
    w.biases.at("l0.attn.q") = {0.1, -0.2, 0.3, 0.05, 0.4, 0.4, 0.4, 0.4};
    w.biases.at("l0.attn.k") = {1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5};
    ReferenceOptions o;
    o.threshold = 0.1;
    const ReferenceResult r = reference_forward(model, w, kTokens, 4, 2, o);
    // Q: 0.1 (equal to tau) and 0.05 are zeroed in each of the 8 rows.
    CHECK(r.points.at("l0.attn.q").zeros == 2 * 8);
    CHECK(r.points.at("l0.attn.k").zeros == 0);
    // Scaled scores: head 0 (-0.2 + 0.3) / sqrt(4) = 0.05 <= tau, pruned; head 1
    // 4 x 0.2 / 2 = 0.4, kept. Without the 1/sqrt(width) scaling before pruning head 0's
    // 0.1 would be pruned too but 0.8 would not change: use a tau between 0.05 and 0.1 as well.
    CHECK(r.points.at("l0.attn.scores").zeros == 2 * 4 * 4);
    CHECK(r.points.at("l0.attn.scores").elements == 2 * 2 * 4 * 4);
    o.threshold = 0.07;
    const ReferenceResult s = reference_forward(model, w, kTokens, 4, 2, o);
    // Q: only 0.05 now; the head-0 score is (0.1 - 0.2 + 0.3) / 2 = 0.1 > 0.07 (scaled: kept);
    // unscaled it would be 0.2, kept as well, so check the scaled value through tau = 0.1 above.
    CHECK(s.points.at("l0.attn.q").zeros == 8);
    CHECK(s.points.at("l0.attn.scores").zeros == 0);
    // The total is the sum of the points.
    std::int64_t zeros = 0;
    for (const auto& [name, c] : r.points) zeros += c.zeros;
    CHECK(r.total().zeros == zeros);
}

TEST_CASE("top-k keeps the entries strictly above the k-th largest", "[functional]") {
    const std::vector<double> row = {0.1, 0.4, 0.2, 0.4, 0.3};
    const auto topk = [&](int k) {
        auto r = row;
        topk_row(r.data(), std::int64_t(r.size()), k);
        return r;
    };
    CHECK(topk(1) == std::vector<double>{0, 0, 0, 0, 0});  // k-th largest is 0.4 itself
    CHECK(topk(2) == std::vector<double>{0, 0, 0, 0, 0});  // ties at the k-th value are dropped
    CHECK(topk(3) == std::vector<double>{0, 0.4, 0, 0.4, 0});
    CHECK(topk(4) == std::vector<double>{0, 0.4, 0, 0.4, 0.3});
    CHECK(topk(5) == std::vector<double>{0, 0.4, 0.2, 0.4, 0.3});
    CHECK(topk(6) == row);  // no 6th largest: nothing pruned

    const auto model = tiny_bert();
    ReferenceOptions o;
    o.topk = true;
    o.k = 1;
    // Equal scores: k = 1 keeps nothing of the uniform rows; k = 5 > seq keeps everything.
    const ReferenceResult none = reference_forward(model, zero_layers(model), kTokens, 4, 2, o);
    CHECK(none.points.at("l0.attn.probs").zeros == none.points.at("l0.attn.probs").elements);
    o.k = 5;
    const ReferenceResult all = reference_forward(model, zero_layers(model), kTokens, 4, 2, o);
    CHECK(all.points.at("l0.attn.probs").zeros == 0);
    // Random weights: distinct probabilities, so k = 3 keeps exactly 2 per row of 4.
    o.k = 3;
    const ReferenceResult r = reference_forward(model, generate_weights(model, 5), kTokens, 4, 2, o);
    CHECK(r.points.at("l0.attn.probs").zeros == 2 * 2 * 4 * 2);
    // Top-k touches only the probabilities.
    const ReferenceResult plain = reference_forward(model, generate_weights(model, 5), kTokens, 4, 2);
    CHECK(r.points.at("l0.attn.scores").zeros == plain.points.at("l0.attn.scores").zeros);
}

TEST_CASE("reference forward: a larger threshold never lowers the zero count (BERT-Tiny shape)", "[functional]") {
    const auto model = testing::bert_tiny_shape();
    const ModelWeights w = generate_weights(model, 2024);
    const auto tokens = random_tokens(1, 16, model.vocab_size, 9);
    std::int64_t previous = -1;
    double previous_sparsity = -1;
    for (double tau : {0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5}) {
        ReferenceOptions o;
        o.threshold = tau;
        o.keep_layer_outputs = false;
        const ReferenceResult r = reference_forward(model, w, tokens, 16, 1, o);
        INFO("tau " << tau << ": " << r.total().zeros << " zeros of " << r.total().elements);
        CHECK(r.total().zeros >= previous);
        CHECK(r.total().sparsity() >= previous_sparsity);
        if (tau == 0.0) CHECK(r.total().sparsity() < 0.001);  // random doubles are never exactly zero
        previous = r.total().zeros;
        previous_sparsity = r.total().sparsity();
        for (double v : r.hidden_states) REQUIRE(std::isfinite(v));
    }
    CHECK(previous_sparsity > 0.5);  // at tau 0.5 most activations of N(0, 0.02) weights are small
}

TEST_CASE("reference forward: fixed-point rounding stays close and lands on the grid", "[functional]") {
    const auto model = testing::bert_tiny_shape();
    ModelWeights w = generate_weights(model, 77);
    const FixedPointFormat format;  // IL 4, FL 16
    quantize_weights(w, format);
    const auto tokens = random_tokens(2, 16, model.vocab_size, 1);
    const ReferenceResult exact = reference_forward(model, w, tokens, 16, 2);
    ReferenceOptions o;
    o.quantize = &format;
    const ReferenceResult rounded = reference_forward(model, w, tokens, 16, 2, o);
    double worst = 0;
    for (std::size_t i = 0; i < exact.hidden_states.size(); ++i) {
        const double v = rounded.hidden_states[i];
        REQUIRE(std::ldexp(v, 16) == std::round(std::ldexp(v, 16)));
        worst = std::max(worst, std::fabs(v - exact.hidden_states[i]));
    }
    // Each stored value moves by at most half an LSB (7.6e-6); about 40 roundings in sequence
    // over two layers, and layer norms that rescale by about 1/std of rows whose std is near 1
    // or larger, keep the drift well under 1e-3.
    CHECK(worst < 1e-3);
    CHECK(worst > 0.0);  // rounding did happen
    FixedPointFormat stochastic = format;
    stochastic.rounding = Rounding::Stochastic;
    o.quantize = &stochastic;
    o.rounding_seed = 3;
    const ReferenceResult s1 = reference_forward(model, w, tokens, 16, 2, o);
    const ReferenceResult s2 = reference_forward(model, w, tokens, 16, 2, o);
    CHECK(s1.hidden_states == s2.hidden_states);  // deterministic in the seed
    CHECK(s1.hidden_states != rounded.hidden_states);
}

TEST_CASE("reference forward refuses bad inputs", "[functional]") {
    const auto model = tiny_bert();
    const ModelWeights w = generate_weights(model, 1);
    CHECK_THROWS_WITH(reference_forward(model, w, {3, 1, 4, 10}, 4, 1), Contains("token id 10 is outside 0..9"));
    CHECK_THROWS_WITH(reference_forward(model, w, kTokens, 8, 2), Contains("expected batch x seq = 16"));
    CHECK_THROWS_WITH(reference_forward(model, w, std::vector<std::int32_t>(9, 0), 9, 1), Contains("outside 1..8"));
    ReferenceOptions o;
    o.threshold = -0.1;
    CHECK_THROWS_WITH(reference_forward(model, w, kTokens, 4, 2, o), Contains("threshold"));
    o.threshold = 0;
    o.topk = true;
    CHECK_THROWS_WITH(reference_forward(model, w, kTokens, 4, 2, o), Contains("k >= 1"));
    ModelWeights missing = w;
    missing.matrices.erase("l0.ffn.w2");
    CHECK_THROWS_WITH(reference_forward(model, missing, kTokens, 4, 2), Contains("missing matrix 'l0.ffn.w2'"));
    ModelWeights wrong = w;
    wrong.biases.at("l0.attn.out").pop_back();
    CHECK_THROWS_WITH(reference_forward(model, wrong, kTokens, 4, 2), Contains("bias 'l0.attn.out' has 7 values"));
}
