// Where each parameter of the transformer an ONNX graph holds is found in it: the initializer
// (or Constant) names the recognizer (onnx_transformer.h) met on its way, with the transposes,
// column ranges and constant factors the graph applies to them. Filled by
// OnnxTransformer::to_model_spec; read into the functional mode's weights by onnx_weights.h
// (docs/models.md, "ONNX weights").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace acceltran::workloads {

// A linear layer: y = x W' + b, with W' the [in, out] matrix the graph multiplies by.
struct OnnxLinearRole {
    int node = -1;                 // the MatMul or Gemm
    std::string weight;            // its constant weight
    bool transposed = false;       // stored [out, in] (Gemm transB, a Transpose of the weight)
    std::int64_t rows = 0;         // in
    std::int64_t full_cols = 0;    // out of the whole weight (a fused QKV's 3 x width)
    std::int64_t col_offset = 0;   // this role's first column (a Split of a fused projection)
    std::int64_t cols = 0;         // this role's columns
    double weight_scale = 1;       // constant factors the graph applies to x W' (Gemm alpha, Mul/Div)
    std::string bias;              // the bias Add's or Gemm's C constant; empty: no bias
    bool bias_fused = false;       // the bias is the whole weight's (full_cols, before the Split)
    double bias_scale = 1;         // constant factors applied to the bias (Gemm beta, Mul/Div after it)
    std::string error;             // why this layer's parameters cannot be read; empty when they can
};

// A layer norm: LayerNormalization(x, gamma, beta), or the decomposed form with its gain Mul and
// offset Add (either may be absent: 1 and 0).
struct OnnxNormRole {
    int node = -1;                 // LayerNormalization, or the decomposed form's mean ReduceMean
    std::string gamma, beta;
    double epsilon = 1e-5;         // LayerNormalization's default (ONNX operator schema)
    std::string epsilon_from;      // the attribute or constant it was read from; empty: the default
    std::string error;             // why its parameters cannot be read; empty when they can
};

struct OnnxLayerRoles {
    OnnxLinearRole q, k, v, out, ffn_up, ffn_down;
    // Post-norm (BERT): after the attention's residual and after the feed-forward's; pre-norm
    // (GPT-2): before each. Empty node when the norms do not sit where the architecture puts them.
    OnnxNormRole attention_norm, ffn_norm;
};

struct OnnxWeightRoles {
    std::string word_table, position_table, token_type_table;  // token type: empty when absent
    OnnxNormRole embedding_norm;                                // encoder: after the embedding
    OnnxNormRole final_norm;                                    // decoder: before the LM head
    std::vector<OnnxLayerRoles> layers;
    // Why the parameters cannot be read although the shape can (a layer norm not where the
    // architecture puts it, a second embedding table, ...), naming the node; empty when they can.
    std::string error;
};

}  // namespace acceltran::workloads
