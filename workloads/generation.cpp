#include "workloads/generation.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/errors.h"

namespace acceltran::workloads {

namespace {

// Parameters are created once and read by the prefill and every decode step.
struct LayerWeights {
    int wq = -1, wk = -1, wv = -1, wo = -1;
    // GELU/ReLU: w1 .. wn, then the output matrix. SwiGLU: gate, up, down. Split to fit the
    // buffers (BufferFit).
    std::vector<SlicedWeight> ffn;
};

// A layer's KV cache: one key and one value segment per step that appended tokens, in position
// order (see generation.h).
struct LayerCache {
    std::vector<int> keys, values;
    std::int64_t length = 0;  // rows over all segments
};

class GenerationBuilder {
public:
    GenerationBuilder(const ModelSpec& model, const GenerationOptions& options, OpGraph& g)
        : model_(model), opt_(options), g_(g), b_(g),
          fit_(options.buffers ? BufferFit(*options.buffers) : BufferFit()) {
        const LayerSpec& first = model.layers.front();
        h_ = model.hidden();
        heads_ = std::int64_t(first.heads.size());
        kv_heads_ = first.key_value_heads();
        width_ = first.heads.front().width;
        // Weights are shared by every step: split them for the most rows an op reads, the
        // prefill's (or the single token of a run with no prompt).
        rows_ = std::int64_t(options.batch) * std::max(options.prompt_len, 1);
    }

    void build() {
        create_weights();
        std::vector<int> token_ops;  // ops that decide the next token
        if (opt_.prompt_len > 0) {
            b_.set_phase(Phase::Prefill, 0);
            token_ops = step("prefill.", opt_.prompt_len, {});
        }
        if (opt_.decode_steps.empty()) {
            for (int t = 1; t <= opt_.gen_len; ++t) decode(t, token_ops);
        } else {
            int previous = 0;
            for (int t : opt_.decode_steps) {
                if (t > previous + 1) skipped_rows(previous + 1, t - 1);
                decode(t, token_ops);
                previous = t;
            }
        }
        b_.link();
    }

private:
    void decode(int t, std::vector<int>& token_ops) {
        b_.set_phase(Phase::Decode, t);
        token_ops = step("decode" + std::to_string(t) + ".", 1, token_ops);
    }

    // The K and V rows of decode steps first..last, which are not built: one segment per layer
    // and role, in main memory from the start (the steps would have spilled them there once the
    // cache outgrew the buffer, which is what makes a generation long enough to sample).
    void skipped_rows(int first, int last) {
        const std::string p = "decode" + std::to_string(first) + "-" + std::to_string(last) + ".";
        const std::int64_t rows = last - first + 1;
        for (std::size_t li = 0; li < model_.layers.size(); ++li) {
            const int l = int(li);
            const std::string lp = p + "l" + std::to_string(l) + ".attn.";
            const int k = b_.tensor(lp + "k_rows", TensorKind::Input, l, opt_.batch, rows, kv_heads_ * width_);
            const int v = b_.tensor(lp + "v_rows", TensorKind::Input, l, opt_.batch, rows, kv_heads_ * width_);
            g_.tensors[k].cache = CacheRole::Key;
            g_.tensors[v].cache = CacheRole::Value;
            caches_[li].keys.push_back(k);
            caches_[li].values.push_back(v);
            caches_[li].length += rows;
        }
    }

