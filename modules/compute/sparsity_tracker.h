// The functional mode's sparsity bookkeeping (part of FunctionalEngine): the post-sparsity
// unit's rule at the pruning points, the masks' non-zero counts of the blocks a tile reads and
// writes, the zeros summary.json reports, and the pre-pruning magnitudes that calibrate τ.
// The rule itself is core/sparsity_settings.h's; where it applies is fixed by the paper
// (pruned_point, docs/dynatran.md §2).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/sparsity_settings.h"
#include "modules/compute/tensor_store.h"
#include "workloads/functional/fixed_point.h"
#include "workloads/op_graph.h"

namespace acceltran::compute {

// Zeros over a set of tensors, for summary.json's `sparsity`.
struct ZeroCount {
    std::uint64_t elements = 0, zeros = 0;
    double fraction() const { return elements ? double(zeros) / double(elements) : 0; }
};

class SparsityTracker {
public:
    SparsityTracker(const workloads::OpGraph& graph, const functional::FixedPointFormat& format,
                    const sparsity::DynaTranConfig& config);

    const sparsity::DynaTranConfig& config() const { return config_; }

    // DynaTran's pruning points (modeling_dtbert.py, jha-lab/txf_design-space): the ops whose outputs the post-sparsity unit prunes (matmul outputs and
    // the softmax's probabilities), and their pruning point's name (q, k, v, scores, probs,
    // context, attn_out, ffn_intermediate, ffn_out).
    static bool pruned_point(const workloads::Op& op);
    static std::string point_name(const workloads::Op& op);

    // The post-sparsity unit on one rounded output word of `op`: records its magnitude before
    // pruning (at pruning points) and applies DynaTran's rule when it prunes activations.
    std::int32_t post_sparsity(const workloads::Op& op, std::int32_t raw);

    // Non-zeros of a block as the masks show them: every element while nothing prunes (the
    // masks are all ones, nothing is skipped), else the values' non-zeros.
    std::uint64_t nonzeros(const TensorView& v, const Block& b) const;

    // Per-tensor densities for the compiler: measured for weights and inputs, 1 for activations.
    std::vector<double> planning_densities(const TensorStore& store) const;
    std::map<std::string, ZeroCount> activation_zeros(const TensorStore& store) const;
    ZeroCount weight_zeros(const TensorStore& store) const;
    std::vector<double> magnitude_quantiles(const std::vector<double>& fractions) const;

private:
    const workloads::OpGraph& graph_;
    functional::FixedPointFormat format_;
    sparsity::DynaTranConfig config_;
    std::int32_t threshold_raw_ = 0;
    // Pre-pruning magnitudes at the pruning points, subsampled (for magnitude_quantiles).
    std::vector<float> magnitude_sample_;
    std::uint64_t magnitude_seen_ = 0;
};

}  // namespace acceltran::compute
