// The functional mode's arithmetic (`acceltran run --functional`): the values of every tensor in
// the accelerator's fixed-point format, and what a unit computes for one tile. A PE calls
// run_tile() for each tile it executes, with the tile's operands' values handed to the unit
// through the payload extension's data pointers; the measured non-zeros it returns decide the
// bytes moved, the MAC lanes' effectual MACs and the element-wise units' cycles.
//
// Why one store rather than values kept at buffer addresses: buffer addresses in the compiled
// plan are nominal (fragmentation is not modelled, tiles wrap inside the buffer), so they cannot
// hold every live tensor's values without aliasing. The store is keyed by tensor and element
// instead; the buffers still account for every byte. Values do not depend on timing: a tile
// runs only after its producers have finished, and partial sums accumulate exactly (int64).
//
// Formulas, rounding and where pruning applies: docs/dynatran.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "modules/compute/op_context.h"
#include "core/sparsity_settings.h"
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

// Zeros over a set of tensors, for summary.json's `sparsity`.
struct ZeroCount {
    std::uint64_t elements = 0, zeros = 0;
    double fraction() const { return elements ? double(zeros) / double(elements) : 0; }
};

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
    std::vector<double> planning_densities() const;

    // Computes the tile `step` of `ctx` (accumulating a matmul's partial sum; finishing, rounding
    // and pruning the output block on its last k step) and measures it.
    TileMeasure run_tile(const OpContext& ctx, const workloads::TileStep& step);

    const functional::FixedPointFormat& format() const { return format_; }
    const sparsity::DynaTranConfig& sparsity() const { return sparsity_; }
    // A tensor's values as doubles (batch x rows x cols, row-major).
    std::vector<double> values(int tensor) const;
    const std::vector<std::int32_t>& raw(int tensor) const { return store_[std::size_t(tensor)]; }

    // Zeros at the pruning points (papers.md §A.2), by point name (q, k, v, scores, probs,
    // context, attn_out, ffn_intermediate, ffn_out) and over all of them; weight zeros.
    std::map<std::string, ZeroCount> activation_zeros() const;
    ZeroCount weight_zeros() const;
    // |x| at the pruning points measured before pruning: the threshold that would zero a
    // fraction f of them is the f-quantile (--target-sparsity calibrates τ from it).
    std::vector<double> magnitude_quantiles(const std::vector<double>& fractions) const;

private:
    // Element (e, r, c) of a tensor as seen by an op of batch `op_batch`: attention ops run
    // over batch x heads entries of tensors that keep the heads side by side in their columns.
    struct View {
        const std::vector<std::int32_t>* data = nullptr;
        std::int64_t rows = 0, cols = 0, heads = 1, width = 0;
        bool broadcast = false;  // a weight (or the position rows), shared by every entry
        std::size_t index(std::int64_t e, std::int64_t r, std::int64_t c) const {
            const std::int64_t b = broadcast ? 0 : e / heads, h = broadcast ? 0 : e % heads;
            return std::size_t((b * rows + r) * cols + h * width + c);
        }
        std::int32_t at(std::int64_t e, std::int64_t r, std::int64_t c) const { return (*data)[index(e, r, c)]; }
    };
    struct Block {
        std::int64_t e0, e1, r0, r1, c0, c1;  // [begin, end) of batch entries, rows, columns
    };
    View view(int tensor, const workloads::Op& op) const;
    std::uint64_t nonzeros(const View& v, const Block& b, bool transposed) const;
    bool pruned_point(const workloads::Op& op) const;
    std::string point_name(const workloads::Op& op) const;
    std::int32_t round(double x, int tensor, std::size_t index) const;
    std::int32_t finish_value(const workloads::Op& op, double x, std::size_t index);

    void matmul_tile(const OpContext& ctx, const workloads::TileStep& step, const Block& out, TileMeasure& m);
    void elementwise_tile(const OpContext& ctx, const Block& out, TileMeasure& m);
    void softmax_rows(const workloads::Op& op, const Block& out, std::vector<std::int32_t>& dst, TileMeasure& m);
    void layernorm_rows(const workloads::Op& op, const Block& out, std::vector<std::int32_t>& dst);

    const workloads::OpGraph& graph_;
    functional::FixedPointFormat format_;
    sparsity::DynaTranConfig sparsity_;
    std::uint64_t seed_;
    std::int32_t threshold_raw_ = 0;
    std::vector<std::vector<std::int32_t>> store_;          // per tensor, raw values
    std::map<int, std::vector<std::int64_t>> accumulators_;  // per matmul op id, in progress
    std::map<int, std::uint64_t> outputs_written_;           // per op id: output tiles finished
    std::map<std::string, const std::vector<double>*> biases_;  // into the weights: they outlive the engine
    std::map<std::string, functional::NormParams> norms_;
    // Pre-pruning magnitudes at the pruning points, subsampled (for magnitude_quantiles).
    std::vector<float> magnitude_sample_;
    std::uint64_t magnitude_seen_ = 0;
};

}  // namespace acceltran::compute
