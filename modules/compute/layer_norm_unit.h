// The layer-norm unit of a processing element: mean, variance and normalisation of a tile; also
// runs RMSNorm tiles (root mean square and scaling) with the same per-tile rule.
#pragma once

#include "modules/compute/compute_unit.h"

namespace acceltran::compute {

class LayerNormUnit : public ComputeUnit {
public:
    TileWork execute_repeated(const OpContext& ctx, const workloads::TileStep& step, const TileDensity& density,
                              std::uint64_t count) override;
};

}  // namespace acceltran::compute
