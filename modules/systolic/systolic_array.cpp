#include "modules/systolic/systolic_array.h"

#include "modules/systolic/systolic_timing.h"

namespace acceltran::systolic {

compute::TileWork SystolicArray::execute(const compute::OpContext& ctx, const workloads::TileStep& step,
                                         const compute::TileDensity&) {
    // A fused GELU (op_fusion.h) is applied as the sums leave the array: no cycles of its own.
    compute::TileWork work;
    macs_ += double(ctx.grid->macs(step.index));
    const bool first = activity.jobs != jobs_seen_;
    jobs_seen_ = activity.jobs;
    const auto rows = std::uint64_t(ctx.grid->rows_b(step.index.b) * ctx.grid->rows_i(step.index.i));
    work.cycles = config_.weight_stationary
                      ? weight_stationary_cycles(rows, config_.dim, step.read_b, first)
                      : output_stationary_cycles(rows, std::uint64_t(ctx.grid->depth_k(step.index.k)), config_.dim,
                                                 step.write_output || step.write_psum, first);
    return work;
}

}  // namespace acceltran::systolic
