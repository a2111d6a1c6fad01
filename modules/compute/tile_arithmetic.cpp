#include "modules/compute/tile_arithmetic.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "core/errors.h"
#include "modules/compute/splitmix.h"

namespace acceltran::compute {

using workloads::Op;
using workloads::OpKind;

namespace {

bool is_scores(const Op& op) { return op.kind == OpKind::MatMul && op.b_batched && op.b_transposed; }
bool is_context(const Op& op) { return op.kind == OpKind::MatMul && op.b_batched && !op.b_transposed; }

}  // namespace

TileArithmetic::TileArithmetic(const workloads::OpGraph& graph, const functional::ModelWeights& weights,
                               const functional::FixedPointFormat& format, std::uint64_t seed, TensorStore& store,
                               SparsityTracker& sparsity)
    : graph_(graph), format_(format), seed_(seed), store_(store), sparsity_(sparsity) {
    const std::string what = "--functional: ";
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
}

std::int32_t TileArithmetic::round(double x, int tensor, std::size_t index) const {
    if (format_.rounding == functional::Rounding::Nearest) return format_.quantize(x);
    // A draw per (tensor, element) rather than from a stream: the order in which units finish
    // tiles must not change the values.
    const std::uint64_t h = splitmix(seed_ ^ splitmix((std::uint64_t(tensor) << 40) ^ index));
    return format_.quantize(x, double(h >> 11) * 0x1.0p-53);
}

std::int32_t TileArithmetic::finish_value(const Op& op, double x, std::size_t index) {
    return sparsity_.post_sparsity(op, round(x, op.output, index));
}

void TileArithmetic::matmul_tile(const OpContext& ctx, const workloads::TileStep& step, const Block& out,
                                 TileMeasure& m) {
    const Op& op = *ctx.op;
    const workloads::TileGrid& g = *ctx.grid;
    const bool skipping = sparsity_.config().zero_skipping();
    // A block that cuts the reduction starts at its k origin (MemoryBlock::depth); the op's
    // accumulator carries the sum from one k block to the next, and only the op's last k step
    // (write_output) rounds it.
    const std::int64_t k0 = g.k_origin + step.index.k * g.shape.y, k1 = k0 + g.depth_k(step.index.k);
    const TensorView a = store_.view(op.a_inputs[0], op), b = store_.view(op.b_input, op);
    const bool bt = op.b_transposed;
    auto b_at = [&](std::int64_t e, std::int64_t kk, std::int64_t c) { return bt ? b.at(e, c, kk) : b.at(e, kk, c); };

    m.a_nonzeros = sparsity_.nonzeros(a, {out.e0, out.e1, out.r0, out.r1, k0, k1});
    // B blocks are (k x n); a transposed B is stored (n x k).
    m.b_nonzeros = bt ? sparsity_.nonzeros(b, {out.e0, out.e1, out.c0, out.c1, k0, k1})
                      : sparsity_.nonzeros(b, {b.broadcast ? 0 : out.e0, b.broadcast ? 1 : out.e1, k0, k1, out.c0, out.c1});

    auto& acc = accumulators_[op.id];
    if (acc.empty()) acc.assign(std::size_t(op.out_elements()), 0);
    const std::int64_t cols = out.c1 - out.c0;
    std::vector<std::uint32_t> b_row_nonzeros(std::size_t(k1 - k0));
    double effectual = 0;
    for (std::int64_t e = out.e0; e < out.e1; ++e) {
        if (skipping) {
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
                if (skipping) effectual += b_row_nonzeros[std::size_t(kk - k0)];
                for (std::int64_t c = out.c0; c < out.c1; ++c) row[c] += av * b_at(e, kk, c);
            }
        }
    }
    m.effectual_macs = skipping ? effectual : double((out.e1 - out.e0) * (out.r1 - out.r0) * (k1 - k0) * cols);
    if (step.write_output) matmul_finish(op, out, m);
}

void TileArithmetic::reduction_tile(const OpContext& ctx, const workloads::TileStep& step, const Block& out,
                                    TileMeasure& m) {
    // The parts of a k split across units added into the op's integer accumulator as they ran
    // (integer sums: any order gives the same sum); the pass's last step rounds it once.
    if (step.write_output) matmul_finish(*ctx.op, out, m);
}

