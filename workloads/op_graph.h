// The op graph: a model at a given sequence length and batch, as a list of tensor operations in
// a valid execution (topological) order. Both the analytic counts (`acceltran analyze`) and the
// tiled program the simulator runs are derived from this one graph.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "workloads/model_spec.h"

namespace acceltran::workloads {


// RmsNorm, SwiGlu and Rotary appear in decoder graphs only (generation.h); new kinds go last so
// that the encoder's kinds keep their values.
enum class OpKind { MatMul, Softmax, LayerNorm, Gelu, Add, RmsNorm, SwiGlu, Rotary };
// How many kinds there are (Rotary is the last), for tables indexed by kind.
constexpr int kOpKindCount = int(OpKind::Rotary) + 1;
// The survey's Table 3 categories, plus the decoder's vocabulary projection, which the survey
// leaves out of its totals (docs/decoders.md).
enum class OpCategory { MhaProjection, MhaActToAct, FfnProjection, Other, LmHead };
// Generation phases: the prefill processes the prompt (an encoder's single forward pass is a
// prefill too); each decode step processes one new token per sequence.
enum class Phase : std::uint8_t { Prefill, Decode };
// A tensor that is one segment of a layer's KV cache: the keys or values of the tokens one
// prefill or decode step appended.
enum class CacheRole : std::uint8_t { None, Key, Value };
// Weight: lives in main memory from the start (model parameters, including embedding tables).
// Input: gathered from main memory at the start (the embedding rows the tokens select).
// Activation: produced on chip by an op.
enum class TensorKind { Weight, Input, Activation };

const char* to_string(OpKind kind);
const char* to_string(OpCategory category);
const char* to_string(TensorKind kind);
const char* to_string(Phase phase);

struct Tensor {
    int id = -1;
    std::string name;         // e.g. "l0.attn.q", "l1.ffn.w1"
    TensorKind kind = TensorKind::Activation;
    int layer = -1;           // -1 for embedding-level tensors
    std::int64_t batch = 1;   // leading dimension (1 for weights)
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    // Rows selected from an embedding table by token or position (word and position rows):
    // the analyzer's gather row counts them.
    bool gathered = false;
    // Input rows of a token known only once these ops have run (the token sampled from the
    // previous decode step's logits): the load of this tensor waits for all of them.
    std::vector<int> known_after;
    CacheRole cache = CacheRole::None;
    std::int64_t elements() const { return batch * rows * cols; }
};

// Causal masking of an attention op. Row r of every batch entry is the query at position
// r / group (the `group` query heads that share one key/value head are adjacent rows) and sees
// the keys at positions 0 .. r / group; later keys are masked and cost nothing. Keys run along n
// for Q.K^T and its softmax and along k for probs x V.
struct CausalMask {
    bool on = false;
    std::int64_t group = 1;

