// Building op graphs: GraphBuilder appends tensors and ops with their ids, phases and links;
// build_op_graph makes the encoder graph (and a decoder's prefill through generation.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "workloads/model_spec.h"
#include "workloads/op_graph.h"
#include "workloads/target_description.h"

namespace acceltran::workloads {

// Appends tensors and ops to a graph, giving each its id and each op its output tensor and the
// phase and step set last. Used by the encoder graph below and the generation graph
// (generation.h).
class GraphBuilder {
public:
    explicit GraphBuilder(OpGraph& g) : g_(g) {}

    void set_phase(Phase phase, int step) {
        phase_ = phase;
        step_ = step;
    }

    int tensor(const std::string& name, TensorKind kind, int layer, std::int64_t batch,
               std::int64_t rows, std::int64_t cols);

    // Adds an op and its output activation (named like the op), returns the output tensor id.
    // The output tensor has the op's (batch, m, n) unless `out_shape` gives a different view of
    // the same elements (attention keeps per-head results as batch x seq x heads*width).
    int op(const std::string& name, OpKind kind, OpCategory category, int layer,
           std::int64_t batch, std::int64_t m, std::int64_t n, std::int64_t k,
           std::vector<int> a_inputs, int b_input = -1, bool b_batched = false,
           bool b_transposed = false) {
        return op_as(name, kind, category, layer, batch, m, n, k, std::move(a_inputs), b_input,
                     b_batched, b_transposed, {batch, m, n});
    }
    int op_as(const std::string& name, OpKind kind, OpCategory category, int layer,
              std::int64_t batch, std::int64_t m, std::int64_t n, std::int64_t k,
              std::vector<int> a_inputs, int b_input, bool b_batched, bool b_transposed,
              std::vector<std::int64_t> out_shape);
    // The general form: `o` carries everything but its id, phase, step and output.
    int add(Op o, std::vector<std::int64_t> out_shape);
    // An op with its extents and A operands, to complete and add().
    static Op describe(const std::string& name, OpKind kind, OpCategory category, int layer,
                       std::int64_t batch, std::int64_t m, std::int64_t n, std::int64_t k,
                       std::vector<int> a_inputs);

    // Weight slicing (WeightSplit). The tensors of a k x n weight: `name` itself when whole,
    // `name.s<j>` per column slice, `name.k<j>` per depth group.
    SlicedWeight weight(const std::string& name, int layer, std::int64_t k, std::int64_t n,
                        const WeightSplit& split);
    // Column slice j of out = concat_k(a) x w over (batch, m): op `name.s<j>`, or the whole op
    // `name` when w is not split by columns (then j is 0). Returns its output.
    int column(const std::string& name, OpCategory category, int layer, std::int64_t batch,
               std::int64_t m, const std::vector<int>& a, const SlicedWeight& w, std::size_t j);
    // The whole product of a weight that is not split by columns: op `name`, or for a Depth
    // split ops `name.k<j>` over the A slices of group j and Adds `name.sum<j>` (j >= 1)
    // accumulating them. Returns the output (the last sum).
    int reduce(const std::string& name, OpCategory category, int layer, std::int64_t batch,
               std::int64_t m, const std::vector<int>& a, const SlicedWeight& w);
    // The GELU/ReLU feed-forward over x (batch x m rows): matmuls `ffn.h<i>`, each followed by
    // its activation `ffn.<activation><i>`, then `ffn.out`, with names after `prefix` (as in
    // BERT, no activation after the last). `weight(i, widths)` gives matmul i's weight when its
    // A operand has column slices of these widths. Returns the output.
    int gelu_feed_forward(
        const std::string& prefix, int layer, std::int64_t batch, std::int64_t m, int x,
        std::size_t matmuls, const std::string& activation,
        const std::function<SlicedWeight(std::size_t, const std::vector<std::int64_t>&)>& weight);
    // `name` for an op or tensor that is one of `count` slices: `name.s<j>`, or `name` alone.
    static std::string slice_name(const std::string& name, std::size_t j, std::size_t count);
    std::int64_t cols(int tensor) const { return g_.tensors[tensor].cols; }

    // Fills the producer and consumer tables; call once, after the last op.
    void link();

private:
    OpGraph& g_;
    Phase phase_ = Phase::Prefill;
    int step_ = 0;
};

// Checks what the graphs rely on (a ModelSpec can be built in code as well as loaded): sizes,
// head types, and for each architecture the variants its graph has. InputError otherwise.
void check_model(const ModelSpec& model);

// Builds the encoder graph:
//   embedding: word rows gathered for the batch's tokens (Input) + position rows (Weight) -> Add
//     -> LayerNorm;
//   per layer: Q, K, V projections (one matmul each over all heads of equal width), Q.K^T
//     (batched over batch x heads), Softmax, score x V, output projection, residual Add,
//     LayerNorm, FFN matmuls with GELU after each but the last, residual Add, LayerNorm;
//   a projection matmul between layers whose hidden sizes differ.
// Throws InputError for run shapes that cannot work (seq > max_positions, seq or batch < 1).
// A decoder's forward pass over `seq` tokens is the prefill of a generation graph with no
// decode steps (generation.h).
OpGraph build_op_graph(const ModelSpec& model, int seq, int batch);
// The same, with every matmul whose operands would not fit the buffers of `buffers` split into
// slices that do (WeightSplit; BufferFit in generation.h). Graphs that fit are unchanged. With
// `buffers.embedding_table` (encoders only, else UsageError) the graph also holds the whole
// embedding table (OpGraph::embedding_table).
OpGraph build_op_graph(const ModelSpec& model, int seq, int batch, const CompileOptions& buffers);

}  // namespace acceltran::workloads
