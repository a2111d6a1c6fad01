#include "workloads/functional/reference_forward.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "core/errors.h"
#include "workloads/functional/random_stream.h"
#include "workloads/functional/weight_loader.h"

namespace acceltran::functional {

PruneCount ReferenceResult::total() const {
    PruneCount t;
    for (const auto& [name, c] : points) {
        t.elements += c.elements;
        t.zeros += c.zeros;
    }
    return t;
}

void topk_row(double* row, std::int64_t n, int k) {
    if (k > n) return;  // no k-th largest value: keep everything
    std::vector<double> sorted(row, row + n);
    std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end(), std::greater<double>());
    const double kth = sorted[std::size_t(k - 1)];
    for (std::int64_t j = 0; j < n; ++j)
        if (!(row[j] > kth)) row[j] = 0.0;
}

namespace {

class Forward {
public:
    Forward(const workloads::ModelSpec& model, const ModelWeights& w, const ReferenceOptions& o)
        : model_(model), w_(w), o_(o), rng_(o.rounding_seed) {}

    const Matrix& matrix(const std::string& name, std::int64_t rows, std::int64_t cols) const {
        const auto it = w_.matrices.find(name);
        if (it == w_.matrices.end()) throw InputError("weights: missing matrix '" + name + "'");
        check_shape(name, it->second, rows, cols);
        return it->second;
    }
    const std::vector<double>& bias(const std::string& name, std::int64_t n) const {
        const auto it = w_.biases.find(name);
        if (it == w_.biases.end()) throw InputError("weights: missing bias '" + name + "'");
        if (std::int64_t(it->second.size()) != n)
            throw InputError("weights: bias '" + name + "' has " + std::to_string(it->second.size()) +
                             " values, expected " + std::to_string(n));
        return it->second;
    }
    const NormParams& norm(const std::string& name, std::int64_t n) const {
        const auto it = w_.norms.find(name);
        if (it == w_.norms.end()) throw InputError("weights: missing layer-norm parameters '" + name + "'");
        if (std::int64_t(it->second.gamma.size()) != n || std::int64_t(it->second.beta.size()) != n)
            throw InputError("weights: layer norm '" + name + "' has " + std::to_string(it->second.gamma.size()) +
                             " gammas and " + std::to_string(it->second.beta.size()) + " betas, expected " +
                             std::to_string(n) + " of each");
        return it->second;
    }
    static void check_shape(const std::string& name, const Matrix& m, std::int64_t rows, std::int64_t cols) {
        if (m.rows < rows || m.cols != cols || std::int64_t(m.values.size()) != m.rows * m.cols)
            throw InputError("weights: matrix '" + name + "' is " + std::to_string(m.rows) + " x " +
                             std::to_string(m.cols) + ", expected " + std::to_string(rows) + " x " +
                             std::to_string(cols));
    }

    // Rounds to the stored format, if any.
    double store(double x) {
        if (!o_.quantize) return x;
        const double u = o_.quantize->rounding == Rounding::Stochastic ? rng_.uniform() : 0.5;
        return o_.quantize->to_double(o_.quantize->quantize(x, u));
    }
    void store(std::vector<double>& v) {
        if (o_.quantize)
            for (double& x : v) x = store(x);
    }
    // DynaTran at a pruning point, counted.
    void prune(const std::string& point, double* v, std::size_t n) {
        PruneCount& c = points_[point];
        c.elements += std::int64_t(n);
        for (std::size_t i = 0; i < n; ++i) {
            v[i] = sparsity::prune(v[i], o_.threshold);
            c.zeros += v[i] == 0.0;
        }
    }
    void count(const std::string& point, const double* v, std::size_t n) {
        PruneCount& c = points_[point];
        c.elements += std::int64_t(n);
        for (std::size_t i = 0; i < n; ++i) c.zeros += v[i] == 0.0;
    }

    // out (m x n) = a (m x k) w (k x n) + bias, rounded.
    std::vector<double> linear(const std::vector<double>& a, std::int64_t m, std::int64_t k, const Matrix& w,
                               const std::vector<double>& b) {
        const std::int64_t n = w.cols;
        std::vector<double> out(std::size_t(m * n), 0.0);
        for (std::int64_t i = 0; i < m; ++i) {
            double* row = &out[std::size_t(i * n)];
            for (std::int64_t kk = 0; kk < k; ++kk) {
                const double x = a[std::size_t(i * k + kk)];
                if (x == 0.0) continue;
                const double* wr = &w.values[std::size_t(kk * n)];
                for (std::int64_t j = 0; j < n; ++j) row[j] += x * wr[j];
            }
            for (std::int64_t j = 0; j < n; ++j) row[j] = store(row[j] + b[std::size_t(j)]);
        }
        return out;
    }

