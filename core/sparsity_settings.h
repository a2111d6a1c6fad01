// DynaTran (papers.md §A.2) and the top-k baseline, as the functional mode applies them.
// DynaTran: for a threshold τ > 0, a value with |x| <= τ becomes zero (the comparison keeps
// only |x| > τ); τ = 0 disables pruning. It is applied by the post-sparsity unit to every output
// tile of the ops the paper prunes (docs/dynatran.md §2). Top-k keeps, in each row of the
// attention probabilities, the values strictly greater than the row's k-th largest.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

namespace acceltran::sparsity {

// Ratio: timing-only, densities from the configured sparsity ratios. DynaTran, TopK: the
// functional mode's zeros decide.
enum class SparsityMode : std::uint8_t { Ratio, DynaTran, TopK };

const char* to_string(SparsityMode m);

struct DynaTranConfig {
    SparsityMode mode = SparsityMode::Ratio;
    double threshold = 0;         // τ on activations (DynaTran)
    int k = 0;                    // top-k: values kept per attention-probability row
    double weight_threshold = 0;  // offline magnitude pruning of the weight matrices

    bool prunes_activations() const { return mode == SparsityMode::DynaTran && threshold > 0; }
    // Masks mark the zeros (and the lanes skip them) once anything prunes; with nothing
    // pruned the masks are all ones, so τ = 0 runs exactly the dense timing.
    bool zero_skipping() const {
        return prunes_activations() || mode == SparsityMode::TopK || weight_threshold > 0;
    }
};

// The rule on a raw fixed-point value: |raw| <= τ·2^FL (the largest raw magnitude not above τ).
inline std::int32_t threshold_raw(double threshold, int frac_bits) {
    const double scaled = std::floor(std::ldexp(threshold, frac_bits));
    return scaled >= 2147483647.0 ? 2147483647 : std::int32_t(scaled);
}
inline std::int32_t prune(std::int32_t raw, std::int32_t threshold_raw) {
    return (raw <= threshold_raw && raw >= -threshold_raw) ? 0 : raw;
}

}  // namespace acceltran::sparsity
