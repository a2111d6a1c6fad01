#include "modules/compute/layer_norm_unit.h"

#include "modules/compute/tile_timing.h"

namespace acceltran::compute {

std::uint64_t LayerNormUnit::tile_cycles(const OpContext& ctx, const workloads::TileStep& step) {
    const workloads::TileGrid& g = *ctx.grid;
    const auto& t = step.index;
    return layernorm_tile_cycles(std::uint64_t(g.rows_b(t.b)), std::uint64_t(g.rows_i(t.i)),
                                 std::uint64_t(g.cols_j(t.j)), ctx.a.layout->density);
}

}  // namespace acceltran::compute
