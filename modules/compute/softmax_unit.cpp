#include "modules/compute/softmax_unit.h"

#include "modules/compute/tile_timing.h"

namespace acceltran::compute {

std::uint64_t SoftmaxUnit::tile_cycles(const OpContext& ctx, const workloads::TileStep& step) {
    return softmax_tile_cycles(ctx.grid->out_elements(step.index), ctx.a.layout->density);
}

}  // namespace acceltran::compute
