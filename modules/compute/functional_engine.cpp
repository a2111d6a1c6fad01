#include "modules/compute/functional_engine.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "core/errors.h"

namespace acceltran::compute {

using workloads::Op;
using workloads::OpKind;
using workloads::TensorKind;

namespace {

std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

bool is_scores(const Op& op) { return op.kind == OpKind::MatMul && op.b_batched && op.b_transposed; }
bool is_context(const Op& op) { return op.kind == OpKind::MatMul && op.b_batched && !op.b_transposed; }

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

constexpr std::size_t kMagnitudeSample = std::size_t(1) << 22;

}  // namespace

FunctionalEngine::FunctionalEngine(const workloads::OpGraph& graph, const functional::ModelWeights& weights,
                                   const std::vector<std::int32_t>& tokens,
                                   const functional::FixedPointFormat& format,
                                   const sparsity::DynaTranConfig& sparsity, std::uint64_t seed)
    : graph_(graph), format_(format), sparsity_(sparsity), seed_(seed) {
    const std::string what = "--functional: ";
    if (graph.model.decoder())
        throw InputError(what + "model '" + graph.model.name +
                         "' is a decoder; the functional mode supports BERT-family encoders");
    if (format.int_bits < 1 || format.frac_bits < 0 || format.bits() > 30)
        throw InputError(what + "numerics int_bits " + std::to_string(format.int_bits) + " + frac_bits " +
                         std::to_string(format.frac_bits) + " must give 1..30 bits with int_bits >= 1");
    threshold_raw_ = sparsity::threshold_raw(sparsity.threshold, format.frac_bits);
    for (const Op& op : graph.ops) {
        const bool supported = op.kind == OpKind::MatMul || op.kind == OpKind::Softmax ||
                               op.kind == OpKind::LayerNorm || op.kind == OpKind::Gelu || op.kind == OpKind::Add;
        if (!supported || op.causal.on || !op.b_more.empty() || (op.kind == OpKind::MatMul && op.a_inputs.size() != 1))
            throw InputError(what + "op '" + op.name + "' (" + workloads::to_string(op.kind) +
                             ") is outside what the functional mode computes: BERT-family encoders with one head "
                             "width per layer and weights that fit the buffers unsliced");
        if (op.kind == OpKind::MatMul && !is_scores(op) && !is_context(op)) {
            auto b = weights.biases.find(op.name);
            if (b == weights.biases.end() || std::int64_t(b->second.size()) != op.n)
                throw InputError(what + "no bias of " + std::to_string(op.n) + " values for matmul '" + op.name +
                                 "' in the weights (sliced weights or a model the weight loader does not map)");
            biases_[op.name] = &b->second;
        }
        if (op.kind == OpKind::LayerNorm) {
            auto n = weights.norms.find(op.name);
            if (n == weights.norms.end() || std::int64_t(n->second.gamma.size()) != op.n ||
                std::int64_t(n->second.beta.size()) != op.n)
                throw InputError(what + "no layer-norm parameters of " + std::to_string(op.n) + " values for '" +
                                 op.name + "' in the weights");
            norms_[op.name] = n->second;
        }
    }

    store_.resize(graph.tensors.size());
    // Parameters and embedding rows are converted once, offline, to the nearest value
    // (functional::quantize_weights does the same for the reference).
    functional::FixedPointFormat nearest = format;
    nearest.rounding = functional::Rounding::Nearest;
    for (const auto& t : graph.tensors) {
        if (t.kind == TensorKind::Activation) continue;
        auto& dst = store_[std::size_t(t.id)];
        dst.resize(std::size_t(t.elements()));
        if (t.kind == TensorKind::Input) {
            // The word rows the tokens select (emb.word_rows: batch x seq x hidden).
            const auto& table = weights.word_embeddings;
            if (table.cols != t.cols)
                throw InputError(what + "word embeddings have " + std::to_string(table.cols) + " columns, tensor '" +
                                 t.name + "' needs " + std::to_string(t.cols));
            if (std::int64_t(tokens.size()) != t.batch * t.rows)
                throw InputError(what + std::to_string(tokens.size()) + " token ids for " + std::to_string(t.batch) +
                                 " sequences of " + std::to_string(t.rows));
            for (std::int64_t s = 0; s < t.batch * t.rows; ++s) {
                const std::int32_t id = tokens[std::size_t(s)];
                if (id < 0 || id >= table.rows)
                    throw InputError(what + "token id " + std::to_string(id) + " is outside the vocabulary 0.." +
                                     std::to_string(table.rows - 1));
                for (std::int64_t c = 0; c < t.cols; ++c)
                    dst[std::size_t(s * t.cols + c)] = nearest.quantize(table.at(id, c));
            }
            continue;
        }
        auto m = weights.matrices.find(t.name);
        if (m == weights.matrices.end() || m->second.cols != t.cols || m->second.rows < t.rows)
            throw InputError(what + "weight '" + t.name + "' (" + std::to_string(t.rows) + " x " +
                             std::to_string(t.cols) + ") is missing from the weights or has another shape");
        for (std::int64_t r = 0; r < t.rows; ++r)
            for (std::int64_t c = 0; c < t.cols; ++c)
                dst[std::size_t(r * t.cols + c)] = nearest.quantize(m->second.at(r, c));
    }
}

std::int32_t FunctionalEngine::round(double x, int tensor, std::size_t index) const {
    if (format_.rounding == functional::Rounding::Nearest) return format_.quantize(x);
    // A draw per (tensor, element) rather than from a stream: the order in which units finish
    // tiles must not change the values.
    const std::uint64_t h = splitmix(seed_ ^ splitmix((std::uint64_t(tensor) << 40) ^ index));
    return format_.quantize(x, double(h >> 11) * 0x1.0p-53);
}

std::vector<double> FunctionalEngine::planning_densities() const {
    std::vector<double> d(graph_.tensors.size(), 1.0);
    if (!sparsity_.zero_skipping()) return d;
    for (const auto& t : graph_.tensors) {
        if (t.kind == TensorKind::Activation) continue;
        const auto& v = store_[std::size_t(t.id)];
        const auto nz = std::count_if(v.begin(), v.end(), [](std::int32_t x) { return x != 0; });
        d[std::size_t(t.id)] = v.empty() ? 1.0 : double(nz) / double(v.size());
    }
    return d;
}

FunctionalEngine::View FunctionalEngine::view(int tensor, const Op& op) const {
    const auto& t = graph_.tensors[std::size_t(tensor)];
    View v;
    v.data = &store_[std::size_t(tensor)];
    v.rows = t.rows;
    v.cols = t.cols;
    // Weights (and the position rows) are shared by every batch entry; an activation of batch 1
    // is not (at batch 1 its attention ops still split it into heads).
    v.broadcast = t.kind == TensorKind::Weight;
    v.heads = v.broadcast ? 1 : op.batch / t.batch;
    v.width = t.cols / v.heads;
    return v;
}

std::uint64_t FunctionalEngine::nonzeros(const View& v, const Block& b, bool transposed) const {
    const std::uint64_t all = std::uint64_t((b.e1 - b.e0) * (b.r1 - b.r0) * (b.c1 - b.c0));
    if (!sparsity_.zero_skipping()) return all;  // masks all ones: nothing is skipped
    std::uint64_t n = 0;
    for (std::int64_t e = b.e0; e < b.e1; ++e)
        for (std::int64_t r = b.r0; r < b.r1; ++r)
            for (std::int64_t c = b.c0; c < b.c1; ++c) n += (transposed ? v.at(e, c, r) : v.at(e, r, c)) != 0;
    return n;
}

bool FunctionalEngine::pruned_point(const Op& op) const {
    // papers.md §A.2: Q, K, V, scores, context, the attention output dense, the FFN
    // intermediate (before GELU) and output dense are matmul outputs; probabilities are the
    // softmax's. Nothing else (sums, norms, GELU outputs, embeddings) is pruned.
    return op.kind == OpKind::MatMul || op.kind == OpKind::Softmax;
}

std::string FunctionalEngine::point_name(const Op& op) const {
    if (op.kind == OpKind::Softmax) return "probs";
    if (is_scores(op)) return "scores";
    if (is_context(op)) return "context";
    if (ends_with(op.name, "attn.q")) return "q";
    if (ends_with(op.name, "attn.k")) return "k";
    if (ends_with(op.name, "attn.v")) return "v";
    if (ends_with(op.name, "attn.out")) return "attn_out";
    if (ends_with(op.name, "ffn.out")) return "ffn_out";
    if (op.name.find("ffn.h") != std::string::npos) return "ffn_intermediate";
    return "other";
}

std::int32_t FunctionalEngine::finish_value(const Op& op, double x, std::size_t index) {
    const std::int32_t raw = round(x, op.output, index);
    if (!pruned_point(op)) return raw;
    // Magnitudes before pruning, for calibrating τ to a target sparsity.
    const float mag = float(std::fabs(format_.to_double(raw)));
    if (magnitude_sample_.size() < kMagnitudeSample)
        magnitude_sample_.push_back(mag);
    else
        magnitude_sample_[std::size_t(splitmix(magnitude_seen_) % kMagnitudeSample)] = mag;
    ++magnitude_seen_;
    return sparsity_.prunes_activations() ? sparsity::prune(raw, threshold_raw_) : raw;
}

TileMeasure FunctionalEngine::run_tile(const OpContext& ctx, const workloads::TileStep& step) {
    const workloads::TileGrid& g = *ctx.grid;
    const auto& t = step.index;
    Block out;
    out.e0 = t.b * g.shape.b;
    out.e1 = out.e0 + g.rows_b(t.b);
    out.r0 = t.i * g.shape.x;
    out.r1 = out.r0 + g.rows_i(t.i);
    out.c0 = t.j * g.shape.y;
    out.c1 = out.c0 + g.cols_j(t.j);
    TileMeasure m;
    if (ctx.op->kind == OpKind::MatMul)
        matmul_tile(ctx, step, out, m);
    else
        elementwise_tile(ctx, out, m);
    return m;
}

void FunctionalEngine::matmul_tile(const OpContext& ctx, const workloads::TileStep& step, const Block& out,
                                   TileMeasure& m) {
    const Op& op = *ctx.op;
    const workloads::TileGrid& g = *ctx.grid;
    const std::int64_t k0 = step.index.k * g.shape.y, k1 = k0 + g.depth_k(step.index.k);
    const View a = view(op.a_inputs[0], op), b = view(op.b_input, op);
    const bool bt = op.b_transposed;
    auto b_at = [&](std::int64_t e, std::int64_t kk, std::int64_t c) { return bt ? b.at(e, c, kk) : b.at(e, kk, c); };

    m.a_nonzeros = nonzeros(a, {out.e0, out.e1, out.r0, out.r1, k0, k1}, false);
    // B blocks are (k x n); a transposed B is stored (n x k).
    m.b_nonzeros = bt ? nonzeros(b, {out.e0, out.e1, out.c0, out.c1, k0, k1}, false)
                      : nonzeros(b, {b.broadcast ? 0 : out.e0, b.broadcast ? 1 : out.e1, k0, k1, out.c0, out.c1}, false);

    auto& acc = accumulators_[op.id];
    if (acc.empty()) acc.assign(std::size_t(op.out_elements()), 0);
    const std::int64_t cols = out.c1 - out.c0;
    std::vector<std::uint32_t> b_row_nonzeros(std::size_t(k1 - k0));
    double effectual = 0;
    for (std::int64_t e = out.e0; e < out.e1; ++e) {
        if (sparsity_.zero_skipping()) {
            // The pre-sparsity unit ANDs the masks: a pair is effectual when both values are non-zero.
            for (std::int64_t kk = k0; kk < k1; ++kk) {
                std::uint32_t n = 0;
                for (std::int64_t c = out.c0; c < out.c1; ++c) n += b_at(e, kk, c) != 0;
                b_row_nonzeros[std::size_t(kk - k0)] = n;
            }
        }
        for (std::int64_t r = out.r0; r < out.r1; ++r) {
            std::int64_t* row = &acc[std::size_t((e * op.m + r) * op.n)];
            for (std::int64_t kk = k0; kk < k1; ++kk) {
                const std::int64_t av = a.at(e, r, kk);
                if (av == 0) continue;
                if (sparsity_.zero_skipping()) effectual += b_row_nonzeros[std::size_t(kk - k0)];
                for (std::int64_t c = out.c0; c < out.c1; ++c) row[c] += av * b_at(e, kk, c);
            }
        }
    }
    m.effectual_macs = sparsity_.zero_skipping() ? effectual
                                                 : double((out.e1 - out.e0) * (out.r1 - out.r0) * (k1 - k0) * cols);
    if (!step.write_output) return;

    // Last k step: bias, scaling (Q.K^T by 1/sqrt(head width), as a shift for widths that are
    // powers of 4), rounding to the format, then the post-sparsity unit's rule.
    const double scale = std::ldexp(is_scores(op) ? 1.0 / std::sqrt(double(op.k)) : 1.0, -2 * format_.frac_bits);
    const std::vector<double>* bias = nullptr;
    if (auto it = biases_.find(op.name); it != biases_.end()) bias = it->second;
    View o = view(op.output, op);
    auto& dst = store_[std::size_t(op.output)];
    if (dst.empty()) dst.assign(std::size_t(graph_.tensors[std::size_t(op.output)].elements()), 0);
    for (std::int64_t e = out.e0; e < out.e1; ++e)
        for (std::int64_t r = out.r0; r < out.r1; ++r)
            for (std::int64_t c = out.c0; c < out.c1; ++c) {
                const double x = double(acc[std::size_t((e * op.m + r) * op.n + c)]) * scale +
                                 (bias ? (*bias)[std::size_t(c)] : 0.0);
                const std::size_t idx = o.index(e, r, c);
                dst[idx] = finish_value(op, x, idx);
            }
    m.out_nonzeros = nonzeros(o, out, false);
    if (++outputs_written_[op.id] == g.output_tiles()) accumulators_.erase(op.id);
}

void FunctionalEngine::elementwise_tile(const OpContext& ctx, const Block& out, TileMeasure& m) {
    const Op& op = *ctx.op;
    const View a = view(op.a_inputs[0], op);
    m.a_nonzeros = nonzeros(a, out, false);
    auto& dst = store_[std::size_t(op.output)];
    if (dst.empty()) dst.assign(std::size_t(graph_.tensors[std::size_t(op.output)].elements()), 0);
    const View o = view(op.output, op);
    switch (op.kind) {
        case OpKind::Softmax: softmax_rows(op, out, dst, m); break;
        case OpKind::LayerNorm: layernorm_rows(op, out, dst); break;
        case OpKind::Gelu:
            for (std::int64_t e = out.e0; e < out.e1; ++e)
                for (std::int64_t r = out.r0; r < out.r1; ++r)
                    for (std::int64_t c = out.c0; c < out.c1; ++c) {
                        const double x = format_.to_double(a.at(e, r, c));
                        const std::size_t idx = o.index(e, r, c);
                        dst[idx] = round(0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))), op.output, idx);
                    }
            break;
        case OpKind::Add: {
            const View a2 = view(op.a_inputs[1], op);
            m.a2_nonzeros = nonzeros(a2, {a2.broadcast ? 0 : out.e0, a2.broadcast ? 1 : out.e1, out.r0, out.r1,
                                          out.c0, out.c1}, false);
            for (std::int64_t e = out.e0; e < out.e1; ++e)
                for (std::int64_t r = out.r0; r < out.r1; ++r)
                    for (std::int64_t c = out.c0; c < out.c1; ++c)
                        dst[o.index(e, r, c)] = format_.saturate(std::int64_t(a.at(e, r, c)) + a2.at(e, r, c));
            break;
        }
        default: break;  // rejected in the constructor
    }
    m.out_nonzeros = nonzeros(o, out, false);
}