void TileArithmetic::matmul_finish(const Op& op, const Block& out, TileMeasure& m) {
    auto& acc = accumulators_[op.id];
    const std::int64_t cols = out.c1 - out.c0;
    // Last k step: bias, scaling (Q.K^T by 1/sqrt(head width), as a shift for widths that are
    // powers of 4), rounding to the format, then the post-sparsity unit's rule.
    const double scale = std::ldexp(is_scores(op) ? 1.0 / std::sqrt(double(op.k)) : 1.0, -2 * format_.frac_bits);
    const std::vector<double>* bias = nullptr;
    if (auto it = biases_.find(op.name); it != biases_.end()) bias = it->second;
    auto& dst = store_.output(op.output);
    const TensorView o = store_.view(op.output, op);
    for (std::int64_t e = out.e0; e < out.e1; ++e)
        for (std::int64_t r = out.r0; r < out.r1; ++r)
            for (std::int64_t c = out.c0; c < out.c1; ++c) {
                const double x = double(acc[std::size_t((e * op.m + r) * op.n + c)]) * scale +
                                 (bias ? (*bias)[std::size_t(c)] : 0.0);
                const std::size_t idx = o.index(e, r, c);
                dst[idx] = finish_value(op, x, idx);
            }
    m.out_nonzeros = sparsity_.nonzeros(o, out);
    outputs_written_[op.id] += std::uint64_t((out.e1 - out.e0) * (out.r1 - out.r0) * cols);
    if (outputs_written_[op.id] == std::uint64_t(op.out_elements())) accumulators_.erase(op.id);
}

void TileArithmetic::elementwise_tile(const OpContext& ctx, const Block& out, TileMeasure& m) {
    const Op& op = *ctx.op;
    const TensorView a = store_.view(op.a_inputs[0], op);
    m.a_nonzeros = sparsity_.nonzeros(a, out);
    auto& dst = store_.output(op.output);
    const TensorView o = store_.view(op.output, op);
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
            const TensorView a2 = store_.view(op.a_inputs[1], op);
            m.a2_nonzeros = sparsity_.nonzeros(a2, {a2.broadcast ? 0 : out.e0, a2.broadcast ? 1 : out.e1, out.r0,
                                                    out.r1, out.c0, out.c1});
            for (std::int64_t e = out.e0; e < out.e1; ++e)
                for (std::int64_t r = out.r0; r < out.r1; ++r)
                    for (std::int64_t c = out.c0; c < out.c1; ++c)
                        dst[o.index(e, r, c)] = format_.saturate(std::int64_t(a.at(e, r, c)) + a2.at(e, r, c));
            break;
        }
        default: break;  // rejected in the constructor
    }
    m.out_nonzeros = sparsity_.nonzeros(o, out);
}

void TileArithmetic::softmax_rows(const Op& op, const Block& out, std::vector<std::int32_t>& dst, TileMeasure& m) {
    // The normalisation is along the whole row, which spans several tiles: the unit's row
    // maximum and sum are taken over the full row (the per-tile timing rule charges the tile's
    // share of that work).
    const TensorView a = store_.view(op.a_inputs[0], op), o = store_.view(op.output, op);
    const sparsity::DynaTranConfig& rule = sparsity_.config();
    // As the top-k baseline of modeling_dtbert.py: k above the row length keeps the row whole.
    const bool topk = rule.mode == sparsity::SparsityMode::TopK && rule.k <= op.n;
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
                const auto nth = sorted.begin() + (rule.k > 0 ? rule.k - 1 : 0);
                std::nth_element(sorted.begin(), nth, sorted.end(), std::greater<std::int32_t>());
                kth = rule.k > 0 ? *nth : std::numeric_limits<std::int32_t>::max();
            }
            for (std::int64_t c = out.c0; c < out.c1; ++c) {
                const std::size_t idx = o.index(e, r, c);
                if (topk) {
                    // Keep values strictly above the row's k-th largest (the top-k baseline of modeling_dtbert.py).
                    dst[idx] = probs[std::size_t(c)] > kth ? probs[std::size_t(c)] : 0;
                    ++m.topk_elements;
                } else {
                    dst[idx] = finish_value(op, ex[std::size_t(c)] / sum, idx);
                }
            }
        }
}

void TileArithmetic::layernorm_rows(const Op& op, const Block& out, std::vector<std::int32_t>& dst) {
    const TensorView a = store_.view(op.a_inputs[0], op), o = store_.view(op.output, op);
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

}  // namespace acceltran::compute
