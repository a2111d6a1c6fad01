// The Gemmini template's host CPU core, in the shared modules' place of a softmax unit: it runs
// every op the systolic array cannot (softmax, layer/RMS norm, GELU, SwiGLU, residual add,
// rotary) in floating point, converting its int32 inputs to float and its results back to int8,
// with the data crossing L2 (the survey's baseline Gemmini, Sec. 3.4). Timing: systolic_timing.h,
// parameters and their calibration: docs/gemmini.md.
#pragma once

#include "core/accelerator_config.h"
#include "modules/compute/compute_unit.h"

namespace acceltran::host {

class HostCpu : public compute::ComputeUnit {
public:
    explicit HostCpu(const HostCpuConfig& config) : config_(config) {}
    compute::TileWork execute_repeated(const compute::OpContext& ctx, const workloads::TileStep& step,
                              const compute::TileDensity& density,
                              std::uint64_t count) override;

private:
    HostCpuConfig config_;
};

}  // namespace acceltran::host