void FunctionalEngine::softmax_rows(const Op& op, const Block& out, std::vector<std::int32_t>& dst, TileMeasure& m) {
    // The normalisation is along the whole row, which spans several tiles: the unit's row
    // maximum and sum are taken over the full row (the per-tile timing rule charges the tile's
    // share of that work).
    const View a = view(op.a_inputs[0], op), o = view(op.output, op);
    // As the reference (papers.md §A.2): k above the row length keeps the row whole.
    const bool topk = sparsity_.mode == sparsity::SparsityMode::TopK && sparsity_.k <= op.n;
    std::vector<double> ex(std::size_t(op.n));
    std::vector<std::int32_t> probs(std::size_t(op.n)), sorted;
    for (std::int64_t e = out.e0; e < out.e1; ++e)
        for (std::int64_t r = out.r0; r < out.r1; ++r) {
            double mx = -1e300, sum = 0;
            for (std::int64_t c = 0; c < op.n; ++c) mx = std::max(mx, format_.to_double(a.at(e, r, c)));
            for (std::int64_t c = 0; c < op.n; ++c) sum += ex[std::size_t(c)] = std::exp(format_.to_double(a.at(e, r, c)) - mx);
            std::int32_t kth = 0;
            if (topk) {
                for (std::int64_t c = 0; c < op.n; ++c)
                    probs[std::size_t(c)] = round(ex[std::size_t(c)] / sum, op.output, o.index(e, r, c));
                sorted = probs;
                const auto nth = sorted.begin() + (sparsity_.k > 0 ? sparsity_.k - 1 : 0);
                std::nth_element(sorted.begin(), nth, sorted.end(), std::greater<std::int32_t>());
                kth = sparsity_.k > 0 ? *nth : std::numeric_limits<std::int32_t>::max();
            }
            for (std::int64_t c = out.c0; c < out.c1; ++c) {
                const std::size_t idx = o.index(e, r, c);
                if (topk) {
                    // Keep values strictly above the row's k-th largest (papers.md §A.2).
                    dst[idx] = probs[std::size_t(c)] > kth ? probs[std::size_t(c)] : 0;
                    ++m.topk_elements;
                } else {
                    dst[idx] = finish_value(op, ex[std::size_t(c)] / sum, idx);
                }
            }
        }
}

