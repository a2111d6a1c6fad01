#include "workloads/graph_builder.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <utility>

#include "core/errors.h"
#include "workloads/generation.h"

namespace acceltran::workloads {

namespace {

// Element and MAC counts are int64 products; refuse shapes whose product would overflow
// rather than report nonsense.
void check_size(const std::string& name, std::initializer_list<std::int64_t> dims) {
    long double product = 1;
    for (std::int64_t d : dims) product *= static_cast<long double>(d);
    if (product > static_cast<long double>(std::numeric_limits<std::int64_t>::max()))
        throw InputError(name + ": tensor or op too large to count (more than 2^63 elements "
                                "or MACs); reduce seq or batch");
}

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

}  // namespace

void check_model(const ModelSpec& model) {
    const std::string who = "model '" + model.name + "'";
    if (model.layers.empty()) throw InputError(who + ": has no layers");
    const bool decoder = model.decoder();
    if (!decoder && model.architecture != "encoder")
        throw InputError(who + ": architecture '" + model.architecture +
                         "' is not encoder or decoder");
    if (model.activation != "gelu" && model.activation != "relu" &&
        !(decoder && model.activation == "swiglu"))
        throw InputError(who + ": activation '" + model.activation + "' is not gelu or relu" +
                         (decoder ? " or swiglu" : ""));
    if (model.norm != "layernorm" && !(decoder && model.norm == "rmsnorm"))
        throw InputError(who + ": norm '" + model.norm + "' is not layernorm" +
                         (decoder ? " or rmsnorm" : " (the encoder graph is BERT's)"));
    if (model.position != "learned" && !(decoder && model.position == "rotary"))
        throw InputError(who + ": position '" + model.position + "' is not learned" +
                         (decoder ? " or rotary" : " (the encoder graph is BERT's)"));
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
        const int heads = int(layer.heads.size()), kv = layer.key_value_heads();
        if (kv < 1 || kv > heads || heads % kv != 0)
            throw InputError(where + ": kv_heads (" + std::to_string(kv) +
                             ") must divide the number of heads (" + std::to_string(heads) + ")");
        if (!decoder) {
            if (kv != heads)
                throw InputError(where + ": grouped-query attention needs a decoder (the "
                                         "encoder graph is BERT's)");
            continue;
        }
        // The generation graph groups query heads onto key/value heads and rotates head-wide
        // pairs, so a decoder layer's heads share one width and the model one hidden size.
        for (const auto& head : layer.heads)
            if (head.width != layer.heads.front().width)
                throw InputError(where + ": a decoder's heads must all have one width");
        if (model.position == "rotary" && layer.heads.front().width % 2 != 0)
            throw InputError(where + ": rotary embedding needs an even head width");
        if (layer.hidden != model.hidden())
            throw InputError(where + ": a decoder's layers must all have hidden " +
                             std::to_string(model.hidden()));
        if (model.activation == "swiglu" && layer.ffn.size() != 1)
            throw InputError(where + ": a swiglu feed-forward has exactly one width");
    }
}

int GraphBuilder::tensor(const std::string& name, TensorKind kind, int layer, std::int64_t batch,
                         std::int64_t rows, std::int64_t cols) {
    check_size(name, {batch, rows, cols});
    g_.tensors.push_back(Tensor{static_cast<int>(g_.tensors.size()), name, kind, layer, batch, rows, cols,
                                false, {}, CacheRole::None});
    return g_.tensors.back().id;
}

int GraphBuilder::op_as(const std::string& name, OpKind kind, OpCategory category, int layer,
                        std::int64_t batch, std::int64_t m, std::int64_t n, std::int64_t k,
                        std::vector<int> a_inputs, int b_input, bool b_batched,
                        bool b_transposed, std::vector<std::int64_t> out_shape) {
    Op o = describe(name, kind, category, layer, batch, m, n, k, std::move(a_inputs));
    o.b_input = b_input;
    o.b_batched = b_batched;
    o.b_transposed = b_transposed;
    return add(std::move(o), std::move(out_shape));
}

