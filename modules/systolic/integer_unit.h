// The I-BERT integer units of the survey's transformer-tuned Gemmini (Sec. 3.4), in the shared
// modules' places of a softmax unit (an activation unit: integer GELU, exp-based softmax, SwiGLU,
// residual add, rotary) and of a layer-norm unit (the normalization unit, which reads the
// accumulator in several passes: sums, sums of squares, then the scaling). Each pass handles
// `lanes` elements per cycle. Timing: systolic_timing.h, docs/gemmini.md.
#pragma once

#include "core/accelerator_config.h"
#include "modules/compute/compute_unit.h"

namespace acceltran::systolic {

class IntegerUnit : public compute::ComputeUnit {
public:
    // `normalization`: the multi-pass normalization unit; otherwise an activation unit.
    IntegerUnit(const IntegerUnitsConfig& config, bool normalization) : config_(config), normalization_(normalization) {}
    compute::TileWork execute_repeated(const compute::OpContext& ctx, const workloads::TileStep& step,
                              const compute::TileDensity& density,
                              std::uint64_t count) override;

private:
    IntegerUnitsConfig config_;
    bool normalization_;
};

}  // namespace acceltran::systolic