void FunctionalEngine::layernorm_rows(const Op& op, const Block& out, std::vector<std::int32_t>& dst) {
    const View a = view(op.a_inputs[0], op), o = view(op.output, op);
    const functional::NormParams& p = norms_.at(op.name);
    for (std::int64_t e = out.e0; e < out.e1; ++e)
        for (std::int64_t r = out.r0; r < out.r1; ++r) {
            double mean = 0, var = 0;
            for (std::int64_t c = 0; c < op.n; ++c) mean += format_.to_double(a.at(e, r, c));
            mean /= double(op.n);
            for (std::int64_t c = 0; c < op.n; ++c) {
                const double d = format_.to_double(a.at(e, r, c)) - mean;
                var += d * d;
            }
            const double inv = 1.0 / std::sqrt(var / double(op.n) + p.epsilon);
            for (std::int64_t c = out.c0; c < out.c1; ++c) {
                const double x = (format_.to_double(a.at(e, r, c)) - mean) * inv * p.gamma[std::size_t(c)] +
                                 p.beta[std::size_t(c)];
                const std::size_t idx = o.index(e, r, c);
                dst[idx] = round(x, op.output, idx);
            }
        }
}

std::vector<double> FunctionalEngine::values(int tensor) const {
    const auto& raw = store_[std::size_t(tensor)];
    std::vector<double> v(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) v[i] = format_.to_double(raw[i]);
    return v;
}