    void layer_norm(std::vector<double>& x, std::int64_t rows, std::int64_t n, const NormParams& p) {
        for (std::int64_t r = 0; r < rows; ++r) {
            double* row = &x[std::size_t(r * n)];
            double mean = 0.0;
            for (std::int64_t j = 0; j < n; ++j) mean += row[j];
            mean /= double(n);
            double var = 0.0;
            for (std::int64_t j = 0; j < n; ++j) var += (row[j] - mean) * (row[j] - mean);
            var /= double(n);
            const double inv = 1.0 / std::sqrt(var + p.epsilon);
            for (std::int64_t j = 0; j < n; ++j)
                row[j] = store((row[j] - mean) * inv * p.gamma[std::size_t(j)] + p.beta[std::size_t(j)]);
        }
    }

    ReferenceResult run(const std::vector<std::int32_t>& tokens, std::int64_t S, std::int64_t B) {
        const std::int64_t h = model_.hidden(), rows = B * S;
        ReferenceResult result;
        result.batch = B;
        result.seq = S;
        result.hidden = h;

        // Embedding.
        check_shape("word_embeddings", w_.word_embeddings, model_.vocab_size, h);
        const Matrix& pos = matrix("emb.pos_rows", S, h);
        std::vector<double> x(std::size_t(rows * h));
        for (std::int64_t b = 0; b < B; ++b)
            for (std::int64_t s = 0; s < S; ++s) {
                const std::int64_t t = tokens[std::size_t(b * S + s)];
                for (std::int64_t c = 0; c < h; ++c)
                    x[std::size_t((b * S + s) * h + c)] = store(w_.word_embeddings.at(t, c) + pos.at(s, c));
            }
        layer_norm(x, rows, h, norm("emb.ln", h));

        for (std::size_t l = 0; l < model_.layers.size(); ++l) {
            const workloads::LayerSpec& layer = model_.layers[l];
            const std::string p = "l" + std::to_string(l) + ".";
            const std::int64_t H = std::int64_t(layer.heads.size()), hw = layer.heads.front().width, gw = H * hw;
            const std::int64_t f = layer.ffn.front();

            std::vector<double> q = linear(x, rows, h, matrix(p + "attn.wq", h, gw), bias(p + "attn.q", gw));
            prune(p + "attn.q", q.data(), q.size());
            std::vector<double> k = linear(x, rows, h, matrix(p + "attn.wk", h, gw), bias(p + "attn.k", gw));
            prune(p + "attn.k", k.data(), k.size());
            std::vector<double> v = linear(x, rows, h, matrix(p + "attn.wv", h, gw), bias(p + "attn.v", gw));
            prune(p + "attn.v", v.data(), v.size());

            const double scale = 1.0 / std::sqrt(double(hw));
            std::vector<double> context(std::size_t(rows * gw), 0.0);
            std::vector<double> scores(std::size_t(S * S));
            for (std::int64_t b = 0; b < B; ++b)
                for (std::int64_t head = 0; head < H; ++head) {
                    const std::int64_t c0 = head * hw;
                    for (std::int64_t i = 0; i < S; ++i)
                        for (std::int64_t j = 0; j < S; ++j) {
                            double dot = 0.0;
                            const double* qi = &q[std::size_t((b * S + i) * gw + c0)];
                            const double* kj = &k[std::size_t((b * S + j) * gw + c0)];
                            for (std::int64_t d = 0; d < hw; ++d) dot += qi[d] * kj[d];
                            scores[std::size_t(i * S + j)] = store(dot * scale);
                        }
                    prune(p + "attn.scores", scores.data(), scores.size());
                    for (std::int64_t i = 0; i < S; ++i) {
                        double* row = &scores[std::size_t(i * S)];
                        const double mx = *std::max_element(row, row + S);
                        double sum = 0.0;
                        for (std::int64_t j = 0; j < S; ++j) sum += (row[j] = std::exp(row[j] - mx));
                        for (std::int64_t j = 0; j < S; ++j) row[j] = store(row[j] / sum);
                        for (std::int64_t j = 0; j < S; ++j) row[j] = sparsity::prune(row[j], o_.threshold);
                        if (o_.topk) topk_row(row, S, o_.k);
                    }
                    count(p + "attn.probs", scores.data(), scores.size());
                    for (std::int64_t i = 0; i < S; ++i) {
                        double* ci = &context[std::size_t((b * S + i) * gw + c0)];
                        for (std::int64_t j = 0; j < S; ++j) {
                            const double pij = scores[std::size_t(i * S + j)];
                            if (pij == 0.0) continue;
                            const double* vj = &v[std::size_t((b * S + j) * gw + c0)];
                            for (std::int64_t d = 0; d < hw; ++d) ci[d] += pij * vj[d];
                        }
                    }
                }
            store(context);
            prune(p + "attn.context", context.data(), context.size());

            std::vector<double> out = linear(context, rows, gw, matrix(p + "attn.wo", gw, h), bias(p + "attn.out", h));
            prune(p + "attn.out", out.data(), out.size());
            for (std::size_t i = 0; i < out.size(); ++i) out[i] = store(out[i] + x[i]);
            layer_norm(out, rows, h, norm(p + "attn.ln", h));
            x = std::move(out);

            std::vector<double> h1 = linear(x, rows, h, matrix(p + "ffn.w1", h, f), bias(p + "ffn.h1", f));
            prune(p + "ffn.h1", h1.data(), h1.size());
            const bool relu = model_.activation == "relu";
            for (double& e : h1) e = store(relu ? std::max(e, 0.0) : 0.5 * e * (1.0 + std::erf(e / std::sqrt(2.0))));
            std::vector<double> y = linear(h1, rows, f, matrix(p + "ffn.w2", f, h), bias(p + "ffn.out", h));
            prune(p + "ffn.out", y.data(), y.size());
            for (std::size_t i = 0; i < y.size(); ++i) y[i] = store(y[i] + x[i]);
            layer_norm(y, rows, h, norm(p + "ffn.ln", h));
            x = std::move(y);
            if (o_.keep_layer_outputs) result.layer_outputs.push_back(x);
        }
        result.hidden_states = std::move(x);
        result.points = std::move(points_);
        return result;
    }

private:
    const workloads::ModelSpec& model_;
    const ModelWeights& w_;
    const ReferenceOptions& o_;
    RandomStream rng_;
    std::map<std::string, PruneCount> points_;
};

}  // namespace

