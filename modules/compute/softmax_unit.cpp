#include "modules/compute/softmax_unit.h"

#include "modules/compute/functional_engine.h"
#include "modules/compute/tile_timing.h"

namespace acceltran::compute {

std::uint64_t SoftmaxUnit::tile_cycles(const OpContext& ctx, const workloads::TileStep& step) {
    // Only unmasked scores are exponentiated and summed (all of them without a causal mask).
    // Functional mode: the tile's measured non-zero scores (the functional mode has no causal mask).
    const std::uint64_t visible = ctx.grid->visible(step.index);
    if (measured)
        return softmax_tile_cycles(measured->a_nonzeros, 1.0) +
               topk_tile_cycles(measured->topk_elements, topk_elements_per_cycle_);
    return softmax_tile_cycles(visible, ctx.a.layout->density);
}

}  // namespace acceltran::compute
