// Random draws whose values are fixed by the seed alone. std::mt19937_64's output sequence is
// specified by the standard, but std::uniform_real_distribution and std::normal_distribution
// are not (libstdc++ and libc++ give different numbers), so the transforms are ours: generated
// weights and tokens, and stochastic rounding, are the same on every platform and library.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>

namespace acceltran::functional {

class RandomStream {
public:
    explicit RandomStream(std::uint64_t seed) : engine_(seed) {}
    // A stream per name: the values of one tensor do not depend on which tensors were drawn
    // before it.
    RandomStream(std::uint64_t seed, const std::string& name) : engine_(mix(seed, name)) {}

    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return double(engine_() >> 11) * 0x1.0p-53; }

    // Standard normal, Box-Muller; the second value of each pair is kept for the next call.
    double normal() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        const double u1 = 1.0 - uniform();  // (0, 1]: log(0) would be -inf
        const double u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        const double angle = 6.283185307179586476925 * u2;
        spare_ = r * std::sin(angle);
        has_spare_ = true;
        return r * std::cos(angle);
    }

    // Uniform integer in [0, n), n >= 1, without modulo bias (rejects the top partial range).
    std::uint64_t below(std::uint64_t n) {
        const std::uint64_t limit = ~std::uint64_t(0) - (~std::uint64_t(0) % n + 1) % n;
        std::uint64_t x;
        do x = engine_();
        while (x > limit);
        return x % n;
    }

    // FNV-1a of the name, then splitmix64 with the seed: different names give unrelated seeds.
    static std::uint64_t mix(std::uint64_t seed, const std::string& name) {
        std::uint64_t h = 1469598103934665603ull;
        for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
        std::uint64_t z = seed + 0x9e3779b97f4a7c15ull * (h | 1);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }

private:
    std::mt19937_64 engine_;
    double spare_ = 0.0;
    bool has_spare_ = false;
};

}  // namespace acceltran::functional
