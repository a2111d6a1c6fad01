// The pre-sparsity unit in front of each MAC lane: it ANDs the activation and weight masks of a
// tile so the lane is fed only effectual pairs. The count comes with the tile's densities
// (modules/compute/tile_density.h): in timing-only mode the masks are not real, so it is the
// expected value for independent zeros, macs * d_a * d_b; in the functional mode it is counted
// from the tile's values (FunctionalEngine).
#pragma once

#include <cstdint>

namespace acceltran::sparsity {

class PreSparsity {
public:
    // Passes one tile of `effectual` pairs to the lane.
    double record(double effectual) {
        ++tiles_;
        effectual_ += effectual;
        return effectual;
    }
    std::uint64_t tiles() const { return tiles_; }
    double effectual() const { return effectual_; }

private:
    std::uint64_t tiles_ = 0;
    double effectual_ = 0;
};

}  // namespace acceltran::sparsity