Op GraphBuilder::describe(const std::string& name, OpKind kind, OpCategory category, int layer,
                          std::int64_t batch, std::int64_t m, std::int64_t n, std::int64_t k,
                          std::vector<int> a_inputs) {
    Op o;
    o.name = name;
    o.kind = kind;
    o.category = category;
    o.layer = layer;
    o.batch = batch;
    o.m = m;
    o.n = n;
    o.k = k;
    o.a_inputs = std::move(a_inputs);
    return o;
}

int GraphBuilder::add(Op o, std::vector<std::int64_t> out_shape) {
    check_size(o.name, {o.batch, o.m, o.n, std::max<std::int64_t>(o.k, 1)});
    o.id = static_cast<int>(g_.ops.size());
    o.phase = phase_;
    o.step = step_;
    o.output = tensor(o.name, TensorKind::Activation, o.layer, out_shape[0], out_shape[1],
                      out_shape[2]);
    g_.ops.push_back(std::move(o));
    return g_.ops.back().output;
}

std::string GraphBuilder::slice_name(const std::string& name, std::size_t j, std::size_t count) {
    return count > 1 ? name + ".s" + std::to_string(j) : name;
}

SlicedWeight GraphBuilder::weight(const std::string& name, int layer, std::int64_t k, std::int64_t n,
                                  const WeightSplit& split) {
    SlicedWeight w{split, {}};
    const auto W = TensorKind::Weight;
    switch (split.kind) {
        case WeightSplit::Kind::Whole: w.tensors.push_back(tensor(name, W, layer, 1, k, n)); break;
        case WeightSplit::Kind::Columns:
            for (std::size_t j = 0; j < split.sizes.size(); ++j)
                w.tensors.push_back(tensor(name + ".s" + std::to_string(j), W, layer, 1, k, split.sizes[j]));
            break;
        case WeightSplit::Kind::Depth:
            for (std::size_t j = 0; j < split.sizes.size(); ++j)
                w.tensors.push_back(tensor(name + ".k" + std::to_string(j), W, layer, 1, split.sizes[j], n));
            break;
    }
    return w;
}

namespace {

std::int64_t depth_of(const OpGraph& g, const std::vector<int>& a) {
    std::int64_t k = 0;
    for (int t : a) k += g.tensors[t].cols;
    return k;
}

}  // namespace

int GraphBuilder::column(const std::string& name, OpCategory category, int layer, std::int64_t batch,
                         std::int64_t m, const std::vector<int>& a, const SlicedWeight& w, std::size_t j) {
    const int wt = w.tensors[j];
    return op(slice_name(name, j, w.tensors.size()), OpKind::MatMul, category, layer, batch, m, cols(wt),
              depth_of(g_, a), a, wt);
}

int GraphBuilder::reduce(const std::string& name, OpCategory category, int layer, std::int64_t batch,
                         std::int64_t m, const std::vector<int>& a, const SlicedWeight& w) {
    if (w.split.kind != WeightSplit::Kind::Depth) return column(name, category, layer, batch, m, a, w, 0);
    std::size_t first = 0;
    for (std::size_t parts : w.split.parts) first += parts;
    if (first != a.size())
        throw std::logic_error(name + ": the depth split has " + std::to_string(first) + " A slices, the op " +
                               std::to_string(a.size()));
    int sum = -1;
    first = 0;
    for (std::size_t j = 0; j < w.tensors.size(); ++j) {
        const std::vector<int> group(a.begin() + std::ptrdiff_t(first), a.begin() + std::ptrdiff_t(first + w.split.parts[j]));
        first += w.split.parts[j];
        const std::string suffix = std::to_string(j);
        const int wt = w.tensors[j];
        const int partial = op(name + ".k" + suffix, OpKind::MatMul, category, layer, batch, m, cols(wt),
                               depth_of(g_, group), group, wt);
        sum = j == 0 ? partial
                     : op(name + ".sum" + suffix, OpKind::Add, OpCategory::Other, layer, batch, m, cols(wt), 0,
                          {sum, partial});
    }
    return sum;
}