    // (row, key) pairs the mask keeps over rows [row_begin, row_end) and keys
    // [key_begin, key_end); every pair when the mask is off.
    std::int64_t pairs(std::int64_t row_begin, std::int64_t row_end, std::int64_t key_begin,
                       std::int64_t key_end) const;
    // Last key row `row` sees (only meaningful when on).
    std::int64_t last_key(std::int64_t row) const { return row / group; }
};

// out[batch][m][n].
// MatMul: out = A (batch, m, k) x B (k, n). A is the concatenation along k of `a_inputs`
//   (several tensors for an output projection over heads of different widths, or for a matmul
//   reading the column slices of a split one: WeightSplit).
//   B is `b_input`: a weight (shared by every batch entry) or an activation that has its own
//   (k, n) block per batch entry (`b_batched`), read transposed for Q.K^T (`b_transposed`).
//   For attention ops `batch` counts batch entries x heads.
// Softmax, LayerNorm, Gelu: out = f(a_inputs[0]), element-wise over (batch, m, n)
//   (softmax normalises along n, layer-norm along n).
// Add: out = a_inputs[0] + a_inputs[1]; a_inputs[1] may have batch 1 (broadcast: position
//   embeddings).
// RmsNorm: out = a_inputs[0] normalised by its root mean square along n (no mean, no shift).
// SwiGlu: out = SiLU(a_inputs[0]) * a_inputs[1] (the gated FFN's hidden state).
// Rotary: out = a_inputs[0] with each pair of a head's dimensions rotated by its position's
//   angle; a_inputs[1] holds the cos/sin rows of the positions (batch 1, broadcast over batch
//   and heads).
struct Op {
    int id = -1;
    std::string name;
    OpKind kind = OpKind::MatMul;
    OpCategory category = OpCategory::Other;
    int layer = -1;
    Phase phase = Phase::Prefill;
    int step = 0;  // 0 for the prefill, t = 1..G for decode step t
    std::int64_t batch = 1, m = 0, n = 0, k = 0;  // k = 0 for non-matmul ops
    std::vector<int> a_inputs;
    int b_input = -1;
    // Further B tensors concatenated after b_input along the key axis (n when b_transposed,
    // k otherwise): the later segments of a KV cache. Units address every B read to b_input's
    // place; the byte counts come from the op's extents.
    std::vector<int> b_more;
    bool b_batched = false;
    bool b_transposed = false;
    CausalMask causal;
    // Element-wise: reads only the last of each batch entry's rows of a_inputs[0] (a prefill's
    // final norm: only the last position's logits are needed), so m = 1.
    bool last_position = false;
    // MatMul: a GELU applied to the results as they leave the unit (op_fusion.h); the output is
    // the GELU's.
    bool fused_gelu = false;
    int output = -1;

    // Dense MACs, or only the unmasked ones under a causal mask.
    std::int64_t macs() const;
    std::int64_t out_elements() const { return batch * m * n; }
    // Output elements actually computed: the unmasked ones under a causal mask.
    std::int64_t active_elements() const;
    // Every tensor the op reads, without repeats, ascending.
    std::vector<int> inputs() const;
};

struct OpGraph {
    ModelSpec model;
    int seq = 128;        // positions covered: the sequence, or prompt + generated tokens
    int batch = 4;
    // Generation graphs (decoders): prompt tokens P prefilled and decode steps G (seq = P + G).
    int prompt_len = 0;
    int gen_len = 0;
    std::vector<Tensor> tensors;  // indexed by Tensor::id
    std::vector<Op> ops;          // indexed by Op::id, in execution order
    std::vector<int> producer;    // tensor id -> op id, or -1 for weights and inputs
    std::vector<std::vector<int>> consumers;  // tensor id -> op ids that read it, ascending
    std::vector<int> outputs;     // tensors that must end up in main memory (final hidden states)
    // The whole embedding table, (vocabulary + positions) x hidden, when the graph models the
    // original simulator's table load (CompileOptions::embedding_table): a weight no op reads,
    // loaded first and kept; the gathered rows are taken from it on chip. -1 otherwise.
    int embedding_table = -1;

    // Lookups by name (reports, tests); std::out_of_range naming the missing one.
    const Op& op(const std::string& name) const;
    const Tensor& tensor(const std::string& name) const;
};

// How a matmul's weight is split so that each piece fits the buffers (docs/decoders.md §2,
// "Weight slicing"; BufferFit in generation.h decides).
// Whole: one op. Columns: one op per column slice of the weight, producing that column slice of
//   the output; consumers take the slices (a matmul concatenates its A operands along k, an
//   element-wise op runs once per slice). Depth: one op per group of consecutive column slices
//   of the A operand, times the weight rows they meet; Add ops sum the partial outputs in order.
struct WeightSplit {
    enum class Kind : std::uint8_t { Whole, Columns, Depth };
    Kind kind = Kind::Whole;
    std::vector<std::int64_t> sizes;  // Columns: columns per slice; Depth: weight rows per group
    std::vector<std::size_t> parts;   // Depth: A slices per group

    // Widths of the output's column slices, for an op of n output columns.
    std::vector<std::int64_t> out_widths(std::int64_t n) const {
        return kind == Kind::Columns ? sizes : std::vector<std::int64_t>{n};
    }
};

// A weight as the tensors of its split, in slice order.
struct SlicedWeight {
    WeightSplit split;
    std::vector<int> tensors;
};


}  // namespace acceltran::workloads