std::map<std::string, ZeroCount> FunctionalEngine::activation_zeros() const {
    std::map<std::string, ZeroCount> z;
    for (const Op& op : graph_.ops) {
        if (!pruned_point(op)) continue;
        const auto& v = store_[std::size_t(op.output)];
        const auto zeros = std::uint64_t(std::count(v.begin(), v.end(), 0));
        for (const std::string& key : {point_name(op), std::string("all")}) {
            z[key].elements += v.size();
            z[key].zeros += zeros;
        }
    }
    return z;
}

ZeroCount FunctionalEngine::weight_zeros() const {
    ZeroCount z;
    for (const Op& op : graph_.ops) {
        if (op.kind != OpKind::MatMul || op.b_input < 0) continue;
        if (graph_.tensors[std::size_t(op.b_input)].kind != TensorKind::Weight) continue;
        const auto& v = store_[std::size_t(op.b_input)];
        z.elements += v.size();
        z.zeros += std::uint64_t(std::count(v.begin(), v.end(), 0));
    }
    return z;
}

std::vector<double> FunctionalEngine::magnitude_quantiles(const std::vector<double>& fractions) const {
    std::vector<float> s = magnitude_sample_;
    std::sort(s.begin(), s.end());
    std::vector<double> q;
    for (double f : fractions) {
        if (s.empty()) {
            q.push_back(0);
            continue;
        }
        const double pos = std::clamp(f, 0.0, 1.0) * double(s.size() - 1);
        const std::size_t lo = std::size_t(pos);
        const std::size_t hi = std::min(lo + 1, s.size() - 1);
        q.push_back(double(s[lo]) + (pos - double(lo)) * double(s[hi] - s[lo]));
    }
    return q;
}

}  // namespace acceltran::compute
