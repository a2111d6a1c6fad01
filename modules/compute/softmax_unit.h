// A softmax unit: one tile of attention scores at a time (exponentials, row sums, division).
#pragma once

#include "modules/compute/compute_unit.h"

namespace acceltran::compute {

class SoftmaxUnit : public ComputeUnit {
public:
    std::uint64_t tile_cycles(const OpContext& ctx, const workloads::TileStep& step) override;
};

}  // namespace acceltran::compute
