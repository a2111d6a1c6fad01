// The layer-norm unit of a processing element: mean, variance and normalisation of a tile.
#pragma once

#include "modules/compute/compute_unit.h"

namespace acceltran::compute {

class LayerNormUnit : public ComputeUnit {
public:
    std::uint64_t tile_cycles(const OpContext& ctx, const workloads::TileStep& step) override;
};

}  // namespace acceltran::compute
