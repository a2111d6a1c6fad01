#include "modules/compute/mac_lane.h"

#include "modules/compute/functional_engine.h"
#include "modules/compute/tile_timing.h"

namespace acceltran::compute {

std::uint64_t MacLane::tile_cycles(const OpContext& ctx, const workloads::TileStep& step) {
    const workloads::TileGrid& g = *ctx.grid;
    const std::uint64_t elements = g.out_elements(step.index);
    // Functional mode: densities measured on this tile's values instead of the configured ones.
    const double a_density = measured ? (elements ? double(measured->a_nonzeros) / double(elements) : 1.0)
                                      : ctx.a.layout->density;
    std::uint64_t cycles;
    switch (ctx.op->kind) {
        case workloads::OpKind::MatMul:
            cycles = matmul_tile_cycles(
                measured ? pre_.record(measured->effectual_macs)
                         : pre_.effectual_macs(g.macs(step.index), ctx.a.layout->density, ctx.b.layout->density),
                macs_per_lane_);
            break;
        case workloads::OpKind::Add:
            cycles = add_tile_cycles(elements, a_density, macs_per_lane_);
            break;
        case workloads::OpKind::SwiGlu: {
            // The up projection is an activation like the gate; its own density when placed.
            const double up = ctx.a2.layout ? ctx.a2.layout->density : ctx.a.layout->density;
            cycles = swiglu_tile_cycles(g.out_elements(step.index), ctx.a.layout->density, up, macs_per_lane_);
            break;
        }
        case workloads::OpKind::Rotary:
            cycles = rotary_tile_cycles(g.out_elements(step.index), ctx.a.layout->density, macs_per_lane_);
            break;
        default:  // GELU / ReLU
            cycles = nonlinearity_tile_cycles();
            break;
    }
    if (step.write_output)
        post_.nonzeros(elements, measured ? (elements ? double(measured->out_nonzeros) / double(elements) : 1.0)
                                          : ctx.out.layout->density);
    return cycles;
}

}  // namespace acceltran::compute
