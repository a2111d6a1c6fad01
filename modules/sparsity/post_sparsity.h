// The post-sparsity unit after each MAC lane: it compares every value of an output tile with the
// DynaTran threshold and writes the mask. In timing-only mode it reports the configured density.
#pragma once

#include <cstdint>

namespace acceltran::sparsity {

class PostSparsity {
public:
    // Non-zeros of one output tile; `tiles` identical tiles are counted at once.
    double nonzeros(std::uint64_t elements, double density, std::uint64_t tiles = 1) {
        tiles_ += tiles;
        return double(elements) * density;
    }
    std::uint64_t tiles() const { return tiles_; }

private:
    std::uint64_t tiles_ = 0;
};

}  // namespace acceltran::sparsity
