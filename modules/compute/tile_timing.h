// Busy cycles of one tile on each unit class. Sources and the reasons we differ from the
// original simulator are in docs/model-reference.md ("Per-tile timing").
#pragma once

#include <cstdint>

namespace acceltran::compute {

// Every tile occupies its unit for at least one cycle, even when every value is zero: the
// masks still have to pass through the pipeline.
inline std::uint64_t at_least_one(double cycles) {
    std::uint64_t c = std::uint64_t(cycles);
    if (double(c) < cycles) ++c;  // ceil without the cost of std::ceil's double round trip
    return c == 0 ? 1 : c;
}

// MAC lane, matmul tile: only effectual MACs (both operands non-zero) take a multiplier slot;
// `macs_per_lane` of them retire per cycle.
inline std::uint64_t matmul_tile_cycles(double effectual_macs, int macs_per_lane) {
    return at_least_one(effectual_macs / macs_per_lane);
}

// MAC lane, GELU/ReLU tile: the non-linearity stage handles a whole tile per cycle
// (the original simulator's rule; its cost is in the lane's power figure).
inline std::uint64_t nonlinearity_tile_cycles() { return 1; }

// MAC lane, residual add: the adder tree adds `macs_per_lane` non-zero pairs per cycle.
inline std::uint64_t add_tile_cycles(std::uint64_t elements, double density, int macs_per_lane) {
    return at_least_one(double(elements) * density / macs_per_lane);
}

// Softmax unit: one non-zero element per cycle (original: ceil(x * y * (1 - s_a))).
inline std::uint64_t softmax_tile_cycles(std::uint64_t elements, double density) {
    return at_least_one(double(elements) * density);
}

// Layer-norm unit: original rule ceil(b * (x + y) * (1 - s_a)).
inline std::uint64_t layernorm_tile_cycles(std::uint64_t rows_b, std::uint64_t rows, std::uint64_t cols,
                                           double density) {
    return at_least_one(double(rows_b) * double(rows + cols) * density);
}

}  // namespace acceltran::compute
