#include "modules/compute/layer_norm_unit.h"

#include "modules/compute/functional_engine.h"
#include "modules/compute/tile_timing.h"

namespace acceltran::compute {

std::uint64_t LayerNormUnit::tile_cycles(const OpContext& ctx, const workloads::TileStep& step) {
    const workloads::TileGrid& g = *ctx.grid;
    const auto& t = step.index;
    const std::uint64_t elements = g.out_elements(t);
    // Functional mode: the tile's measured density instead of the configured one.
    const double density = measured ? (elements ? double(measured->a_nonzeros) / double(elements) : 1.0)
                                    : ctx.a.layout->density;
    return layernorm_tile_cycles(std::uint64_t(g.rows_b(t.b)), std::uint64_t(g.rows_i(t.i)),
                                 std::uint64_t(g.cols_j(t.j)), density);
}

}  // namespace acceltran::compute