ReferenceResult reference_forward(const workloads::ModelSpec& model, const ModelWeights& weights,
                                  const std::vector<std::int32_t>& tokens, std::int64_t seq, std::int64_t batch,
                                  const ReferenceOptions& options) {
    check_functional_model(model);
    if (seq < 1 || seq > model.max_positions)
        throw InputError("seq " + std::to_string(seq) + " is outside 1.." + std::to_string(model.max_positions) +
                         " (model '" + model.name + "' has max_positions " + std::to_string(model.max_positions) + ")");
    if (batch < 1) throw InputError("batch " + std::to_string(batch) + " must be at least 1");
    if (std::int64_t(tokens.size()) != seq * batch)
        throw InputError("tokens: expected batch x seq = " + std::to_string(batch * seq) + " token ids, found " +
                         std::to_string(tokens.size()));
    for (std::size_t i = 0; i < tokens.size(); ++i)
        if (tokens[i] < 0 || tokens[i] >= model.vocab_size)
            throw InputError("tokens: sequence " + std::to_string(std::int64_t(i) / seq) + ", position " +
                             std::to_string(std::int64_t(i) % seq) + ": token id " + std::to_string(tokens[i]) +
                             " is outside 0.." + std::to_string(model.vocab_size - 1));
    if (!(options.threshold >= 0.0) || !std::isfinite(options.threshold))
        throw InputError("pruning threshold: expected a finite number >= 0, found " + std::to_string(options.threshold));
    if (options.topk && options.k < 1)
        throw InputError("top-k: expected k >= 1, found " + std::to_string(options.k));
    return Forward(model, weights, options).run(tokens, seq, batch);
}

}  // namespace acceltran::functional
