#include "modules/compute/softmax_unit.h"

#include "modules/compute/tile_timing.h"

namespace acceltran::compute {

std::uint64_t SoftmaxUnit::tile_cycles(const OpContext& ctx, const workloads::TileStep& step) {
    // Only unmasked scores are exponentiated and summed (all of them without a causal mask).
    return softmax_tile_cycles(ctx.grid->visible(step.index), ctx.a.layout->density);
}

}  // namespace acceltran::compute
