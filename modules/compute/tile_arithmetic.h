// The functional mode's tile arithmetic (part of FunctionalEngine): what a unit computes for one
// tile, per op kind: matmul partial sums (accumulated exactly in int64) finished with bias,
// scaling, rounding and the post-sparsity unit on the last k step; softmax (with the top-k
// selection), layer norm, GELU and residual adds. Values do not depend on timing: a tile runs
// only after its producers have finished. Formulas and rounding: docs/dynatran.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "modules/compute/op_context.h"
#include "modules/compute/sparsity_tracker.h"
#include "modules/compute/tensor_store.h"
#include "workloads/functional/fixed_point.h"
#include "workloads/functional/model_weights.h"
#include "workloads/op_graph.h"
#include "workloads/tiling.h"

namespace acceltran::compute {

// What one tile's values came to, for timing and energy.
struct TileMeasure {
    std::uint64_t a_nonzeros = 0, a2_nonzeros = 0, b_nonzeros = 0;  // operand blocks read
    std::uint64_t out_nonzeros = 0;  // output block written (when the step writes it)
    double effectual_macs = 0;       // MAC lane matmul tiles: pairs with both operands non-zero
    std::uint64_t topk_elements = 0; // softmax tiles under top-k: values through the selection unit
};

class TileArithmetic {
public:
    // Checks that every op is one the functional mode computes and takes the biases and norms
    // from `weights` (which must outlive this object: it keeps pointers to the biases).
    // InputError otherwise.
    TileArithmetic(const workloads::OpGraph& graph, const functional::ModelWeights& weights,
                   const functional::FixedPointFormat& format, std::uint64_t seed, TensorStore& store,
                   SparsityTracker& sparsity);

    // Computes the tile `step` of `ctx` over the output block `out` and measures it.
    void matmul_tile(const OpContext& ctx, const workloads::TileStep& step, const Block& out, TileMeasure& m);
    void elementwise_tile(const OpContext& ctx, const Block& out, TileMeasure& m);
    // A step of the reduction pass of a matmul whose k is split across units
    // (TileGrid::reduction): its last step rounds the accumulated sum into the output.
    void reduction_tile(const OpContext& ctx, const workloads::TileStep& step, const Block& out, TileMeasure& m);

private:
    std::int32_t round(double x, int tensor, std::size_t index) const;
    std::int32_t finish_value(const workloads::Op& op, double x, std::size_t index);
    // A matmul's last k step over `out`: bias, scaling, rounding and the post-sparsity rule.
    void matmul_finish(const workloads::Op& op, const Block& out, TileMeasure& m);
    void softmax_rows(const workloads::Op& op, const Block& out, std::vector<std::int32_t>& dst, TileMeasure& m);
    void layernorm_rows(const workloads::Op& op, const Block& out, std::vector<std::int32_t>& dst);

    const workloads::OpGraph& graph_;
    functional::FixedPointFormat format_;
    std::uint64_t seed_;
    TensorStore& store_;
    SparsityTracker& sparsity_;
    std::map<int, std::vector<std::int64_t>> accumulators_;  // per matmul op id, in progress
    // Per op id: output elements finished. Counted in elements, not tiles: the blocks of an op
    // blocked inside (workloads/op_blocking.h) are grids of their own and may run at once.
    std::map<int, std::uint64_t> outputs_written_;
    std::map<std::string, const std::vector<double>*> biases_;  // into the weights: they outlive us
    std::map<std::string, functional::NormParams> norms_;
};

}  // namespace acceltran::compute
