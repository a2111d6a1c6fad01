// splitmix64's finaliser: the functional mode's per-element draws (stochastic rounding, the
// magnitude sample), so that values never depend on the order in which units finish tiles.
#pragma once

#include <cstdint>

namespace acceltran::compute {

inline std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

}  // namespace acceltran::compute
