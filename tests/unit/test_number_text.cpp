// write_general (core/number_text.h) against its specification, printf's "%.<digits>g" in the C
// locale: the whole numbers it writes as integers (timeline.csv's zeros, cycle counts, byte
// counts), the boundaries of that shortcut (10^digits, 10^15, -0, fractions next to a whole
// number) and random doubles of every magnitude, which take std::to_chars's general path.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/number_text.h"

namespace {

std::string general_text(double value, int digits) {
    char buffer[64];
    return std::string(buffer, acceltran::write_general(buffer, buffer + sizeof buffer, value, digits));
}

std::string printf_text(double value, int digits) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
    return buffer;
}

}  // namespace

TEST_CASE("write_general writes printf's %g characters, whole numbers through the integer shortcut included",
          "[core][number_text]") {
    std::vector<double> values = {0.0, -0.0, 1.0, -1.0, 8.0, 81920.0, 163840.0, 22610.0, 0.5, -0.5, 1.5,
                                  std::nextafter(1.0, 2.0), std::nextafter(1.0, 0.0), 4096.000000001,
                                  std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                                  std::numeric_limits<double>::quiet_NaN(), 9007199254740992.0, 9007199254740993.0,
                                  1e300, -1e-300, 5e-324};
    // Every power of ten and its neighbours, where the shortcut's bounds (10^digits, 10^15) lie.
    for (int e = 0; e <= 18; ++e) {
        const double p = std::pow(10.0, e);
        for (double v : {p - 1, p, p + 1, -(p - 1), -p, -(p + 1), std::nextafter(p, 0.0), std::nextafter(p, 1e300)})
            values.push_back(v);
    }
    std::mt19937_64 rng(20261207);
    std::uniform_int_distribution<std::int64_t> whole(-2000000000000LL, 2000000000000LL);
    std::uniform_real_distribution<double> exponent(-30.0, 30.0);
    for (int i = 0; i < 20000; ++i) {
        values.push_back(double(whole(rng)));
        values.push_back(std::pow(10.0, exponent(rng)) * (i % 2 ? 1 : -1));
    }
    int checked = 0;
    for (int digits : {1, 6, 9, 15, 16, 17}) {
        for (double v : values) {
            const std::string ours = general_text(v, digits), reference = printf_text(v, digits);
            if (ours != reference) {
                INFO("value " << reference << " at " << digits << " digits");
                CHECK(ours == reference);
            }
            ++checked;
        }
    }
    CHECK(checked == 6 * int(values.size()));
    // The shortcut and its limits, spelled out.
    CHECK(general_text(0.0, 9) == "0");
    CHECK(general_text(-0.0, 9) == "-0");
    CHECK(general_text(81920.0, 9) == "81920");
    CHECK(general_text(123456789.0, 9) == "123456789");
    CHECK(general_text(1e9, 9) == "1e+09");
    CHECK(general_text(1234567890.0, 17) == "1234567890");
}
