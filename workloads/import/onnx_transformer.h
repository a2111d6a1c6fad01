// An ONNX graph of a transformer read as our ModelSpec (docs/models.md, "ONNX"). Our op graphs
// are built from a model's shape (graph_builder.h), so the importer does not translate ONNX nodes
// one by one: it recognizes the transformer in the graph and reads its shape from the
// initializers' dims and the nodes around them.
//
// Recognized: a word-embedding Gather of a [vocab, hidden] initializer by the token-id input and a
// learned position table; per layer one attention Softmax between a score MatMul and a context
// MatMul, whose query, key and value trace back (through Reshape, Transpose, Split, bias Add and
// scaling Mul/Div) to weight MatMuls or Gemms; the output projection after the context; two
// feed-forward weight matmuls with a GELU (Gelu, the Erf form, the Tanh approximation) or Relu
// between them; layer norms (LayerNormalization or the ReduceMean/Sub/Pow/Sqrt/Div form), 2 per
// layer plus one; a causal mask constant on the scores makes the model a decoder (GPT-2 style,
// with its LM head). Anything else is an InputError naming the node.
#pragma once

#include <string>
#include <vector>

#include "workloads/import/onnx_graph.h"
#include "workloads/import/onnx_weight_roles.h"
#include "workloads/model_spec.h"

namespace acceltran::workloads {

class OnnxTransformer {
public:
    explicit OnnxTransformer(const OnnxGraph& graph) : g_(graph) {}

    // Our description of the model in the graph. `notes` receives what was left out; `roles`, when
    // given, where each parameter is (the functional mode's weights, onnx_weights.h).
    ModelSpec to_model_spec(std::vector<std::string>& notes, OnnxWeightRoles* roles = nullptr) const;

private:
    // A MatMul or Gemm by a constant [rows, cols] weight (possibly transposed).
    struct WeightMatmul {
        int node = -1;
        std::string weight;
        std::int64_t rows = 0, cols = 0;
        bool transposed = false;  // the weight is stored [cols, rows]
    };
    // Where a query, key or value operand of the attention comes from.
    struct Projection {
        WeightMatmul matmul;
        std::int64_t width = 0;               // columns of the projection this operand takes
        std::vector<double> head_shape;       // the 4-d Reshape target on the way, if constant
        double scale = 1;                     // product of the scalar Mul/Div factors on the way
        std::int64_t offset = 0;              // first column taken (a Split of a fused projection)
        std::string bias;                     // the constant of the bias Add on the way, if any
        bool bias_before_split = false;       // the bias is the fused projection's (sliced as the columns)
        double bias_scale = 1;                // the scalar factors between the bias and the attention
        std::string error;                    // why the parameters cannot be read (the shape still can)
    };
    struct Attention {
        int softmax = -1, scores = -1, context = -1;
        Projection q, k, v;
        WeightMatmul out;
        double scale = 1;                     // scalar factors between scores and Softmax
        bool causal = false;
        std::vector<std::string> masks;       // what masks the scores
    };

    bool weight_matmul(int node, WeightMatmul& found) const;
    Projection trace_projection(std::string tensor, const std::string& what) const;
    Attention attention_at(int softmax, int layer) const;
    bool causal_mask(const std::string& tensor, bool keep_where_true) const;
    std::vector<OnnxNormRole> layer_norms() const;
    OnnxLinearRole linear_role(const WeightMatmul& m) const;
    OnnxLinearRole projection_role(const Projection& p, double extra_scale) const;
    void assign_norms(const std::vector<OnnxNormRole>& norms, bool decoder, OnnxWeightRoles& roles) const;
    std::string activation_between(const WeightMatmul& up, const WeightMatmul& down, int layer,
                                   std::vector<std::string>& notes) const;

    const OnnxGraph& g_;
};

}  // namespace acceltran::workloads
