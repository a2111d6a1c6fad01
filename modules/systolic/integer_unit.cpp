#include "modules/systolic/integer_unit.h"

#include "modules/systolic/systolic_timing.h"

namespace acceltran::systolic {

using workloads::OpKind;

int IntegerUnit::passes(OpKind kind) const {
    switch (kind) {
        case OpKind::LayerNorm:
        case OpKind::RmsNorm: return config_.normalization_passes;
        case OpKind::Softmax: return 3;  // running max, exp and sum, scaling (I-BERT's i-exp softmax)
        case OpKind::SwiGlu:
        case OpKind::Rotary: return 2;   // the non-linearity or first product, then the second
        default: return 1;               // GELU (i-GELU polynomial), residual add
    }
}

compute::TileWork IntegerUnit::execute(const compute::OpContext& ctx, const workloads::TileStep& step,
                                       const compute::TileDensity&) {
    const workloads::TileGrid& g = *ctx.grid;
    const std::uint64_t elements = ctx.op->kind == OpKind::Softmax ? g.visible(step.index) : g.out_elements(step.index);
    compute::TileWork work;
    work.cycles = integer_unit_cycles(elements, passes(ctx.op->kind),
                                      normalization_ ? config_.normalization_lanes : config_.lanes);
    return work;
}

}  // namespace acceltran::systolic
