#include "modules/compute/mac_lane.h"

#include "modules/compute/tile_timing.h"

namespace acceltran::compute {

TileWork MacLane::execute_repeated(const OpContext& ctx, const workloads::TileStep& step, const TileDensity& density,
                                   std::uint64_t count) {
    const std::uint64_t elements = ctx.grid->out_elements(step.index);
    TileWork work;
    if (ctx.grid->reduction()) {
        // The reduction pass of a matmul whose k is split across units: adds, no MACs.
        work.cycles = reduction_step_cycles(elements, step.index.k, macs_per_lane_);
        if (step.write_output) {
            post_.nonzeros(elements, density.out, count);
            work.post_sparsity_tiles = 1;
        }
        return work;
    }
    switch (ctx.op->kind) {
        case workloads::OpKind::MatMul:
            // The pre-sparsity unit lets only the effectual pairs through.
            work.cycles = matmul_tile_cycles(pre_.record(density.effectual_macs, count), macs_per_lane_);
            if (original_tile_cycles_)
                work.cycles = original_matmul_tile_cycles(double(ctx.grid->macs(step.index)), density.a, macs_per_lane_);
            work.pre_sparsity_tiles = 1;
            break;
        case workloads::OpKind::Add:
            work.cycles = add_tile_cycles(elements, density.a, macs_per_lane_);
            break;
        case workloads::OpKind::SwiGlu: {
            // The up projection is an activation like the gate; its own density when placed.
            const double up = ctx.a2.layout ? density.a2 : density.a;
            work.cycles = swiglu_tile_cycles(elements, density.a, up, macs_per_lane_);
            break;
        }
        case workloads::OpKind::Rotary:
            work.cycles = rotary_tile_cycles(elements, density.a, macs_per_lane_);
            break;
        default:  // GELU / ReLU
            work.cycles = nonlinearity_tile_cycles();
            break;
    }
    if (step.write_output) {
        post_.nonzeros(elements, density.out, count);
        work.post_sparsity_tiles = 1;
    }
    return work;
}

}  // namespace acceltran::compute
