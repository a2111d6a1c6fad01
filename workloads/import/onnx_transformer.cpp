#include "workloads/import/onnx_transformer.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <filesystem>
#include <set>

#include "core/errors.h"
#include "core/input_file.h"

namespace acceltran::workloads {

namespace {

// A causal mask's blocked entries are -inf or a large negative number (exporters use -1e4,
// -1e9, the float minimum), so that softmax gives them no weight; -1e3 already makes exp()
// underflow against scores of order one.
constexpr double kBlocked = -1e3;
// Bound on the ops between a projection and the attention, so that a malformed cycle ends.
constexpr int kMaxTraceSteps = 64;

// The token-type table among the embedding tables the shape ignores: the first whose name says so.
bool is_token_type_table(const std::string& table, const std::vector<std::string>& ignored_tables) {
    const auto segment = [](const std::string& t) {
        return t.find("token_type") != std::string::npos || t.find("segment") != std::string::npos;
    };
    for (const auto& t : ignored_tables)
        if (segment(t)) return t == table;
    return false;
}

std::string dims_text(const std::vector<std::int64_t>& dims) {
    std::string out = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
    return out + "]";
}

bool is_scalar(const std::optional<std::vector<double>>& values) { return values && values->size() == 1; }

// A dimension read from a constant as a positive integer of sane size, else 0 (symbolic,
// placeholder or nonsense), so that no double reaches an integer conversion out of range.
std::int64_t whole_dim(double v) { return v >= 1 && v < 1e9 && v == std::floor(v) ? std::int64_t(v) : 0; }

}  // namespace

bool OnnxTransformer::weight_matmul(int node, WeightMatmul& found) const {
    const onnx::NodeProto& n = g_.node(node);
    if ((n.op_type() != "MatMul" && n.op_type() != "Gemm") || n.input_size() < 2) return false;
    std::string weight = n.input(1);
    bool transposed = false;
    if (n.op_type() == "Gemm") {
        const auto* ta = g_.attribute(node, "transA");
        if (ta && ta->i() != 0) return false;
        const auto* tb = g_.attribute(node, "transB");
        transposed = tb && tb->i() != 0;
    }
    // A tied LM head multiplies by the transposed word table: MatMul(x, Transpose(table)).
    const int p = g_.producer(weight);
    if (!g_.constant(weight) && p >= 0 && g_.node(p).op_type() == "Transpose") {
        const auto* perm = g_.attribute(p, "perm");
        if (perm && !(perm->ints_size() == 2 && perm->ints(0) == 1 && perm->ints(1) == 0)) return false;
        weight = g_.node(p).input(0);
        transposed = !transposed;
    }
    const auto shape = g_.constant_shape(weight);
    if (!shape || shape->size() != 2 || (*shape)[0] < 1 || (*shape)[1] < 1 || g_.constant(n.input(0))) return false;
    found = {node, weight, (*shape)[transposed ? 1 : 0], (*shape)[transposed ? 0 : 1], transposed};
    return true;
}

// Follows an attention operand back to the weight matmul that produces it.
OnnxTransformer::Projection OnnxTransformer::trace_projection(std::string tensor, const std::string& what) const {
    Projection proj;
    int split_index = -1, split_node = -1;
    for (int step = 0; step < kMaxTraceSteps; ++step) {
        const int p = g_.producer(tensor);
        if (p < 0)
            g_.fail(what + " reaches '" + printable_excerpt(tensor) +
                    "', a graph input or constant, without passing a weight MatMul or Gemm");
        if (weight_matmul(p, proj.matmul)) {
            proj.width = proj.matmul.cols;
            if (split_node >= 0) {
                const onnx::NodeProto& s = g_.node(split_node);
                std::vector<double> sizes;
                if (s.input_size() > 1 && !s.input(1).empty()) {
                    const auto v = g_.constant_values(s.input(1));
                    if (!v) g_.fail(g_.describe(split_node) + ": the split sizes are not constant");
                    sizes = *v;
                } else if (const auto* a = g_.attribute(split_node, "split")) {
                    sizes.assign(a->ints().begin(), a->ints().end());
                } else {
                    sizes.assign(std::size_t(s.output_size()), double(proj.matmul.cols / s.output_size()));
                }
                if (split_index >= int(sizes.size()))
                    g_.fail(g_.describe(split_node) + ": fewer split sizes than outputs");
                proj.width = whole_dim(sizes[std::size_t(split_index)]);
                if (proj.width < 1) g_.fail(g_.describe(split_node) + ": a split size is not a positive integer");
                for (int i = 0; i < split_index; ++i) proj.offset += whole_dim(sizes[std::size_t(i)]);
                // The weights need the columns split: ONNX's default axis is 0.
                const auto* axis = g_.attribute(split_node, "axis");
                if (!axis || axis->i() == 0)
                    proj.error = g_.describe(split_node) + " splits axis 0, not the projection's columns (axis -1)";
                else if (proj.offset + proj.width > proj.matmul.cols)
                    proj.error = g_.describe(split_node) + ": the split sizes exceed the " +
                                 std::to_string(proj.matmul.cols) + " columns of " + g_.describe(proj.matmul.node);
            }
            return proj;
        }
        const onnx::NodeProto& n = g_.node(p);
        const std::string& op = n.op_type();
        if (op == "Reshape") {
            const auto shape = g_.constant_values(n.input(1));
            if (shape && shape->size() == 4 && proj.head_shape.empty()) proj.head_shape = *shape;
            tensor = n.input(0);
        } else if (op == "Transpose" || op == "Identity" || op == "Cast") {
            tensor = n.input(0);
        } else if (op == "Split") {
            if (split_node >= 0) g_.fail(what + " passes two Splits (" + g_.describe(split_node) + ", " + g_.describe(p) + ")");
            split_node = p;
            split_index = int(std::find(n.output().begin(), n.output().end(), tensor) - n.output().begin());
            tensor = n.input(0);
        } else if (op == "Add" && (g_.constant(n.input(0)) || g_.constant(n.input(1)))) {
            const std::string& bias = g_.constant(n.input(1)) ? n.input(1) : n.input(0);
            if (!proj.bias.empty()) proj.error = what + " passes two bias Adds ('" + printable_excerpt(proj.bias) +
                                                 "', '" + printable_excerpt(bias) + "')";
            proj.bias = bias;
            proj.bias_before_split = split_node >= 0;
            proj.bias_scale = proj.scale;
            tensor = g_.constant(n.input(1)) ? n.input(0) : n.input(1);  // the bias
        } else if ((op == "Mul" || op == "Div") && is_scalar(g_.constant_values(n.input(1)))) {
            const double c = g_.constant_values(n.input(1))->front();
            proj.scale *= op == "Mul" ? c : 1 / c;
            tensor = n.input(0);
        } else if (op == "Mul" && is_scalar(g_.constant_values(n.input(0)))) {
            proj.scale *= g_.constant_values(n.input(0))->front();
            tensor = n.input(1);
        } else {
            g_.fail(what + " reaches " + g_.describe(p) +
                    ", which is neither a weight MatMul/Gemm nor a layout op the importer follows (Reshape, "
                    "Transpose, Split, a bias Add, a Mul or Div by a constant scalar)");
        }
    }
    g_.fail(what + ": more than " + std::to_string(kMaxTraceSteps) + " ops before a weight MatMul");
}

// A constant [.., S, S] mask that blocks exactly the positions after each query: where it is
// added, 0 on and below the diagonal and blocked above; as Where's condition, true (keep) on and
// below the diagonal when `keep_where_true`, true (block) above it otherwise.
bool OnnxTransformer::causal_mask(const std::string& tensor, bool keep_where_true) const {
    const auto shape = g_.constant_shape(tensor);
    const auto values = g_.constant_values(tensor);
    if (!shape || !values || shape->size() < 2) return false;
    const std::int64_t rows = (*shape)[shape->size() - 2], cols = shape->back();
    // A mask covers at most the positions a model may have; beyond them rows x cols could
    // overflow and let dims without data pass the size check.
    if (rows != cols || rows < 2 || rows > kMaxPositions || std::int64_t(values->size()) != rows * cols) return false;
    const bool is_where = g_.constant(tensor)->data_type() == onnx::TensorProto_DataType_BOOL;
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c) {
            const double v = (*values)[std::size_t(r * cols + c)];
            const bool blocked = is_where ? ((v != 0) != keep_where_true) : v <= kBlocked;
            const bool open = is_where ? !blocked : v == 0;
            if (c > r ? !blocked : !open) return false;
        }
    return true;
}