    void create_weights() {
        const auto W = TensorKind::Weight;
        for (std::size_t li = 0; li < model_.layers.size(); ++li) {
            const LayerSpec& layer = model_.layers[li];
            const int l = int(li);
            const std::string p = "l" + std::to_string(l) + ".";
            LayerWeights w;
            // Attention projections stay whole: their outputs feed attention, which does not
            // take column slices (docs/decoders.md §8).
            w.wq = b_.tensor(p + "attn.wq", W, l, 1, h_, heads_ * width_);
            w.wk = b_.tensor(p + "attn.wk", W, l, 1, h_, kv_heads_ * width_);
            w.wv = b_.tensor(p + "attn.wv", W, l, 1, h_, kv_heads_ * width_);
            w.wo = b_.tensor(p + "attn.wo", W, l, 1, heads_ * width_, h_);
            // Each FFN matmul reads the column slices of the one before; the hidden ones may be
            // split by columns (their activation runs per slice), the last one only by depth
            // (the residual add needs its whole output).
            if (swiglu()) {
                const std::int64_t f = layer.ffn.front();
                const WeightSplit split = fit_.plan(rows_, {h_}, f, true);
                w.ffn.push_back(b_.weight(p + "ffn.w_gate", l, h_, f, split));
                w.ffn.push_back(b_.weight(p + "ffn.w_up", l, h_, f, split));  // up is split like gate
                w.ffn.push_back(b_.weight(p + "ffn.w_down", l, f, h_, fit_.plan(rows_, split.out_widths(f), h_, false)));
            } else {
                std::vector<std::int64_t> a = {h_};  // the column slices matmul i reads
                for (std::size_t i = 0; i <= layer.ffn.size(); ++i) {
                    const bool last = i == layer.ffn.size();
                    const std::int64_t k = i == 0 ? h_ : layer.ffn[i - 1], n = last ? h_ : layer.ffn[i];
                    const WeightSplit split = fit_.plan(rows_, a, n, !last);
                    w.ffn.push_back(b_.weight(p + "ffn.w" + std::to_string(i + 1), l, k, n, split));
                    a = split.out_widths(n);
                }
            }
            weights_.push_back(w);
        }
        caches_.resize(model_.layers.size());
        if (!opt_.lm_head) return;
        const std::vector<std::int64_t> slices = lm_head_slices(model_, opt_);
        for (std::size_t i = 0; i < slices.size(); ++i)
            lm_head_.push_back(b_.tensor("lm_head.w" + std::to_string(i), W, -1, 1, h_, slices[i]));
    }

    // One prefill or decode step over `tokens` new positions. Returns the ops that decide the
    // step's token (its logits, or its last hidden state without an LM head).
    std::vector<int> step(const std::string& p, std::int64_t tokens, const std::vector<int>& token_ops) {
        const std::int64_t B = opt_.batch, S = tokens;
        int x = b_.tensor(p + "emb.word_rows", TensorKind::Input, -1, B, S, h_);
        g_.tensors[x].gathered = true;
        g_.tensors[x].known_after = token_ops;
        if (model_.position == "learned") {
            int pos = b_.tensor(p + "emb.pos_rows", TensorKind::Weight, -1, 1, S, h_);
            g_.tensors[pos].gathered = true;
            x = b_.op(p + "emb.sum", OpKind::Add, OpCategory::Other, -1, B, S, h_, 0, {x, pos});
        }
        // cos and sin of each position's angles, one per rotated pair: a head width per row.
        const int rope = model_.position == "rotary"
                             ? b_.tensor(p + "rope.table", TensorKind::Weight, -1, 1, S, width_)
                             : -1;
        for (std::size_t l = 0; l < model_.layers.size(); ++l) x = layer(int(l), p, x, S, rope);

        if (!opt_.lm_head) {
            g_.outputs.push_back(x);
            return {int(g_.ops.size()) - 1};
        }
        Op norm_op = norm(p + "final_norm", -1, B, 1, x);
        norm_op.last_position = S > 1;
        const int normed = b_.add(norm_op, {B, 1, h_});
        std::vector<int> ops;
        for (std::size_t i = 0; i < lm_head_.size(); ++i) {
            const std::int64_t n = g_.tensors[lm_head_[i]].cols;
            g_.outputs.push_back(b_.op(p + "lm_head.s" + std::to_string(i), OpKind::MatMul,
                                       OpCategory::LmHead, -1, B, 1, n, h_, {normed},
                                       lm_head_[i]));
            ops.push_back(int(g_.ops.size()) - 1);
        }
        return ops;
    }

