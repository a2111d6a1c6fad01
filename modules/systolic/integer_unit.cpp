#include "modules/systolic/integer_unit.h"

#include "modules/systolic/systolic_timing.h"

namespace acceltran::systolic {

using workloads::OpKind;

compute::TileWork IntegerUnit::execute_repeated(const compute::OpContext& ctx, const workloads::TileStep& step,
                                       const compute::TileDensity&,
                                                std::uint64_t /*count: no activity counters*/) {
    const workloads::TileGrid& g = *ctx.grid;
    const std::uint64_t elements = ctx.op->kind == OpKind::Softmax ? g.visible(step.index) : g.out_elements(step.index);
    compute::TileWork work;
    work.cycles = integer_unit_cycles(elements, integer_passes(ctx.op->kind, config_),
                                      normalization_ ? config_.normalization_lanes : config_.lanes);
    return work;
}

}  // namespace acceltran::systolic