OnnxTransformer::Attention OnnxTransformer::attention_at(int softmax, int layer) const {
    Attention a;
    a.softmax = softmax;
    const std::string where = "layer " + std::to_string(layer) + " (attention " + g_.describe(softmax) + ")";
    // Back from the Softmax to the score MatMul, through scaling and masks.
    std::string t = g_.node(softmax).input(0);
    for (int step = 0; a.scores < 0; ++step) {
        const int p = g_.producer(t);
        if (p < 0 || step > kMaxTraceSteps)
            g_.fail(where + ": no MatMul of query and key found before the Softmax");
        const onnx::NodeProto& n = g_.node(p);
        const std::string& op = n.op_type();
        if (op == "MatMul" && !g_.constant(n.input(0)) && !g_.constant(n.input(1))) {
            a.scores = p;
        } else if ((op == "Mul" || op == "Div") && is_scalar(g_.constant_values(n.input(1)))) {
            const double c = g_.constant_values(n.input(1))->front();
            a.scale *= op == "Mul" ? c : 1 / c;
            t = n.input(0);
        } else if (op == "Add") {
            const bool second_const = g_.constant(n.input(1)) != nullptr;
            const std::string mask = second_const || !g_.constant(n.input(0)) ? n.input(1) : n.input(0);
            if (causal_mask(mask, true)) a.causal = true;
            else a.masks.push_back(g_.constant(mask) ? "a constant mask that is not causal"
                                                     : "the mask '" + printable_excerpt(mask) + "' computed from the inputs");
            t = mask == n.input(1) ? n.input(0) : n.input(1);
        } else if (op == "Where" && n.input_size() == 3) {
            const bool scores_kept = !g_.constant(n.input(1));
            if (causal_mask(n.input(0), scores_kept)) a.causal = true;
            else a.masks.push_back("the condition of " + g_.describe(p));
            t = scores_kept ? n.input(1) : n.input(2);
        } else if (op == "Identity" || op == "Cast") {
            t = n.input(0);
        } else {
            g_.fail(where + ": " + g_.describe(p) + " stands between the Softmax and the score MatMul; expected a "
                    "scaling Mul/Div by a constant, a mask Add or Where");
        }
    }
    // Forward from the Softmax to the context MatMul (probabilities x values).
    t = g_.node(softmax).output(0);
    for (int step = 0; a.context < 0; ++step) {
        const auto& users = g_.consumers(t);
        if (users.size() != 1 || step > kMaxTraceSteps)
            g_.fail(where + ": expected the probabilities to feed one MatMul with the values, found " +
                    std::to_string(users.size()) + " consumers of '" + printable_excerpt(t) + "'");
        const onnx::NodeProto& n = g_.node(users[0]);
        if (n.op_type() == "MatMul" && n.input(0) == t) a.context = users[0];
        else if (n.op_type() == "Identity" || n.op_type() == "Cast") t = n.output(0);
        else g_.fail(where + ": the probabilities go to " + g_.describe(users[0]) + ", expected a MatMul with the values");
    }
    a.q = trace_projection(g_.node(a.scores).input(0), where + ": the query path");
    a.k = trace_projection(g_.node(a.scores).input(1), where + ": the key path");
    a.v = trace_projection(g_.node(a.context).input(1), where + ": the value path");
    // Forward from the context to the output projection, through the heads' merge.
    t = g_.node(a.context).output(0);
    for (int step = 0; a.out.node < 0; ++step) {
        const auto& users = g_.consumers(t);
        if (users.size() != 1 || step > kMaxTraceSteps)
            g_.fail(where + ": expected the context to feed the output projection, found " +
                    std::to_string(users.size()) + " consumers of '" + printable_excerpt(t) + "'");
        const std::string& op = g_.node(users[0]).op_type();
        if (weight_matmul(users[0], a.out)) break;
        if (op != "Transpose" && op != "Reshape" && op != "Identity" && op != "Cast")
            g_.fail(where + ": the context goes to " + g_.describe(users[0]) +
                    ", expected Transpose/Reshape and the output projection's weight MatMul");
        t = g_.node(users[0]).output(0);
    }
    return a;
}

