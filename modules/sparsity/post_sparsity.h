// The post-sparsity unit after each MAC lane: it compares every value of an output tile with the
// DynaTran threshold and writes the mask. In timing-only mode it reports the configured density.
#pragma once

#include <cstdint>

namespace acceltran::sparsity {

class PostSparsity {
public:
    double nonzeros(std::uint64_t elements, double density) {
        ++tiles_;
        double nz = double(elements) * density;
        nonzeros_ += nz;
        elements_ += elements;
        return nz;
    }
    std::uint64_t tiles() const { return tiles_; }
    double nonzeros_total() const { return nonzeros_; }
    std::uint64_t elements() const { return elements_; }

private:
    std::uint64_t tiles_ = 0;
    double nonzeros_ = 0;
    std::uint64_t elements_ = 0;
};

}  // namespace acceltran::sparsity
