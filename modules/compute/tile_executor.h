// What every compute unit kind does with a tile its PE hands it: the busy cycles of the tile at
// the densities decided for it (TileDensity), and what its sparsity units did. The PE reads the
// operands before and writes the result after; the executor only prices the compute, so each
// unit kind's rule lives in one class (MacLane, SoftmaxUnit, LayerNormUnit) and the PE and the
// fast level's JobPlan need not know which kind they are driving.
#pragma once

#include <cstdint>

#include "modules/compute/op_context.h"
#include "modules/compute/tile_density.h"
#include "workloads/tiling.h"

namespace acceltran::compute {

struct TileWork {
    std::uint64_t cycles = 0;                // busy cycles of the unit (tile_timing.h)
    std::uint32_t pre_sparsity_tiles = 0;    // tiles through the pre-sparsity unit (MAC lanes: 0 or 1)
    std::uint32_t post_sparsity_tiles = 0;   // tiles through the post-sparsity unit (MAC lanes: 0 or 1)
    // The part of `cycles` spent converting number formats (int32/int8 to float and back), for a
    // unit that computes in another format than the buffers hold; 0 for AccelTran's units.
    std::uint64_t conversion_cycles = 0;
    // Cycles the unit stays occupied after `cycles` without working or drawing power: the
    // original simulator's bubble (compat.mac_tile_cycles, OriginalIssueRules); 0 otherwise.
    std::uint64_t idle_cycles = 0;
};

class TileExecutor {
public:
    virtual ~TileExecutor() = default;
    // Runs one tile of `ctx` (and the unit's own bookkeeping for it, such as its sparsity counts).
    TileWork execute(const OpContext& ctx, const workloads::TileStep& step, const TileDensity& density) {
        return execute_repeated(ctx, step, density, 1);
    }
    // Runs `count` tiles identical to `step` (same extents, step flags and densities), as the
    // fast level's JobPlan hands them over (one call per distinct tile of a job): returns one
    // tile's work and keeps the unit's activity counters as `count` calls of execute() would,
    // except that a fractional count summed `count` times is multiplied instead (the same value
    // up to rounding in the last bits). A unit whose first tile of a job costs more
    // (SystolicArray) is given that tile alone (count 1).
    virtual TileWork execute_repeated(const OpContext& ctx, const workloads::TileStep& step, const TileDensity& density,
                                      std::uint64_t count) = 0;
};

}  // namespace acceltran::compute