// LayerNormalization nodes, and the decomposed form: a ReduceMean whose output is subtracted
// from its own input (the variance's ReduceMean of the centred square belongs to the same norm).
// In node order, with where their parameters are: the decomposed form's epsilon is the constant
// added to the variance before the Sqrt, its gain the constant the normalized Div is multiplied
// by and its offset the constant added to that.
std::vector<OnnxNormRole> OnnxTransformer::layer_norms() const {
    std::vector<OnnxNormRole> norms;
    // The one consumer of `tensor` that is `op` with a constant other operand: that constant's name.
    const auto constant_operand = [&](const std::string& tensor, const std::string& op, int* user_out) -> std::string {
        const auto& users = g_.consumers(tensor);
        if (users.size() != 1) return "";
        const onnx::NodeProto& u = g_.node(users[0]);
        if (u.op_type() != op) return "";
        const std::string& other = u.input(0) == tensor ? u.input(1) : u.input(0);
        if (!g_.constant(other)) return "";
        *user_out = users[0];
        return other;
    };
    for (int i = 0; i < g_.node_count(); ++i) {
        const onnx::NodeProto& n = g_.node(i);
        if (n.op_type() == "LayerNormalization") {
            OnnxNormRole norm;
            norm.node = i;
            norm.gamma = n.input(1);
            if (n.input_size() > 2) norm.beta = n.input(2);
            if (const auto* eps = g_.attribute(i, "epsilon")) {
                norm.epsilon = eps->f();
                norm.epsilon_from = "the epsilon attribute of " + g_.describe(i);
            }
            norms.push_back(norm);
        }
        if (n.op_type() != "ReduceMean") continue;
        int centring = -1;
        for (int user : g_.consumers(n.output(0))) {
            const onnx::NodeProto& u = g_.node(user);
            if (u.op_type() == "Sub" && u.input(0) == n.input(0) && u.input(1) == n.output(0)) centring = user;
        }
        const int pow = g_.producer(n.input(0));
        const bool variance = pow >= 0 && g_.node(pow).op_type() == "Pow" && g_.producer(g_.node(pow).input(0)) >= 0 &&
                              g_.node(g_.producer(g_.node(pow).input(0))).op_type() == "Sub";
        if (centring < 0) {
            if (!variance)
                g_.fail(g_.describe(i) + " is neither a layer norm's mean (subtracted from its input) nor its variance "
                        "(of the centred input squared); RMSNorm and other reductions are not recognized");
            continue;
        }
        OnnxNormRole norm;
        norm.node = i;
        norm.error = "the layer norm at " + g_.describe(i) + " has no Div(centred input, Sqrt(variance + epsilon)) "
                     "whose epsilon is a constant scalar";
        const std::string& centred = g_.node(centring).output(0);
        int divide = -1;
        for (int user : g_.consumers(centred))
            if (g_.node(user).op_type() == "Div" && g_.node(user).input(0) == centred) divide = user;
        if (divide >= 0) {
            // Div(centred, Sqrt(Add(variance, epsilon))).
            const int sqrt = g_.producer(g_.node(divide).input(1));
            const int add = sqrt >= 0 && g_.node(sqrt).op_type() == "Sqrt" ? g_.producer(g_.node(sqrt).input(0)) : -1;
            if (add >= 0 && g_.node(add).op_type() == "Add") {
                for (const auto& in : g_.node(add).input()) {
                    const auto v = g_.constant_values(in);
                    if (!is_scalar(v)) continue;
                    norm.epsilon = v->front();
                    norm.epsilon_from = "'" + printable_excerpt(in) + "' added by " + g_.describe(add);
                    norm.error.clear();
                }
            }
            int mul = -1, offset = -1;
            norm.gamma = constant_operand(g_.node(divide).output(0), "Mul", &mul);
            const std::string scaled = mul >= 0 ? g_.node(mul).output(0) : g_.node(divide).output(0);
            norm.beta = constant_operand(scaled, "Add", &offset);
        }
        norms.push_back(norm);
    }
    return norms;
}

