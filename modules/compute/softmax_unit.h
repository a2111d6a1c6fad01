// A softmax unit: one tile of attention scores at a time (exponentials, row sums, division).
#pragma once

#include "modules/compute/compute_unit.h"

namespace acceltran::compute {

class SoftmaxUnit : public ComputeUnit {
public:
    explicit SoftmaxUnit(double topk_elements_per_cycle = 1) : topk_elements_per_cycle_(topk_elements_per_cycle) {}
    TileWork execute_repeated(const OpContext& ctx, const workloads::TileStep& step, const TileDensity& density,
                              std::uint64_t count) override;

private:
    double topk_elements_per_cycle_;
};

}  // namespace acceltran::compute
