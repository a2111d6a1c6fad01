// Clock (modules/tlm/clock.h) converts cycles to SystemC time and back with the kernel's own
// formulas computed inline: the results must be those of sc_time(ps, SC_PS) and
// to_seconds() * hz bit for bit, or simulated times (and the goldens) would move.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>

#include <systemc>

#include "modules/tlm/clock.h"

using namespace acceltran;

TEST_CASE("Clock: cycles to time and back match the SystemC kernel's conversions bit for bit", "[modules][clock]") {
    std::mt19937_64 random(25);
    for (const double mhz : {700.0, 1000.0, 933.3, 1.0, 3200.0}) {
        INFO("clock " << mhz << " MHz");
        const Clock clock(mhz);
        const double period_ps = 1e6 / mhz;
        std::uniform_real_distribution<double> exponent(-3.0, 12.0);
        int mismatches = 0;
        for (int n = 0; n < 200000; ++n) {
            // Fractional and whole cycle counts from a thousandth of a cycle to 10^12 cycles.
            double cycles = std::pow(10.0, exponent(random));
            if (n % 3 == 0) cycles = std::floor(cycles);
            const sc_core::sc_time want(cycles * period_ps, sc_core::SC_PS);
            const sc_core::sc_time got = clock.to_time(cycles);
            if (got != want || clock.to_cycles(got) != want.to_seconds() * clock.hz()) ++mismatches;
        }
        CHECK(mismatches == 0);
        CHECK(clock.to_time(0) == sc_core::SC_ZERO_TIME);
        CHECK(clock.to_cycles(sc_core::SC_ZERO_TIME) == 0);
    }
}
