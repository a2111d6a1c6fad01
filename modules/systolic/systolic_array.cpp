#include "modules/systolic/systolic_array.h"

#include <stdexcept>

#include "modules/systolic/systolic_timing.h"

namespace acceltran::systolic {

compute::TileWork SystolicArray::execute_repeated(const compute::OpContext& ctx, const workloads::TileStep& step,
                                                  const compute::TileDensity&, std::uint64_t count) {
    // A fused GELU (op_fusion.h) is applied as the sums leave the array: no cycles of its own.
    compute::TileWork work;
    macs_ += double(ctx.grid->macs(step.index)) * double(count);  // integers: exact
    const bool first = activity.jobs != jobs_seen_;
    // The job's first tile costs more than the identical ones after it: one TileWork cannot
    // stand for both (JobPlan hands the first tile over alone).
    if (first && count > 1) throw std::logic_error("SystolicArray: a job's first tile must be executed alone");
    jobs_seen_ = activity.jobs;
    const auto rows = std::uint64_t(ctx.grid->rows_b(step.index.b) * ctx.grid->rows_i(step.index.i));
    work.cycles = config_.weight_stationary
                      ? weight_stationary_cycles(rows, config_.dim, step.read_b, first)
                      : output_stationary_cycles(rows, std::uint64_t(ctx.grid->depth_k(step.index.k)), config_.dim,
                                                 step.write_output || step.write_psum, first);
    return work;
}

}  // namespace acceltran::systolic
