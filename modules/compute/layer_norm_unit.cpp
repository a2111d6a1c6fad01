#include "modules/compute/layer_norm_unit.h"

#include "modules/compute/tile_timing.h"

namespace acceltran::compute {

TileWork LayerNormUnit::execute_repeated(const OpContext& ctx, const workloads::TileStep& step, const TileDensity& density,
                                         std::uint64_t /*count: no activity counters*/) {
    const workloads::TileGrid& g = *ctx.grid;
    const auto& t = step.index;
    TileWork work;
    work.cycles = layernorm_tile_cycles(std::uint64_t(g.rows_b(t.b)), std::uint64_t(g.rows_i(t.i)),
                                        std::uint64_t(g.cols_j(t.j)), density.a);
    return work;
}

}  // namespace acceltran::compute
