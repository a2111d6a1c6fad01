// DynaTran (Tuli & Jha, TCAD 2023; reference code modeling_dtbert.py in github.com/jha-lab/txf_design-space) and the top-k baseline, as the functional mode applies them, and the
// accelerator YAML's `sparsity:` keys that choose between them (docs/configuration.md).
// DynaTran: for a threshold τ > 0, a value with |x| <= τ becomes zero (the comparison keeps
// only |x| > τ); τ = 0 disables pruning. It is applied by the post-sparsity unit to every output
// tile of the ops the paper prunes (docs/dynatran.md §2). Top-k keeps, in each row of the
// attention probabilities, the values strictly greater than the row's k-th largest.
//
// This header is the one place the prune rule is written: pruned() on doubles (the reference
// forward pass, offline weight pruning) and pruned_raw() on the fixed-point words the engine
// stores, derived from the same comparison (docs/dynatran.md §2).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

namespace acceltran::sparsity {

// Ratio: timing-only, densities from the configured sparsity ratios. None: a functional run that
// prunes no activations. DynaTran, TopK: the functional mode's zeros decide.
enum class SparsityMode : std::uint8_t { Ratio, DynaTran, TopK, None };

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

// ---- the prune rule -----------------------------------------------------------------------

// DynaTran's comparison on a real value: pruned when τ > 0 and |x| <= τ.
inline bool pruned(double x, double threshold) { return threshold > 0.0 && std::fabs(x) <= threshold; }
inline double prune(double x, double threshold) { return pruned(x, threshold) ? 0.0 : x; }

// The same comparison on a raw fixed-point word r, which stands for r·2^-FL: |r·2^-FL| <= τ
// ⟺ |r| <= τ·2^FL ⟺ |r| <= floor(τ·2^FL), r being an integer (ldexp is exact, so nothing is
// rounded on the way). threshold_raw() is that floor, saturated to the word's range; τ = 0
// gives 0, which prunes only r = 0 (already zero), as pruned() prunes nothing.
inline std::int32_t threshold_raw(double threshold, int frac_bits) {
    const double scaled = std::floor(std::ldexp(threshold, frac_bits));
    return scaled >= 2147483647.0 ? 2147483647 : std::int32_t(scaled);
}
inline bool pruned_raw(std::int32_t raw, std::int32_t threshold_raw) {
    return raw <= threshold_raw && raw >= -threshold_raw;
}
inline std::int32_t prune(std::int32_t raw, std::int32_t threshold_raw) {
    return pruned_raw(raw, threshold_raw) ? 0 : raw;
}

// ---- the accelerator YAML's choice --------------------------------------------------------

// Parses a mode name as written in `sparsity.mode` and for --sparsity: none, dynatran, topk.
// Returns false for anything else.
bool parse_mode(const std::string& text, SparsityMode& mode);

}  // namespace acceltran::sparsity
