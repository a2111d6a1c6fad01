// The Gemmini template's W x W systolic array (int8 x int8 -> int32), in the shared modules'
// place of a MAC lane: the PE hands it matmul tiles (A rows x one W x W block of B). A GELU fused
// into the matmul (I-BERT, workloads/op_fusion.h) is applied by the output stage as the sums
// leave and costs no cycles. Timing: systolic_timing.h, docs/gemmini.md.
#pragma once

#include "core/accelerator_config.h"
#include "modules/compute/compute_unit.h"

namespace acceltran::systolic {

class SystolicArray : public compute::ComputeUnit {
public:
    explicit SystolicArray(const SystolicConfig& config) : config_(config) {}
    compute::TileWork execute_repeated(const compute::OpContext& ctx, const workloads::TileStep& step,
                              const compute::TileDensity& density,
                              std::uint64_t count) override;
    // Dense int8 data: every MAC of a tile does work (the unmasked ones under a causal mask).
    double effectual_macs() const override { return macs_; }

private:
    SystolicConfig config_;
    std::uint64_t jobs_seen_ = 0;
    double macs_ = 0;  // activity.jobs when the last tile ran: a change starts a job
};

}  // namespace acceltran::systolic