    // A pre-norm decoder layer over S new positions: attention over the whole cache, then the
    // feed-forward, each added back to the residual stream.
    int layer(int l, const std::string& step_prefix, int x, std::int64_t S, int rope) {
        const std::string p = step_prefix + "l" + std::to_string(l) + ".";
        const LayerWeights& w = weights_[l];
        const std::int64_t B = opt_.batch;
        const auto proj = OpCategory::MhaProjection;
        const int n1 = b_.add(norm(p + "attn.norm", l, B, S, x), {B, S, h_});
        int q = b_.op(p + "attn.q", OpKind::MatMul, proj, l, B, S, heads_ * width_, h_, {n1}, w.wq);
        int k = b_.op(p + "attn.k", OpKind::MatMul, proj, l, B, S, kv_heads_ * width_, h_, {n1}, w.wk);
        const int v = b_.op(p + "attn.v", OpKind::MatMul, proj, l, B, S, kv_heads_ * width_, h_, {n1}, w.wv);
        if (rope >= 0) {
            q = b_.op(p + "attn.q_rot", OpKind::Rotary, OpCategory::Other, l, B, S, heads_ * width_, 0, {q, rope});
            k = b_.op(p + "attn.k_rot", OpKind::Rotary, OpCategory::Other, l, B, S, kv_heads_ * width_, 0, {k, rope});
        }
        LayerCache& cache = caches_[l];
        g_.tensors[k].cache = CacheRole::Key;
        g_.tensors[v].cache = CacheRole::Value;
        cache.keys.push_back(k);
        cache.values.push_back(v);
        cache.length += S;

        // Grouped-query attention: the `group` query heads that share a key/value head are
        // stacked as rows of one matmul per (sequence, kv head), so each cached block is read
        // once per group. The prefill (S > 1) is causal; a decode step's one query sees all.
        const std::int64_t group = heads_ / kv_heads_, L = cache.length;
        CausalMask mask;
        mask.on = S > 1;
        mask.group = group;
        Op scores = attention(p + "attn.scores", OpKind::MatMul, l, S * group, L, width_, q, cache.keys, mask);
        scores.b_transposed = true;
        const int s = b_.add(scores, {B * kv_heads_, S * group, L});
        Op softmax = attention(p + "attn.probs", OpKind::Softmax, l, S * group, L, 0, s, {}, mask);
        const int probs = b_.add(softmax, {B * kv_heads_, S * group, L});
        Op context = attention(p + "attn.context", OpKind::MatMul, l, S * group, width_, L, probs, cache.values, mask);
        const int ctx = b_.add(context, {B, S, heads_ * width_});

        const int out = b_.op(p + "attn.out", OpKind::MatMul, proj, l, B, S, h_, heads_ * width_, {ctx}, w.wo);
        const int res = b_.op(p + "attn.residual", OpKind::Add, OpCategory::Other, l, B, S, h_, 0, {out, x});
        const int n2 = b_.add(norm(p + "ffn.norm", l, B, S, res), {B, S, h_});
        const int y = feed_forward(p, l, S, n2);
        return b_.op(p + "ffn.residual", OpKind::Add, OpCategory::Other, l, B, S, h_, 0, {y, res});
    }

    int feed_forward(const std::string& p, int l, std::int64_t S, int x) {
        const LayerWeights& w = weights_[l];
        const std::int64_t B = opt_.batch;
        const auto ffn = OpCategory::FfnProjection;
        if (swiglu()) {
            // Slice by slice: gate, up and their SwiGLU product, then down over every slice.
            const std::size_t slices = w.ffn[0].tensors.size();
            std::vector<int> hidden;
            for (std::size_t j = 0; j < slices; ++j) {
                const int gate = b_.column(p + "ffn.gate", ffn, l, B, S, {x}, w.ffn[0], j);
                const int up = b_.column(p + "ffn.up", ffn, l, B, S, {x}, w.ffn[1], j);
                hidden.push_back(b_.op(GraphBuilder::slice_name(p + "ffn.swiglu", j, slices), OpKind::SwiGlu,
                                       OpCategory::Other, l, B, S, b_.cols(gate), 0, {gate, up}));
            }
            return b_.reduce(p + "ffn.down", ffn, l, B, S, hidden, w.ffn[2]);
        }
        // As in the encoder: the activation follows every FFN matmul but the last.
        return b_.gelu_feed_forward(p, l, B, S, x, w.ffn.size(), model_.activation,
                                    [&](std::size_t i, const std::vector<std::int64_t>&) { return w.ffn[i]; });
    }

    // A norm over `rows` positions of each sequence in `x`.
    Op norm(const std::string& name, int l, std::int64_t B, std::int64_t rows, int x) const {
        const OpKind kind = model_.norm == "rmsnorm" ? OpKind::RmsNorm : OpKind::LayerNorm;
        return GraphBuilder::describe(name, kind, OpCategory::Other, l, B, rows, h_, 0, {x});
    }

    // An attention op batched over (sequence, kv head), with B the concatenated cache segments.
    Op attention(const std::string& name, OpKind kind, int l, std::int64_t m, std::int64_t n,
                 std::int64_t k, int a, const std::vector<int>& segments, const CausalMask& mask) const {
        Op o = GraphBuilder::describe(name, kind,
                                      kind == OpKind::MatMul ? OpCategory::MhaActToAct : OpCategory::Other,
                                      l, opt_.batch * kv_heads_, m, n, k, {a});
        if (!segments.empty()) {
            o.b_input = segments.front();
            o.b_more.assign(segments.begin() + 1, segments.end());
            o.b_batched = true;
        }
        o.causal = mask;
        return o;
    }