// A weight matmul's parameters: its weight, and a bias in Gemm's C or in the one Add the product
// goes to (through Reshape, Identity or Cast) with a constant other operand.
OnnxLinearRole OnnxTransformer::linear_role(const WeightMatmul& m) const {
    OnnxLinearRole role;
    role.node = m.node;
    role.weight = m.weight;
    role.transposed = m.transposed;
    role.rows = m.rows;
    role.full_cols = role.cols = m.cols;
    const onnx::NodeProto& n = g_.node(m.node);
    if (n.op_type() == "Gemm") {
        if (const auto* alpha = g_.attribute(m.node, "alpha")) role.weight_scale = alpha->f();
        if (n.input_size() > 2 && !n.input(2).empty()) {
            role.bias = n.input(2);
            if (const auto* beta = g_.attribute(m.node, "beta")) role.bias_scale = beta->f();
            return role;
        }
    }
    std::string t = n.output(0);
    for (int step = 0; step < kMaxTraceSteps; ++step) {
        const auto& users = g_.consumers(t);
        if (users.size() != 1) break;
        const onnx::NodeProto& u = g_.node(users[0]);
        if (u.op_type() == "Add") {
            const std::string& other = u.input(0) == t ? u.input(1) : u.input(0);
            if (g_.constant(other)) role.bias = other;
            break;
        }
        if (u.op_type() != "Reshape" && u.op_type() != "Identity" && u.op_type() != "Cast") break;
        t = u.output(0);
    }
    return role;
}

