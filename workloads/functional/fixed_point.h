// The accelerator's fixed-point number format: a signed word of `int_bits` integer bits (the sign
// included) and `frac_bits` fraction bits, two's complement, saturating. IL 4, FL 16 by default
// (the original's 20-bit word): values in [-8, 8 - 2^-16], resolution 2^-16.
// Values are held as their raw integer (value x 2^frac_bits) in an int32.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

namespace acceltran::functional {

enum class Rounding : std::uint8_t { Nearest, Stochastic };

const char* to_string(Rounding r);
// "nearest" or "stochastic"; InputError otherwise.
Rounding parse_rounding(const std::string& text);

struct FixedPointFormat {
    int int_bits = 4;
    int frac_bits = 16;
    Rounding rounding = Rounding::Nearest;

    int bits() const { return int_bits + frac_bits; }
    double lsb() const { return std::ldexp(1.0, -frac_bits); }
    std::int32_t max_raw() const { return std::int32_t((std::int64_t(1) << (bits() - 1)) - 1); }
    std::int32_t min_raw() const { return std::int32_t(-(std::int64_t(1) << (bits() - 1))); }
    double max_value() const { return max_raw() * lsb(); }
    double min_value() const { return min_raw() * lsb(); }
    double to_double(std::int32_t raw) const { return raw * lsb(); }

    std::int32_t saturate(std::int64_t raw) const {
        return raw > max_raw() ? max_raw() : raw < min_raw() ? min_raw() : std::int32_t(raw);
    }
    // Rounds x to the format. Nearest: ties away from zero. Stochastic: rounds up with
    // probability equal to the discarded fraction, `uniform` in [0, 1) supplying the draw.
    std::int32_t quantize(double x, double uniform = 0.5) const {
        if (std::isnan(x)) return 0;
        const double scaled = std::ldexp(x, frac_bits);
        if (scaled >= double(max_raw())) return max_raw();
        if (scaled <= double(min_raw())) return min_raw();
        double r;
        if (rounding == Rounding::Nearest) {
            r = std::round(scaled);
        } else {
            const double lo = std::floor(scaled);
            r = (scaled - lo) > uniform ? lo + 1 : lo;
        }
        return saturate(std::int64_t(r));
    }
};

}  // namespace acceltran::functional