int GraphBuilder::gelu_feed_forward(
    const std::string& prefix, int layer, std::int64_t batch, std::int64_t m, int x, std::size_t matmuls,
    const std::string& activation,
    const std::function<SlicedWeight(std::size_t, const std::vector<std::int64_t>&)>& weight) {
    const auto widths = [&](const std::vector<int>& slices) {
        std::vector<std::int64_t> w;
        for (int t : slices) w.push_back(cols(t));
        return w;
    };
    std::vector<int> y = {x};
    const auto ffn = OpCategory::FfnProjection;
    for (std::size_t i = 0; i + 1 < matmuls; ++i) {
        const SlicedWeight w = weight(i, widths(y));
        const std::string n = std::to_string(i + 1);
        std::vector<int> next;
        for (std::size_t j = 0; j < w.tensors.size(); ++j) {
            const int h = column(prefix + "ffn.h" + n, ffn, layer, batch, m, y, w, j);
            // GELU and ReLU run on the same unit.
            next.push_back(op(slice_name(prefix + "ffn." + activation + n, j, w.tensors.size()), OpKind::Gelu,
                              OpCategory::Other, layer, batch, m, cols(h), 0, {h}));
        }
        y = std::move(next);
    }
    return reduce(prefix + "ffn.out", ffn, layer, batch, m, y, weight(matmuls - 1, widths(y)));
}

void GraphBuilder::link() {
    g_.producer.assign(g_.tensors.size(), -1);
    g_.consumers.assign(g_.tensors.size(), {});
    for (const Op& o : g_.ops) {
        g_.producer[o.output] = o.id;
        for (int t : o.inputs()) g_.consumers[t].push_back(o.id);
    }
}

// Biases, attention scaling (1/sqrt(width), folded into the softmax), the attention mask and
// the token-type embedding are not modelled: each is at most one element-wise op per tensor and
// none changes the matmul shapes.
namespace {

OpGraph build_graph(const ModelSpec& model, int seq, int batch, const BufferFit& fit, bool embedding_table) {
    check_model(model);
    if (model.decoder() && embedding_table)
        throw UsageError("--compat embedding_table models the original AccelTran simulator's encoder; model '" +
                         model.name + "' is a decoder");
    if (model.decoder()) {
        GenerationOptions options;
        options.prompt_len = seq;
        options.batch = batch;
        if (fit.on()) options.buffers = fit.options();
        return build_generation_graph(model, options);
    }
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
    g.tensors[word].gathered = g.tensors[pos].gathered = true;
    // The original simulator instead loads the whole table, its SEQ_LENGTH positions included
    // (the `emb` load of `get_ops()` in its src/dict2ops.py).
    if (embedding_table)
        g.embedding_table = b.tensor("emb.table", W, -1, 1, std::int64_t(model.vocab_size) + S, h0);
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
        // last, as in BERT. The original simulator also applied one after the last matmul. Each
        // weight is created just before its first op, split as the buffers need.
        const auto ffn_weight = [&](std::size_t i, const std::vector<std::int64_t>& widths) {
            const bool last = i == layer.ffn.size();
            const std::int64_t in = i == 0 ? h : layer.ffn[i - 1], outw = last ? h : layer.ffn[i];
            return b.weight(p + "ffn.w" + std::to_string(i + 1), l, in, outw, fit.plan(B * S, widths, outw, !last));
        };
        const int y = b.gelu_feed_forward(p, l, B, S, ln, layer.ffn.size() + 1, model.activation, ffn_weight);
        res = b.op(p + "ffn.residual", OpKind::Add, Other, l, B, S, h, 0, {y, ln});
        x = b.op(p + "ffn.ln", OpKind::LayerNorm, Other, l, B, S, h, 0, {res});
        width = h;
    }

    g.outputs = {x};
    b.link();
    return g;
}

}  // namespace

OpGraph build_op_graph(const ModelSpec& model, int seq, int batch) {
    return build_graph(model, seq, batch, BufferFit(), false);
}

OpGraph build_op_graph(const ModelSpec& model, int seq, int batch, const CompileOptions& buffers) {
    return build_graph(model, seq, batch, BufferFit(buffers), buffers.embedding_table);
}

}  // namespace acceltran::workloads
