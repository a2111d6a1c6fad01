#include "workloads/op_graph.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <utility>

#include "modules/common/errors.h"

namespace acceltran::workloads {

const char* to_string(OpKind kind) {
    switch (kind) {
        case OpKind::MatMul: return "matmul";
        case OpKind::Softmax: return "softmax";
        case OpKind::LayerNorm: return "layernorm";
        case OpKind::Gelu: return "gelu";
        case OpKind::Add: return "add";
    }
    return "?";
}

const char* to_string(OpCategory category) {
    switch (category) {
        case OpCategory::MhaProjection: return "mha_projection";
        case OpCategory::MhaActToAct: return "mha_act_to_act";
        case OpCategory::FfnProjection: return "ffn_projection";
        case OpCategory::Other: return "other";
    }
    return "?";
}

const char* to_string(TensorKind kind) {
    switch (kind) {
        case TensorKind::Weight: return "weight";
        case TensorKind::Input: return "input";
        case TensorKind::Activation: return "activation";
    }
    return "?";
}

namespace {

// Heads of one width, run as one batched attention (their Q, K, V columns are contiguous).
struct HeadGroup {
    int width = 0;
    int heads = 0;
};

std::vector<HeadGroup> group_heads(const LayerSpec& layer) {
    std::vector<HeadGroup> groups;
    for (const auto& head : layer.heads) {
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const HeadGroup& g) { return g.width == head.width; });
        if (it == groups.end())
            groups.push_back({head.width, 1});
        else
            ++it->heads;
    }
    return groups;
}

// A ModelSpec can be built in code as well as loaded, so the graph checks what it relies on.
void check_model(const ModelSpec& model) {
    const std::string who = "model '" + model.name + "'";
    if (model.layers.empty()) throw InputError(who + ": has no layers");
    if (model.activation != "gelu" && model.activation != "relu")
        throw InputError(who + ": activation '" + model.activation + "' is not gelu or relu");
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const LayerSpec& layer = model.layers[l];
        const std::string where = who + ": layer " + std::to_string(l);
        if (layer.hidden < 1) throw InputError(where + ": hidden must be positive");
        if (layer.heads.empty()) throw InputError(where + ": has no attention heads");
        for (const auto& head : layer.heads) {
            if (head.type != "sa_sdp")
                throw InputError(where + ": head type '" + head.type +
                                 "' is not simulated (only sa_sdp)");
            if (head.width < 1) throw InputError(where + ": head width must be positive");
        }
        if (layer.ffn.empty()) throw InputError(where + ": has no feed-forward widths");
        for (int f : layer.ffn)
            if (f < 1) throw InputError(where + ": feed-forward widths must be positive");
    }
}

class GraphBuilder {
public:
    explicit GraphBuilder(OpGraph& g) : g_(g) {}

    int tensor(const std::string& name, TensorKind kind, int layer, std::int64_t batch,
               std::int64_t rows, std::int64_t cols) {
        check_size(name, {batch, rows, cols});
        Tensor t;
        t.id = static_cast<int>(g_.tensors.size());
        t.name = name;
        t.kind = kind;
        t.layer = layer;
        t.batch = batch;
        t.rows = rows;
        t.cols = cols;
        g_.tensors.push_back(t);
        return t.id;
    }

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
              std::vector<std::int64_t> out_shape) {
        check_size(name, {batch, m, n, std::max<std::int64_t>(k, 1)});
        Op o;
        o.id = static_cast<int>(g_.ops.size());
        o.name = name;
        o.kind = kind;
        o.category = category;
        o.layer = layer;
        o.batch = batch;
        o.m = m;
        o.n = n;
        o.k = k;
        o.a_inputs = std::move(a_inputs);
        o.b_input = b_input;
        o.b_batched = b_batched;
        o.b_transposed = b_transposed;
        o.output = tensor(name, TensorKind::Activation, layer, out_shape[0], out_shape[1],
                          out_shape[2]);
        g_.ops.push_back(std::move(o));
        return g_.ops.back().output;
    }

    void link() {
        g_.producer.assign(g_.tensors.size(), -1);
        g_.consumers.assign(g_.tensors.size(), {});
        for (const Op& o : g_.ops) {
            g_.producer[o.output] = o.id;
            std::vector<int> inputs = o.a_inputs;
            if (o.b_input >= 0) inputs.push_back(o.b_input);
            for (int t : inputs) {
                auto& c = g_.consumers[t];
                if (c.empty() || c.back() != o.id) c.push_back(o.id);
            }
        }
    }

private:
    // Element and MAC counts are int64 products; refuse shapes whose product would overflow
    // rather than report nonsense.
    static void check_size(const std::string& name, std::initializer_list<std::int64_t> dims) {
        long double product = 1;
        for (std::int64_t d : dims) product *= static_cast<long double>(d);
        if (product > static_cast<long double>(std::numeric_limits<std::int64_t>::max()))
            throw InputError(name + ": tensor or op too large to count (more than 2^63 elements "
                                    "or MACs); reduce seq or batch");
    }

    OpGraph& g_;
};

}  // namespace

