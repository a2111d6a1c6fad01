// The densities one tile runs at, decided once per tile (docs/model-reference.md §4):
// the configured ratios of its tensors in timing-only runs, or the non-zeros the functional
// engine counted on the tile's values when it is attached. The PE moves the operand and output
// blocks at these densities and hands the same figures to the executor of the tile's unit, so
// the bytes transferred and the busy cycles never disagree about a tile.
#pragma once

#include <cstdint>

#include "modules/compute/op_context.h"
#include "workloads/tiling.h"

namespace acceltran::compute {

struct TileMeasure;

struct TileDensity {
    // Fraction of non-zero values in each block the tile moves: operand blocks a, a2 (the second
    // input of an element-wise op) and b, and the output block; 1 for an operand the op lacks.
    double a = 1, a2 = 1, b = 1, out = 1;
    // Matmul tiles: MAC pairs with both operands non-zero (what the pre-sparsity unit lets
    // through). Counts rather than fractions where a unit's rule takes counts, so that a measured
    // count reaches the cycle rule without a round trip through a fraction.
    double effectual_macs = 0;
    // Softmax tiles: non-zero scores among those the causal mask keeps.
    double visible_a_nonzeros = 0;
    // Softmax tiles under top-k (functional mode only): values through the selection unit.
    std::uint64_t topk_elements = 0;
};

// `measured`: the functional engine's counts for this tile, or null for the configured ratios.
TileDensity tile_density(const OpContext& ctx, const workloads::TileStep& step, const TileMeasure* measured);

}  // namespace acceltran::compute