// A query, key or value projection's parameters; `extra_scale` multiplies both its weight and
// its bias (the attention's scaling folded into the query).
OnnxLinearRole OnnxTransformer::projection_role(const Projection& p, double extra_scale) const {
    OnnxLinearRole role = linear_role(p.matmul);
    // Gemm's C is the whole product's bias; a bias Add on the path replaces the forward search.
    const bool gemm_bias = g_.node(p.matmul.node).op_type() == "Gemm" && !role.bias.empty();
    if (!gemm_bias) {
        role.bias = p.bias;
        role.bias_scale = 1;
    } else if (!p.bias.empty()) {
        role.error = "two biases (" + printable_excerpt(role.bias) + " of " + g_.describe(p.matmul.node) + " and '" +
                     printable_excerpt(p.bias) + "')";
    }
    const bool fused_bias = gemm_bias || p.bias_before_split;
    role.col_offset = p.offset;
    role.cols = p.width;
    role.bias_fused = fused_bias;
    // A factor within float32 rounding of 1 (a constant sqrt(width) stored as float, divided out
    // in double: |x - 1| < 2^-23) is the exact 1 the exporter meant.
    const auto snapped = [](double x) { return std::abs(x - 1) < 1e-6 ? 1.0 : x; };
    role.weight_scale = snapped(role.weight_scale * p.scale * extra_scale);
    role.bias_scale = snapped(role.bias_scale * (p.bias.empty() ? p.scale : p.bias_scale) * extra_scale);
    if (!p.error.empty()) role.error = p.error;
    return role;
}

// The norms in node order onto their places: an encoder (post-norm, BERT) has one after the
// embedding and, per layer, one after the attention's residual and one after the feed-forward's;
// a decoder (pre-norm, GPT-2) one before each layer's attention and feed-forward and a final one.
void OnnxTransformer::assign_norms(const std::vector<OnnxNormRole>& norms, bool decoder, OnnxWeightRoles& roles) const {
    const int L = int(roles.layers.size());
    const auto first = [&](int l) {
        const OnnxLayerRoles& r = roles.layers[std::size_t(l)];
        return std::min({r.q.node, r.k.node, r.v.node});
    };
    std::size_t next = 0;
    // The next norm, checked to sit after node `after` and before node `before`.
    const auto take = [&](int after, int before, const std::string& place, OnnxNormRole& into) {
        if (!roles.error.empty()) return;
        const OnnxNormRole& n = norms[next++];
        if (n.node > after && n.node < before) {
            into = n;
            return;
        }
        roles.error = "the layer norm " + g_.describe(n.node) + " is not " + place + " (the " +
                                  (decoder ? "pre-norm GPT-2" : "post-norm BERT") + " layout the functional mode runs)";
    };
    if (!decoder) take(-1, first(0), "after the embedding and before layer 0's projections", roles.embedding_norm);
    for (int l = 0; l < L; ++l) {
        OnnxLayerRoles& r = roles.layers[std::size_t(l)];
        const std::string layer = "layer " + std::to_string(l) + "'s";
        const int next_layer = l + 1 < L ? first(l + 1) : INT_MAX;
        if (decoder) {
            take(l ? roles.layers[std::size_t(l) - 1].ffn_down.node : -1, first(l),
                 "before " + layer + " projections", r.attention_norm);
            take(r.out.node, r.ffn_up.node, "between " + layer + " output projection and feed-forward", r.ffn_norm);
        } else {
            take(r.out.node, r.ffn_up.node, "between " + layer + " output projection and feed-forward", r.attention_norm);
            take(r.ffn_down.node, next_layer, "after " + layer + " feed-forward", r.ffn_norm);
        }
    }
    if (decoder) take(roles.layers.back().ffn_down.node, INT_MAX, "after the last feed-forward", roles.final_norm);
}

std::string OnnxTransformer::activation_between(const WeightMatmul& up, const WeightMatmul& down, int layer,
                                                std::vector<std::string>& notes) const {
    std::set<std::string> ops;
    std::vector<std::string> frontier{g_.node(up.node).output(0)};
    std::set<int> seen;
    while (!frontier.empty()) {
        const std::string t = frontier.back();
        frontier.pop_back();
        for (int user : g_.consumers(t)) {
            if (user >= down.node || !seen.insert(user).second) continue;
            ops.insert(g_.node(user).op_type());
            for (const auto& out : g_.node(user).output()) frontier.push_back(out);
        }
    }
    const std::string ffn = "layer " + std::to_string(layer) + "'s feed-forward (" + g_.describe(up.node) + " to " +
                            g_.describe(down.node) + ")";
    if (ops.count("Relu")) return "relu";
    if (ops.count("Gelu") || ops.count("Erf")) return "gelu";
    if (ops.count("Tanh")) {
        if (layer == 0) notes.push_back(g_.file() + ": the tanh approximation of GELU is simulated as GELU (the same lane operation)");
        return "gelu";
    }
    g_.fail(ffn + " has no activation the importer recognizes between its matmuls (Gelu, Erf, Tanh or Relu)");
}