// Biases, attention scaling (1/sqrt(width), folded into the softmax), the attention mask and
// the token-type embedding are not modelled: each is at most one element-wise op per tensor and
// none changes the matmul shapes.
OpGraph build_op_graph(const ModelSpec& model, int seq, int batch) {
    check_model(model);
    if (seq < 1 || seq > model.max_positions)
        throw InputError("seq " + std::to_string(seq) + " is outside 1.." +
                         std::to_string(model.max_positions) + " (model '" + model.name +
                         "' has max_positions " + std::to_string(model.max_positions) + ")");
    if (batch < 1) throw InputError("batch " + std::to_string(batch) + " must be at least 1");

    OpGraph g;
    g.model = model;
    g.seq = seq;
    g.batch = batch;
    GraphBuilder b(g);
    const std::int64_t B = batch, S = seq;
    const auto W = TensorKind::Weight;
    const auto Other = OpCategory::Other;

    // Embedding: only the rows the tokens select are fetched, never the whole table.
    const std::int64_t h0 = model.layers.front().hidden;
    int word = b.tensor("emb.word_rows", TensorKind::Input, -1, B, S, h0);
    int pos = b.tensor("emb.pos_rows", W, -1, 1, S, h0);
    int x = b.op("emb.sum", OpKind::Add, Other, -1, B, S, h0, 0, {word, pos});
    x = b.op("emb.ln", OpKind::LayerNorm, Other, -1, B, S, h0, 0, {x});
    std::int64_t width = h0;

    for (std::size_t li = 0; li < model.layers.size(); ++li) {
        const LayerSpec& layer = model.layers[li];
        const int l = static_cast<int>(li);
        const std::string p = "l" + std::to_string(l) + ".";
        const std::int64_t h = layer.hidden;

        if (h != width) {
            int w = b.tensor(p + "proj.w", W, l, 1, width, h);
            x = b.op(p + "proj", OpKind::MatMul, OpCategory::FfnProjection,
                     l, B, S, h, width, {x}, w);
        }

        // Attention, one batched pass per head width.
        const std::vector<HeadGroup> groups = group_heads(layer);
        std::vector<int> contexts;
        std::int64_t total_width = 0;
        for (std::size_t gi = 0; gi < groups.size(); ++gi) {
            const std::int64_t hw = groups[gi].width, nh = groups[gi].heads, gw = hw * nh;
            const std::string a =
                p + "attn." + (groups.size() > 1 ? "g" + std::to_string(gi) + "." : "");
            const auto proj = OpCategory::MhaProjection;
            int wq = b.tensor(a + "wq", W, l, 1, h, gw);
            int wk = b.tensor(a + "wk", W, l, 1, h, gw);
            int wv = b.tensor(a + "wv", W, l, 1, h, gw);
            int q = b.op(a + "q", OpKind::MatMul, proj, l, B, S, gw, h, {x}, wq);
            int k = b.op(a + "k", OpKind::MatMul, proj, l, B, S, gw, h, {x}, wk);
            int v = b.op(a + "v", OpKind::MatMul, proj, l, B, S, gw, h, {x}, wv);
            const auto act = OpCategory::MhaActToAct;
            int scores = b.op(a + "scores", OpKind::MatMul, act, l, B * nh, S, S, hw, {q}, k,
                              true, true);
            int probs = b.op(a + "probs", OpKind::Softmax, Other, l, B * nh, S, S, 0, {scores});
            contexts.push_back(b.op_as(a + "context", OpKind::MatMul, act, l, B * nh, S, hw, S,
                                       {probs}, v, true, false, {B, S, gw}));
            total_width += gw;
        }
        int wo = b.tensor(p + "attn.wo", W, l, 1, total_width, h);
        int out = b.op(p + "attn.out", OpKind::MatMul, OpCategory::MhaProjection, l, B, S, h,
                       total_width, contexts, wo);
        int res = b.op(p + "attn.residual", OpKind::Add, Other, l, B, S, h, 0, {out, x});
        int ln = b.op(p + "attn.ln", OpKind::LayerNorm, Other, l, B, S, h, 0, {res});

        // Feed-forward h -> f1 -> ... -> fn -> h with the activation after every matmul but the
        // last, as in BERT. The original simulator also applied one after the last matmul.
        int y = ln;
        std::int64_t in = h;
        const auto ffn = OpCategory::FfnProjection;
        const OpKind act_kind = OpKind::Gelu;  // GELU and ReLU run on the same unit
        for (std::size_t i = 0; i <= layer.ffn.size(); ++i) {
            const bool last = i == layer.ffn.size();
            const std::int64_t outw = last ? h : layer.ffn[i];
            const std::string n = std::to_string(i + 1);
            int w = b.tensor(p + "ffn.w" + n, W, l, 1, in, outw);
            y = b.op(p + "ffn." + (last ? std::string("out") : "h" + n), OpKind::MatMul, ffn, l, B,
                     S, outw, in, {y}, w);
            if (!last)
                y = b.op(p + "ffn." + model.activation + n, act_kind, Other, l, B, S, outw, 0, {y});
            in = outw;
        }
        res = b.op(p + "ffn.residual", OpKind::Add, Other, l, B, S, h, 0, {y, ln});
        x = b.op(p + "ffn.ln", OpKind::LayerNorm, Other, l, B, S, h, 0, {res});
        width = h;
    }

    g.outputs = {x};
    b.link();
    return g;
}

}  // namespace acceltran::workloads
