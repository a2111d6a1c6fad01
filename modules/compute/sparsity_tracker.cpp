#include "modules/compute/sparsity_tracker.h"

#include <algorithm>
#include <cmath>

#include "modules/compute/splitmix.h"

namespace acceltran::compute {

using workloads::Op;
using workloads::OpKind;
using workloads::TensorKind;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

constexpr std::size_t kMagnitudeSample = std::size_t(1) << 22;

}  // namespace

SparsityTracker::SparsityTracker(const workloads::OpGraph& graph, const functional::FixedPointFormat& format,
                                 const sparsity::DynaTranConfig& config)
    : graph_(graph),
      format_(format),
      config_(config),
      threshold_raw_(sparsity::threshold_raw(config.threshold, format.frac_bits)) {}

bool SparsityTracker::pruned_point(const Op& op) {
    // DynaTran's pruning points (modeling_dtbert.py, jha-lab/txf_design-space): Q, K, V, scores, context, the attention output dense, the FFN
    // intermediate (before GELU) and output dense are matmul outputs; probabilities are the
    // softmax's. Nothing else (sums, norms, GELU outputs, embeddings) is pruned.
    return op.kind == OpKind::MatMul || op.kind == OpKind::Softmax;
}

std::string SparsityTracker::point_name(const Op& op) {
    const bool batched_b = op.kind == OpKind::MatMul && op.b_batched;
    if (op.kind == OpKind::Softmax) return "probs";
    if (batched_b && op.b_transposed) return "scores";
    if (batched_b) return "context";
    if (ends_with(op.name, "attn.q")) return "q";
    if (ends_with(op.name, "attn.k")) return "k";
    if (ends_with(op.name, "attn.v")) return "v";
    if (ends_with(op.name, "attn.out")) return "attn_out";
    if (ends_with(op.name, "ffn.out")) return "ffn_out";
    if (op.name.find("ffn.h") != std::string::npos) return "ffn_intermediate";
    return "other";
}

std::int32_t SparsityTracker::post_sparsity(const Op& op, std::int32_t raw) {
    if (!pruned_point(op)) return raw;
    // Magnitudes before pruning, for calibrating τ to a target sparsity.
    const float mag = float(std::fabs(format_.to_double(raw)));
    if (magnitude_sample_.size() < kMagnitudeSample)
        magnitude_sample_.push_back(mag);
    else
        magnitude_sample_[std::size_t(splitmix(magnitude_seen_) % kMagnitudeSample)] = mag;
    ++magnitude_seen_;
    return config_.prunes_activations() ? sparsity::prune(raw, threshold_raw_) : raw;
}

std::uint64_t SparsityTracker::nonzeros(const TensorView& v, const Block& b) const {
    const std::uint64_t all = std::uint64_t((b.e1 - b.e0) * (b.r1 - b.r0) * (b.c1 - b.c0));
    if (!config_.zero_skipping()) return all;  // masks all ones: nothing is skipped
    std::uint64_t n = 0;
    for (std::int64_t e = b.e0; e < b.e1; ++e)
        for (std::int64_t r = b.r0; r < b.r1; ++r)
            for (std::int64_t c = b.c0; c < b.c1; ++c) n += v.at(e, r, c) != 0;
    return n;
}

std::vector<double> SparsityTracker::planning_densities(const TensorStore& store) const {
    std::vector<double> d(graph_.tensors.size(), 1.0);
    if (!config_.zero_skipping()) return d;
    for (const auto& t : graph_.tensors) {
        if (t.kind == TensorKind::Activation) continue;
        const auto& v = store.raw(t.id);
        const auto nz = std::count_if(v.begin(), v.end(), [](std::int32_t x) { return x != 0; });
        d[std::size_t(t.id)] = v.empty() ? 1.0 : double(nz) / double(v.size());
    }
    return d;
}

std::map<std::string, ZeroCount> SparsityTracker::activation_zeros(const TensorStore& store) const {
    std::map<std::string, ZeroCount> z;
    for (const Op& op : graph_.ops) {
        if (!pruned_point(op)) continue;
        const auto& v = store.raw(op.output);
        const auto zeros = std::uint64_t(std::count(v.begin(), v.end(), 0));
        for (const std::string& key : {point_name(op), std::string("all")}) {
            z[key].elements += v.size();
            z[key].zeros += zeros;
        }
    }
    return z;
}

ZeroCount SparsityTracker::weight_zeros(const TensorStore& store) const {
    ZeroCount z;
    for (const Op& op : graph_.ops) {
        if (op.kind != OpKind::MatMul || op.b_input < 0) continue;
        if (graph_.tensors[std::size_t(op.b_input)].kind != TensorKind::Weight) continue;
        const auto& v = store.raw(op.b_input);
        z.elements += v.size();
        z.zeros += std::uint64_t(std::count(v.begin(), v.end(), 0));
    }
    return z;
}

std::vector<double> SparsityTracker::magnitude_quantiles(const std::vector<double>& fractions) const {
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