    bool swiglu() const { return model_.activation == "swiglu"; }

    const ModelSpec& model_;
    const GenerationOptions& opt_;
    OpGraph& g_;
    GraphBuilder b_;
    BufferFit fit_;
    std::int64_t h_ = 0, heads_ = 0, kv_heads_ = 0, width_ = 0, rows_ = 0;
    std::vector<LayerWeights> weights_;
    std::vector<LayerCache> caches_;
    std::vector<int> lm_head_;
};

}  // namespace

std::vector<std::int64_t> lm_head_slices(const ModelSpec& model, const GenerationOptions& options) {
    const std::int64_t vocab = model.vocab_size, h = model.hidden();
    std::int64_t columns = options.lm_head_columns;
    if (columns <= 0) {
        columns = h;
        for (const LayerSpec& layer : model.layers)
            for (int f : layer.ffn) columns = std::max<std::int64_t>(columns, f);
        // The head reads the final norm of each sequence's last position: batch rows.
        if (options.buffers) {
            const BufferFit fit(*options.buffers);
            if (!fit.fits(options.batch, {h}, std::min(columns, vocab), 1)) {
                std::vector<std::int64_t> slices = fit.column_slices(options.batch, {h}, vocab);
                if (!slices.empty()) return slices;
            }
        }
    }
    columns = std::min(columns, vocab);
    std::vector<std::int64_t> slices;
    for (std::int64_t first = 0; first < vocab; first += columns) slices.push_back(std::min(columns, vocab - first));
    return slices;
}

std::vector<int> sampled_decode_steps(int gen_len, int budget) {
    if (budget < 0 || budget == 1)
        throw UsageError("the decode steps simulated (--simulated-steps) must be 0 (every step) or at least 2, got " +
                         std::to_string(budget));
    if (budget == 0 || gen_len <= budget) return {};
    const int head = std::clamp(budget / 4, 1, 8), spread = budget - head;
    std::vector<int> steps;
    for (int t = 1; t <= head; ++t) steps.push_back(t);
    // Step head + ceil(j (G - head) / spread) for j = 1..spread: strictly increasing since
    // G - head > spread, and the last is G.
    const std::int64_t rest = gen_len - head;
    for (int j = 1; j <= spread; ++j) steps.push_back(head + int((std::int64_t(j) * rest + spread - 1) / spread));
    return steps;
}

std::int64_t lm_head_slice_columns(const ModelSpec& model, const GenerationOptions& options) {
    return lm_head_slices(model, options).front();
}

OpGraph build_generation_graph(const ModelSpec& model, const GenerationOptions& options) {
    check_model(model);
    const std::string who = "model '" + model.name + "'";
    if (!model.decoder())
        throw InputError(who + " is an encoder (architecture: " + model.architecture +
                         "); only decoders generate tokens");
    if (options.prompt_len < 0 || options.gen_len < 0)
        throw InputError("prompt length " + std::to_string(options.prompt_len) +
                         " and generation length " + std::to_string(options.gen_len) +
                         " must not be negative");
    const std::int64_t positions = std::int64_t(options.prompt_len) + options.gen_len;
    if (positions < 1 || positions > model.max_positions)
        throw InputError("prompt plus generated tokens (" + std::to_string(positions) +
                         ") is outside 1.." + std::to_string(model.max_positions) + " (" + who +
                         " has max_positions " + std::to_string(model.max_positions) + ")");
    if (options.batch < 1)
        throw InputError("batch " + std::to_string(options.batch) + " must be at least 1");
    for (std::size_t i = 0; i < options.decode_steps.size(); ++i) {
        const int t = options.decode_steps[i];
        if (t < 1 || t > options.gen_len || (i > 0 && t <= options.decode_steps[i - 1]) ||
            (i + 1 == options.decode_steps.size() && t != options.gen_len))
            throw InputError("decode steps to build must ascend within 1.." + std::to_string(options.gen_len) +
                             " and end at " + std::to_string(options.gen_len) + "; step " + std::to_string(t) +
                             " at index " + std::to_string(i) + " does not");
    }
    if (options.lm_head_columns < 0)
        throw InputError("LM-head slice width " + std::to_string(options.lm_head_columns) +
                         " must not be negative");

    OpGraph g;
    g.model = model;
    g.seq = int(positions);
    g.batch = options.batch;
    g.prompt_len = options.prompt_len;
    g.gen_len = options.gen_len;
    GenerationBuilder(model, options, g).build();
    return g;
}

}  // namespace acceltran::workloads
