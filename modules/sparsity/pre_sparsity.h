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
    // Passes `tiles` tiles of `effectual` pairs each to the lane (the fast level hands over a
    // job's identical tiles at once).
    double record(double effectual, std::uint64_t tiles = 1) {
        tiles_ += tiles;
        effectual_ += tiles == 1 ? effectual : effectual * double(tiles);
        return effectual;
    }
    std::uint64_t tiles() const { return tiles_; }
    double effectual() const { return effectual_; }

private:
    std::uint64_t tiles_ = 0;
    double effectual_ = 0;
};

}  // namespace acceltran::sparsity
