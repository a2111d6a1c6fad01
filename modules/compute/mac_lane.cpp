#include "modules/compute/mac_lane.h"

#include "modules/compute/tile_timing.h"

namespace acceltran::compute {

std::uint64_t MacLane::tile_cycles(const OpContext& ctx, const workloads::TileStep& step) {
    const workloads::TileGrid& g = *ctx.grid;
    std::uint64_t cycles;
    switch (ctx.op->kind) {
        case workloads::OpKind::MatMul:
            cycles = matmul_tile_cycles(
                pre_.effectual_macs(g.macs(step.index), ctx.a.layout->density, ctx.b.layout->density),
                macs_per_lane_);
            break;
        case workloads::OpKind::Add:
            cycles = add_tile_cycles(g.out_elements(step.index), ctx.a.layout->density, macs_per_lane_);
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
    if (step.write_output) post_.nonzeros(g.out_elements(step.index), ctx.out.layout->density);
    return cycles;
}

}  // namespace acceltran::compute
