// Where the functional mode's numbers come from: model weights (generated from a seed, or loaded
// from a Hugging Face BERT checkpoint in safetensors format), offline weight pruning, and the
// token ids of the batch (generated, or read from a text file). Plain C++, no SystemC.
//
// Supported models: BERT-family encoders (layer-norm, learned positions, GELU or ReLU) whose
// layers all have the model's hidden size (no projection between layers), one head width per
// layer (one head group: the graph's tensors are `l<i>.attn.wq`, not `l<i>.attn.g0.wq`) and one
// feed-forward width (the graph's `ffn.w1`, `ffn.w2`). Anything else is an InputError naming
// what is unsupported.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workloads/functional/fixed_point.h"
#include "workloads/functional/model_weights.h"
#include "workloads/model_spec.h"

namespace acceltran::functional {

// InputError unless the functional mode supports `model` (see above); also runs
// workloads::check_model.
void check_functional_model(const workloads::ModelSpec& model);

// Deterministic weights at BERT's initializer scale: every matrix, embedding row and bias
// N(0, 0.02^2), layer-norm gamma 1 + N(0, 0.02^2) and beta N(0, 0.02^2); the position rows have
// a generated token-type-0 row folded in, as load_weights does. Normal draws come from
// std::mt19937_64 and our own Box-Muller transform (std:: distributions differ between library
// versions), from one stream per tensor seeded by `seed` and the tensor's name, so a tensor's
// values depend only on (seed, name, shape): layer 0 of a 2-layer model equals layer 0 of a
// 12-layer one of the same widths.
ModelWeights generate_weights(const workloads::ModelSpec& model, std::uint64_t seed);

// Weights from a .safetensors checkpoint with the standard Hugging Face BERT parameter names,
// with or without the "bert." prefix (see docs/dynatran.md for the table). PyTorch Linear
// weights ([out, in]) are transposed into the graph's (in x out); token-type row 0 is added to
// every position row (every token is segment 0); LayerNorm weight/bias or the old gamma/beta.
// Every shape is checked against `model`; a missing tensor names the expected name; a layer
// index at or beyond the model's layer count is an error (the file is of another model); other
// tensors (pooler, classifier heads) are ignored.
ModelWeights load_weights(const workloads::ModelSpec& model, const std::string& safetensors_path);

struct WeightPruneStats {
    std::int64_t elements = 0;  // elements of the pruned matrices
    std::int64_t zeroed = 0;    // non-zeros this call set to zero
    std::int64_t zeros = 0;     // zeros afterwards (including those that were zero already)
    double fraction() const { return elements ? double(zeros) / double(elements) : 0.0; }
};

// Offline magnitude pruning with DynaTran's rule (docs/dynatran.md §1): for threshold > 0 every
// weight with |w| <= threshold becomes 0; threshold 0 prunes nothing (zeros are still counted).
// Only the matmul weights wq, wk, wv, wo, w1, w2 of every layer: not the embeddings, biases or
// norms. InputError for a negative or non-finite threshold.
WeightPruneStats prune_weights(ModelWeights& weights, double threshold);

// Rounds every stored parameter (matrices, embeddings, biases, gamma, beta) to `format` with
// round-to-nearest (weights are converted once, offline, whatever the format's rounding), as
// the accelerator holds them in main memory. Use before reference_forward with a `quantize`
// format to reproduce the simulator's numbers.
void quantize_weights(ModelWeights& weights, const FixedPointFormat& format);

// batch x seq token ids uniform in [0, vocab), deterministic in `seed` (std::mt19937_64 with
// our own unbiased reduction). Row-major: sequence b's tokens are [b*seq, (b+1)*seq).
std::vector<std::int32_t> random_tokens(std::int64_t batch, std::int64_t seq, std::int64_t vocab,
                                        std::uint64_t seed);

// Token ids from a text file: one sequence per line of exactly `seq` whitespace-separated
// decimal ids in [0, vocab), exactly `batch` such lines; blank lines and lines whose first
// non-blank character is '#' are skipped. InputError with file:line otherwise.
std::vector<std::int32_t> load_tokens(const std::string& path, std::int64_t batch, std::int64_t seq,
                                      std::int64_t vocab);

}  // namespace acceltran::functional
