// The pre-sparsity unit in front of each MAC lane: it ANDs the activation and weight masks of a
// tile so the lane is fed only effectual pairs. In timing-only mode the masks are not real, so
// the effectual count is the expected value for independent zeros: macs * d_a * d_b; in the
// functional mode it is counted from the tile's values (FunctionalEngine).
#pragma once

#include <cstdint>

namespace acceltran::sparsity {

class PreSparsity {
public:
    double effectual_macs(std::uint64_t macs, double density_a, double density_b) {
        ++tiles_;
        double effectual = double(macs) * density_a * density_b;
        effectual_ += effectual;
        return effectual;
    }
    // Functional mode: the effectual pairs the real masks give.
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
