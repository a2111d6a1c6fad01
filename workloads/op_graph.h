// The op graph: a model at a given sequence length and batch, as a list of tensor operations in
// a valid execution (topological) order. Both the analytic counts (`acceltran analyze`) and the
// tiled program the simulator runs are derived from this one graph.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workloads/model_spec.h"

namespace acceltran::workloads {

enum class OpKind { MatMul, Softmax, LayerNorm, Gelu, Add };
enum class OpCategory { MhaProjection, MhaActToAct, FfnProjection, Other };
// Weight: lives in main memory from the start (model parameters, including embedding tables).
// Input: gathered from main memory at the start (the embedding rows the tokens select).
// Activation: produced on chip by an op.
enum class TensorKind { Weight, Input, Activation };

const char* to_string(OpKind kind);
const char* to_string(OpCategory category);
const char* to_string(TensorKind kind);

struct Tensor {
    int id = -1;
    std::string name;         // e.g. "l0.attn.q", "l1.ffn.w1"
    TensorKind kind = TensorKind::Activation;
    int layer = -1;           // -1 for embedding-level tensors
    std::int64_t batch = 1;   // leading dimension (1 for weights)
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::int64_t elements() const { return batch * rows * cols; }
};

// out[batch][m][n].
// MatMul: out = A (batch, m, k) x B (k, n). A is the concatenation along k of `a_inputs`
//   (several tensors only for an output projection over heads of different widths).
//   B is `b_input`: a weight (shared by every batch entry) or an activation that has its own
//   (k, n) block per batch entry (`b_batched`), read transposed for Q.K^T (`b_transposed`).
//   For attention ops `batch` counts batch entries x heads.
// Softmax, LayerNorm, Gelu: out = f(a_inputs[0]), element-wise over (batch, m, n)
//   (softmax normalises along n, layer-norm along n).
// Add: out = a_inputs[0] + a_inputs[1]; a_inputs[1] may have batch 1 (broadcast: position
//   embeddings).
struct Op {
    int id = -1;
    std::string name;
    OpKind kind = OpKind::MatMul;
    OpCategory category = OpCategory::Other;
    int layer = -1;
    std::int64_t batch = 1, m = 0, n = 0, k = 0;  // k = 0 for non-matmul ops
    std::vector<int> a_inputs;
    int b_input = -1;
    bool b_batched = false;
    bool b_transposed = false;
    int output = -1;

    std::int64_t macs() const { return kind == OpKind::MatMul ? batch * m * n * k : 0; }
    std::int64_t out_elements() const { return batch * m * n; }
};

struct OpGraph {
    ModelSpec model;
    int seq = 128;
    int batch = 4;
    std::vector<Tensor> tensors;  // indexed by Tensor::id
    std::vector<Op> ops;          // indexed by Op::id, in execution order
    std::vector<int> producer;    // tensor id -> op id, or -1 for weights and inputs
    std::vector<std::vector<int>> consumers;  // tensor id -> op ids that read it, ascending
    std::vector<int> outputs;     // tensors that must end up in main memory (final hidden states)
};

// Builds the encoder graph:
//   embedding: word rows gathered for the batch's tokens (Input) + position rows (Weight) -> Add
//     -> LayerNorm;
//   per layer: Q, K, V projections (one matmul each over all heads of equal width), Q.K^T
//     (batched over batch x heads), Softmax, score x V, output projection, residual Add,
//     LayerNorm, FFN matmuls with GELU after each but the last, residual Add, LayerNorm;
//   a projection matmul between layers whose hidden sizes differ.
// Throws InputError for run shapes that cannot work (seq > max_positions, seq or batch < 1).
OpGraph build_op_graph(const ModelSpec& model, int seq, int batch);

}  // namespace acceltran::workloads