ModelSpec OnnxTransformer::to_model_spec(std::vector<std::string>& notes, OnnxWeightRoles* roles) const {
    const std::string& file = g_.file();
    // The word embedding: a Gather from a [vocab, hidden] table by the token ids, a graph input.
    int word = -1;
    std::vector<int> tables;
    for (int i = 0; i < g_.node_count(); ++i) {
        const onnx::NodeProto& n = g_.node(i);
        const auto shape = n.op_type() == "Gather" ? g_.constant_shape(n.input(0)) : std::nullopt;
        if (!shape || shape->size() != 2) continue;
        const bool ids = g_.is_graph_input(n.input(1));
        if (ids && (word < 0 || n.input(1) == "input_ids")) word = i;
        tables.push_back(i);
    }
    if (word < 0)
        g_.fail("no word embedding found: expected a Gather from a [vocab, hidden] initializer by a graph input of "
                "token ids");
    auto bounded = [&](std::int64_t v, std::int64_t hi, const std::string& what) {
        if (v < 1 || v > hi)
            g_.fail(what + " is " + std::to_string(v) + ", expected 1 to " + std::to_string(hi));
        return int(v);
    };
    const auto word_shape = *g_.constant_shape(g_.node(word).input(0));
    const std::string word_table = g_.node(word).input(0);
    const std::int64_t vocab = bounded(word_shape[0], kMaxVocab, "the vocabulary (word table '" + printable_excerpt(word_table) + "')");
    const std::int64_t hidden = bounded(word_shape[1], kMaxHidden, "the hidden width (word table '" + printable_excerpt(word_table) + "')");
    // Other tables of the same width: the position table (the most rows, or named so) and the
    // token-type table BERT adds (segment 0 for every token in our graphs).
    int position = -1;
    std::vector<std::string> ignored_tables;
    for (int i : tables) {
        const std::string& name = g_.node(i).input(0);
        const auto shape = *g_.constant_shape(name);
        if (i == word || shape[1] != hidden) continue;
        const bool segment = name.find("token_type") != std::string::npos || name.find("segment") != std::string::npos;
        if (segment) {
            ignored_tables.push_back(name);
        } else if (position < 0 || shape[0] > (*g_.constant_shape(g_.node(position).input(0)))[0]) {
            if (position >= 0) ignored_tables.push_back(g_.node(position).input(0));
            position = i;
        } else {
            ignored_tables.push_back(name);
        }
    }
    if (position < 0)
        g_.fail("no learned position table found (a Gather from a [positions, " + std::to_string(hidden) +
                "] initializer); the importer recognizes learned positions only");
    const std::int64_t positions = (*g_.constant_shape(g_.node(position).input(0)))[0];

    std::vector<Attention> layers;
    std::vector<std::string> ignored;
    for (int i = 0; i < g_.node_count(); ++i) {
        if (g_.node(i).op_type() != "Softmax") continue;
        if (g_.consumers(g_.node(i).output(0)).empty()) {
            ignored.push_back(g_.describe(i) + " (a Softmax on the output)");
            continue;
        }
        if (layers.size() == std::size_t(kMaxLayers))
            g_.fail("more than " + std::to_string(kMaxLayers) + " attention layers (the limit every model reader applies)");
        layers.push_back(attention_at(i, int(layers.size())));
    }
    if (layers.empty()) g_.fail("no attention found: expected one Softmax between a score MatMul and a context MatMul per layer");
    const int L = int(layers.size());
    const bool decoder = layers.front().causal;
    for (int l = 0; l < L; ++l)
        if (layers[std::size_t(l)].causal != decoder)
            g_.fail("layer " + std::to_string(l) + " (" + g_.describe(layers[std::size_t(l)].softmax) + ") is " +
                    (decoder ? "not causal" : "causal") + " but layer 0 is " + (decoder ? "causal" : "not causal"));

    // Every weight matmul has one role: a layer's projections, its feed-forward, or a head.
    std::vector<WeightMatmul> matmuls;
    for (int i = 0; i < g_.node_count(); ++i) {
        WeightMatmul m;
        if (weight_matmul(i, m)) matmuls.push_back(m);
    }
    auto first_projection = [&](const Attention& a) { return std::min({a.q.matmul.node, a.k.matmul.node, a.v.matmul.node}); };
    ModelSpec spec;
    spec.name = std::filesystem::path(file).stem().string();
    spec.source = file;
    spec.family = decoder ? "gpt2" : "bert";
    spec.architecture = decoder ? "decoder" : "encoder";
    spec.norm = "layernorm";
    spec.position = "learned";
    std::string activation;
    std::int64_t total_heads = 0;
    bool lm_head = false, tied = false;
    for (const WeightMatmul& m : matmuls)
        if (m.node < first_projection(layers.front()))
            g_.fail(g_.describe(m.node) + " multiplies by a weight before layer 0's attention (an embedding "
                    "projection?), which the simulated graphs do not have");
    for (int l = 0; l < L; ++l) {
        const Attention& a = layers[std::size_t(l)];
        const std::string where = "layer " + std::to_string(l) + " (attention " + g_.describe(a.softmax) + ")";
        for (const Projection* p : {&a.q, &a.k, &a.v})
            if (p->matmul.rows != hidden)
                g_.fail(where + ": " + g_.describe(p->matmul.node) + " takes " + std::to_string(p->matmul.rows) +
                        " inputs, but the word embedding is " + std::to_string(hidden) + " wide");
        // The heads' total width becomes int fields of the layer (and its K/V part, checked
        // below to divide it); a dim of 2^32 + 64 would otherwise read as 64.
        for (const Projection* p : {&a.q, &a.k, &a.v})
            if (p->width > kMaxHidden)
                g_.fail(where + ": " + g_.describe(p->matmul.node) + " gives " + std::to_string(p->width) +
                        " columns to the attention, expected 1 to " + std::to_string(kMaxHidden) +
                        " (the limit every model reader applies to a width)");
        // Heads: the Reshape into [batch, seq, heads, width], else the 1/sqrt(width) scaling.
        std::int64_t heads = 0;
        const auto& shape = a.q.head_shape;
        if (!shape.empty() && whole_dim(shape[2]) > 0) {
            heads = whole_dim(shape[2]);
        } else if (!shape.empty() && whole_dim(shape[3]) > 0 && a.q.width % whole_dim(shape[3]) == 0) {
            heads = a.q.width / whole_dim(shape[3]);
        } else {
            const double scale = a.scale * a.q.scale * a.k.scale, width = 1 / (scale * scale);
            const std::int64_t w = whole_dim(std::round(width));
            if (w > 0 && std::abs(width - double(w)) < 1e-3 * width && a.q.width % w == 0) heads = a.q.width / w;
        }
        if (heads <= 0 || a.q.width % heads != 0)
            g_.fail(where + ": cannot tell the number of heads: the query's Reshape to [batch, seq, heads, width] "
                    "has no constant heads or width, nor is the scores' scaling 1/sqrt(width)");
        const std::int64_t width = a.q.width / heads;
        total_heads += heads;
        if (total_heads > kMaxTotalHeads)
            g_.fail(where + ": more than " + std::to_string(kMaxTotalHeads) + " attention heads over all layers");
        if (a.k.width != a.v.width || a.k.width % width != 0 || heads % (a.k.width / width) != 0)
            g_.fail(where + ": key and value projections of " + std::to_string(a.k.width) + " and " +
                    std::to_string(a.v.width) + " columns do not make whole key/value heads of width " +
                    std::to_string(width) + " for " + std::to_string(heads) + " query heads");
        if (!decoder && a.k.width != a.q.width)
            g_.fail(where + ": grouped-query attention (key and value projections of " + std::to_string(a.k.width) +
                    " columns for a query of " + std::to_string(a.q.width) + ") needs a decoder (the encoder graph is "
                    "BERT's)");
        if (a.out.rows != a.q.width || a.out.cols != hidden)
            g_.fail(where + ": the output projection " + g_.describe(a.out.node) + " is " + std::to_string(a.out.rows) +
                    " x " + std::to_string(a.out.cols) + ", expected " + std::to_string(a.q.width) + " x " +
                    std::to_string(hidden));
        // The feed-forward: the weight matmuls after the output projection, before the next
        // layer's projections; after the last layer, the first two (the rest are heads).
        const int end = l + 1 < L ? first_projection(layers[std::size_t(l) + 1]) : INT_MAX;
        std::vector<WeightMatmul> ffn;
        for (const WeightMatmul& m : matmuls)
            if (m.node > a.out.node && m.node < end) ffn.push_back(m);
        if (l + 1 == L) {
            for (std::size_t i = 2; i < ffn.size(); ++i) {
                const WeightMatmul& m = ffn[i];
                if (decoder && !lm_head && m.rows == hidden && m.cols == vocab) {
                    lm_head = true;
                    tied = m.weight == word_table;
                } else {
                    ignored.push_back(g_.describe(m.node) + " (" + std::to_string(m.rows) + " x " +
                                      std::to_string(m.cols) + ", a head after the last layer)");
                }
            }
            if (ffn.size() > 2) ffn.resize(2);
        }
        if (ffn.size() != 2)
            g_.fail(where + ": expected 2 feed-forward weight matmuls between the output projection " +
                    g_.describe(a.out.node) + " and " + (l + 1 < L ? "the next layer's projections" : "the end") +
                    ", found " + std::to_string(ffn.size()) + " (a gated feed-forward is not recognized)");
        if (ffn[0].rows != hidden || ffn[1].cols != hidden || ffn[0].cols != ffn[1].rows)
            g_.fail(where + ": the feed-forward matmuls " + g_.describe(ffn[0].node) + " and " + g_.describe(ffn[1].node) +
                    " are " + dims_text({ffn[0].rows, ffn[0].cols}) + " and " + dims_text({ffn[1].rows, ffn[1].cols}) +
                    ", expected [" + std::to_string(hidden) + ", ffn] and [ffn, " + std::to_string(hidden) + "]" +
                    (ffn[1].rows == hidden && ffn[1].cols == ffn[0].cols
                         ? " (two [" + std::to_string(hidden) + ", ffn] matmuls: a gated feed-forward is not recognized)"
                         : ""));
        const std::string act = activation_between(ffn[0], ffn[1], l, notes);
        if (!activation.empty() && act != activation)
            g_.fail(where + ": the feed-forward activation is " + act + " but layer 0's is " + activation);
        activation = act;

        LayerSpec layer;
        layer.hidden = int(hidden);
        layer.heads.assign(std::size_t(heads), AttentionHeadSpec{"sa_sdp", int(width)});
        layer.kv_heads = int(a.k.width / width);
        layer.ffn = {bounded(ffn[0].cols, kMaxFfn, where + ": the feed-forward width")};
        spec.layers.push_back(layer);
        if (roles) {
            // The graph's scaling of the scores, a.scale x q.scale x k.scale, is 1/sqrt(width) in our
            // graphs: what differs is folded into the query's weight and bias (an exact rewrite).
            const double fold = a.scale * std::sqrt(double(width));
            OnnxLayerRoles r;
            r.q = projection_role(a.q, fold);
            r.k = projection_role(a.k, 1);
            r.v = projection_role(a.v, 1);
            r.out = linear_role(a.out);
            r.ffn_up = linear_role(ffn[0]);
            r.ffn_down = linear_role(ffn[1]);
            roles->layers.push_back(r);
        }
        for (const std::string& m : a.masks)
            if (l == 0) notes.push_back(file + ": " + m + " on layer 0's scores is not modelled (every token is real)");
    }
    const std::vector<OnnxNormRole> norm_roles = layer_norms();
    const int norms = int(norm_roles.size());
    if (norms != 2 * L + 1)
        g_.fail("found " + std::to_string(norms) + " layer norms for " + std::to_string(L) + " layers; the simulated " +
                (decoder ? "decoder has two per layer and a final one" : "encoder has one after the embedding and two per layer") +
                " (" + std::to_string(2 * L + 1) + ")");
    if (decoder && !lm_head)
        notes.push_back(file + ": no LM head (a " + std::to_string(hidden) + " x " + std::to_string(vocab) +
                        " weight matmul after the last layer) found; the simulated decoder has one, tied to the word table");
    spec.tie_embeddings = !decoder || !lm_head || tied;
    spec.activation = activation;
    spec.vocab_size = int(vocab);
    spec.max_positions = bounded(positions, kMaxPositions, "the position table's rows");

    const auto& ids = g_.node(word).input(1);
    for (const auto& input : g_.graph().input()) {
        if (input.name() != ids) continue;
        std::string shape;
        bool fixed = false;
        for (const auto& d : input.type().tensor_type().shape().dim()) {
            fixed |= d.has_dim_value();
            shape += (shape.empty() ? "" : ", ") +
                     (d.has_dim_value() ? std::to_string(d.dim_value()) : printable_excerpt(d.dim_param()));
        }
        if (fixed)
            notes.push_back(file + ": the input '" + printable_excerpt(ids) + "' has the shape [" + shape +
                            "]; the batch and sequence length simulated are --batch and --seq (or the generation "
                            "lengths), whatever the graph fixes");
    }
    for (const auto& t : ignored_tables) {
        const bool added = !decoder && is_token_type_table(t, ignored_tables);
        notes.push_back(file + ": the embedding table '" + printable_excerpt(t) +
                        "' is not modelled (token type 0 for every token, as in our BERT graphs" +
                        (added ? "; a --functional run adds its row 0 to the position rows)" : ")"));
    }
    for (const auto& i : ignored) notes.push_back(file + ": ignored: " + i);
    notes.push_back(file + ": biases, layer-norm gains, offsets and epsilons cost no op in the simulated graph" +
                    (decoder ? std::string(" (the functional mode, which would read them, runs encoders only)")
                             : std::string("; --functional runs read them and every weight from the initializers "
                                           "unless --weights is given")));
    if (roles) {
        roles->word_table = word_table;
        roles->position_table = g_.node(position).input(0);
        for (const auto& t : ignored_tables) {
            if (is_token_type_table(t, ignored_tables)) roles->token_type_table = t;
            else if (roles->error.empty())
                roles->error = "the embedding table '" + printable_excerpt(t) + "' is neither the word, the position " +
                               "nor the (first) token-type table, and the functional mode has no place for it";
        }
        assign_norms(norm_roles, decoder, *roles);
    }
    return spec;
}

}  // namespace acceltran::workloads
