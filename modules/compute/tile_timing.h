// Busy cycles of one tile on each unit class. Sources and the reasons we differ from the
// original simulator are in docs/model-reference.md ("Per-tile timing").
#pragma once

#include <cstdint>

namespace acceltran::compute {

// Every tile occupies its unit for at least one cycle, even when every value is zero: the
// masks still have to pass through the pipeline.
inline std::uint64_t at_least_one(double cycles) {
    std::uint64_t c = std::uint64_t(cycles);
    if (double(c) < cycles) ++c;  // ceil without the cost of std::ceil's double round trip
    return c == 0 ? 1 : c;
}

// MAC lane, matmul tile: only effectual MACs (both operands non-zero) take a multiplier slot;
// `macs_per_lane` of them retire per cycle.
inline std::uint64_t matmul_tile_cycles(double effectual_macs, int macs_per_lane) {
    return at_least_one(effectual_macs / macs_per_lane);
}

// MAC lane, matmul tile as the original simulator prices it (compat.mac_tile_cycles):
// ceil(dense MACs / M · d_a), only the activation density (`MACLane.assign_op()` in its
// src/modules.py), so a full Edge tile (16·16·16 MACs, M = 16, d_a = 0.5) takes 128 cycles
// where matmul_tile_cycles() gives 64 at d_w = 0.5 too.
inline std::uint64_t original_matmul_tile_cycles(double dense_macs, double activation_density, int macs_per_lane) {
    return at_least_one(dense_macs / macs_per_lane * activation_density);
}

// MAC lane, GELU/ReLU tile: the non-linearity stage handles a whole tile per cycle
// (the original simulator's rule; its cost is in the lane's power figure).
inline std::uint64_t nonlinearity_tile_cycles() { return 1; }

// MAC lane, residual add: the adder tree adds `macs_per_lane` non-zero pairs per cycle.
inline std::uint64_t add_tile_cycles(std::uint64_t elements, double density, int macs_per_lane) {
    return at_least_one(double(elements) * density / macs_per_lane);
}

// MAC lane, one step of the reduction pass of a k split across units (docs/mapping.md §1.2):
// step 0 takes part 0's partial sum as the running sum (the tile's minimum cycle), each later
// step adds one part's dense partial sum to it on the adder tree, `macs_per_lane` pairs per
// cycle (add_tile_cycles at density 1: partial sums are dense).
inline std::uint64_t reduction_step_cycles(std::uint64_t elements, std::int64_t step, int macs_per_lane) {
    return step == 0 ? at_least_one(0) : add_tile_cycles(elements, 1.0, macs_per_lane);
}

// MAC lane, SwiGLU tile (SiLU(gate) * up): the tile passes the non-linearity stage once for
// SiLU (the GELU rule: one cycle per tile), then the multipliers take the element-wise
// products, `macs_per_lane` per cycle. As for a matmul, only pairs with both values non-zero
// take a multiplier (SiLU(0) = 0 keeps the gate's zeros), so a tile of `elements` costs
// 1 + ceil(elements * d_gate * d_up / macs_per_lane).
inline std::uint64_t swiglu_tile_cycles(std::uint64_t elements, double gate_density, double up_density,
                                        int macs_per_lane) {
    const double products = double(elements) * gate_density * up_density / macs_per_lane;
    return nonlinearity_tile_cycles() + (products > 0 ? at_least_one(products) : 0);
}

// MAC lane, rotary-embedding tile: each non-zero element x_i of a rotated pair needs two
// products (x_i cos and x_i sin, the pair partner's sum taken by the adder tree), so a tile of
// `elements` takes ceil(2 * elements * density / macs_per_lane) cycles. The cos/sin rows are
// dense operands read alongside.
inline std::uint64_t rotary_tile_cycles(std::uint64_t elements, double density, int macs_per_lane) {
    return at_least_one(2.0 * double(elements) * density / macs_per_lane);
}

// Softmax unit: one non-zero element per cycle (original: ceil(x * y * (1 - s_a))). Under a
// causal mask `elements` counts only the unmasked ones: masked scores are never exponentiated.
inline std::uint64_t softmax_tile_cycles(std::uint64_t elements, double density) {
    return at_least_one(double(elements) * density);
}
// The same rule from the count of non-zero unmasked scores (TileDensity::visible_a_nonzeros).
inline std::uint64_t softmax_tile_cycles(double nonzeros) { return at_least_one(nonzeros); }

// Top-k selection unit beside a softmax unit (functional mode, --sparsity topk): it takes the
// row's probabilities at `elements_per_cycle` (sparsity.topk_elements_per_cycle, default 1: the
// softmax unit's own rate) after the softmax has produced them. 0 cycles when top-k is off.
inline std::uint64_t topk_tile_cycles(std::uint64_t elements, double elements_per_cycle) {
    return elements == 0 ? 0 : at_least_one(double(elements) / elements_per_cycle);
}

// Layer-norm unit: original rule ceil(b * (x + y) * (1 - s_a)). RMSNorm uses the same rule: it
// keeps both passes over the tile (a reduction per row, then a scaling per element) and only
// drops the mean and the shift inside them, a difference the original's per-tile rule does
// not resolve.
inline std::uint64_t layernorm_tile_cycles(std::uint64_t rows_b, std::uint64_t rows, std::uint64_t cols,
                                           double density) {
    return at_least_one(double(rows_b) * double(rows + cols) * density);
}

}  // namespace acceltran::compute
