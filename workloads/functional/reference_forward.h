// An independent double-precision forward pass of a BERT encoder, written as plain loops over
// the math rather than by walking the op graph, so that it can check the simulator's functional
// mode (which computes the same thing tile by tile in fixed point) and so that a mistake in the
// graph does not hide in both. Plain C++, no SystemC.
//
// Per layer (post-norm BERT; `l<i>.` prefixes the names):
//   q, k, v   = x Wq + bq, x Wk + bk, x Wv + bv                    -> prune at attn.q|k|v
//   scores    = (Q_h K_h^T) / sqrt(head width), per head           -> prune at attn.scores
//   probs     = softmax(scores) along keys                         -> prune (and top-k) at attn.probs
//   context   = probs V_h                                          -> prune at attn.context
//   out       = context Wo + bo                                    -> prune at attn.out
//   x1        = LayerNorm(out + x)                                 (attn.residual, attn.ln)
//   h1        = x1 W1 + b1                                         -> prune at ffn.h1, then GELU
//   y         = GELU(h1) W2 + b2                                   -> prune at ffn.out
//   x         = LayerNorm(y + x1)                                  (ffn.residual, ffn.ln)
// after the embedding: x = LayerNorm(word rows + position rows), position rows including the
// token-type-0 row (ModelWeights). No attention mask (every token is real) and no pooler (the
// op graph has none). GELU is the exact erf form; ReLU when the model says so.
//
// The pruning points are DynaTran's (modeling_dtbert.py, jha-lab/txf_design-space) for the encoder. The scores are pruned
// after the 1/sqrt(head width) scaling: the functional mode scales them in the MAC lane, before
// the post-sparsity unit sees them, so the threshold compares against the scaled scores.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/sparsity_settings.h"

#include "workloads/functional/fixed_point.h"
#include "workloads/functional/model_weights.h"
#include "workloads/model_spec.h"

namespace acceltran::functional {

struct ReferenceOptions {
    // DynaTran's τ on activations: for τ > 0 every value with |x| <= τ at a pruning point
    // becomes 0 (sparsity::prune); τ = 0 disables pruning.
    double threshold = 0.0;
    // Top-k baseline on the attention probabilities only: in each (batch, head, query row) keep
    // the entries strictly greater than the k-th largest value of the row; everything else,
    // including every entry equal to the k-th largest, becomes 0. So at most k - 1 entries
    // survive (k = 1 keeps none), and a row of equal values keeps none. With k greater than the
    // row length nothing is pruned. Applied after the threshold when both are on.
    bool topk = false;
    int k = 0;
    // When set, every value the accelerator stores is rounded to this format: matmul outputs
    // (after bias; the scores after scaling), softmax, layer-norm and GELU outputs, the
    // embedding and residual sums. Rounding happens before pruning, as the post-sparsity unit
    // sees the stored value. Weights are not rounded here: call quantize_weights first.
    const FixedPointFormat* quantize = nullptr;
    // Draws for stochastic rounding (one stream, in the order of the loops above).
    std::uint64_t rounding_seed = 0;
    // Keep the hidden states after every layer (batch x seq x hidden each).
    bool keep_layer_outputs = true;
};

struct PruneCount {
    std::int64_t elements = 0;
    std::int64_t zeros = 0;  // exact zeros after pruning (values that were zero already count)
    double sparsity() const { return elements ? double(zeros) / double(elements) : 0.0; }
};

struct ReferenceResult {
    std::int64_t batch = 0, seq = 0, hidden = 0;
    std::vector<double> hidden_states;               // final, batch x seq x hidden, row-major
    std::vector<std::vector<double>> layer_outputs;  // after each layer, if kept
    // Per pruning point by op name: l<i>.attn.q, .attn.k, .attn.v, .attn.scores, .attn.probs,
    // .attn.context, .attn.out, l<i>.ffn.h1, .ffn.out. Counted whether or not pruning is on.
    std::map<std::string, PruneCount> points;
    // Summed over all points: DynaTran's activation sparsity.
    PruneCount total() const;
    double at(std::int64_t b, std::int64_t s, std::int64_t c) const {
        return hidden_states[std::size_t((b * seq + s) * hidden + c)];
    }
};

// `tokens` has batch x seq ids (sequence b at [b*seq, (b+1)*seq)). InputError when the model is
// not supported (check_functional_model), seq or batch is out of range, a token id is outside
// the vocabulary, the weights lack a tensor or have the wrong shape, or the options are invalid
// (negative or non-finite threshold, top-k with k < 1).
ReferenceResult reference_forward(const workloads::ModelSpec& model, const ModelWeights& weights,
                                  const std::vector<std::int32_t>& tokens, std::int64_t seq, std::int64_t batch,
                                  const ReferenceOptions& options = {});

// The pruning rule itself is sparsity::prune (core/sparsity_settings.h), shared with the
// engine's post-sparsity unit and offline weight pruning.

// The top-k rule on one row (see ReferenceOptions::topk), in place.
void topk_row(double* row, std::int64_t n, int k);

}  // namespace acceltran::functional
