// The functional mode's arithmetic (`acceltran run --functional`): the values of every tensor in
// the accelerator's fixed-point format, and what a unit computes for one tile. A PE calls
// run_tile() for each tile it executes, with the tile's operands' values handed to the unit
// through the payload extension's data pointers; the measured non-zeros it returns decide the
// bytes moved, the MAC lanes' effectual MACs and the element-wise units' cycles.
//
// A facade over its parts, one responsibility each:
// - TensorStore (tensor_store.h): the values of every tensor, keyed by tensor and element;
// - TileArithmetic (tile_arithmetic.h): what each op kind computes for one tile;
// - SparsityTracker (sparsity_tracker.h): the post-sparsity unit's rule at the pruning points,
//   the masks' non-zero counts, the zero counts and the magnitudes that calibrate τ.
// Values do not depend on timing: a tile runs only after its producers have finished, and
// partial sums accumulate exactly (int64).
//
// Formulas, rounding and where pruning applies: docs/dynatran.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/sparsity_settings.h"
#include "modules/compute/op_context.h"
#include "modules/compute/sparsity_tracker.h"
#include "modules/compute/tensor_store.h"
#include "modules/compute/tile_arithmetic.h"
#include "workloads/functional/fixed_point.h"
#include "workloads/functional/model_weights.h"
#include "workloads/op_graph.h"
#include "workloads/tiling.h"

namespace acceltran::compute {

class FunctionalEngine {
public:
    // `tokens` holds batch x seq token ids. Weights are quantized to `format` (after offline
    // pruning, applied by the caller); `weights` must outlive the engine (it keeps pointers to
    // the biases). Only BERT-family encoders whose graph has one head group per layer and no
    // sliced weights are supported: InputError otherwise.
    FunctionalEngine(const workloads::OpGraph& graph, const functional::ModelWeights& weights,
                     const std::vector<std::int32_t>& tokens, const functional::FixedPointFormat& format,
                     const sparsity::DynaTranConfig& sparsity, std::uint64_t seed);

    // Per-tensor densities for the compiler (CompileOptions::tensor_density): measured for
    // weights and inputs (known before the run), 1 for activations (a dense bound: their
    // zeros are known only as they are produced).
    std::vector<double> planning_densities() const { return sparsity_.planning_densities(store_); }

    // Computes the tile `step` of `ctx` (accumulating a matmul's partial sum; finishing, rounding
    // and pruning the output block on its last k step) and measures it.
    TileMeasure run_tile(const OpContext& ctx, const workloads::TileStep& step);

    const functional::FixedPointFormat& format() const { return format_; }
    const sparsity::DynaTranConfig& sparsity() const { return sparsity_.config(); }
    // A tensor's values as doubles (batch x rows x cols, row-major).
    std::vector<double> values(int tensor) const { return store_.values(tensor); }
    const std::vector<std::int32_t>& raw(int tensor) const { return store_.raw(tensor); }

    // Zeros at the pruning points (DynaTran's, as in modeling_dtbert.py; docs/dynatran.md §2), by point name (q, k, v, scores, probs,
    // context, attn_out, ffn_intermediate, ffn_out) and over all of them; weight zeros.
    std::map<std::string, ZeroCount> activation_zeros() const { return sparsity_.activation_zeros(store_); }
    ZeroCount weight_zeros() const { return sparsity_.weight_zeros(store_); }
    // |x| at the pruning points measured before pruning: the threshold that would zero a
    // fraction f of them is the f-quantile (--target-sparsity calibrates τ from it).
    std::vector<double> magnitude_quantiles(const std::vector<double>& fractions) const {
        return sparsity_.magnitude_quantiles(fractions);
    }

private:
    functional::FixedPointFormat format_;
    SparsityTracker sparsity_;
    TensorStore store_;
    TileArithmetic arithmetic_;
};

}  // namespace acceltran::compute
