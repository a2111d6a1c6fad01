// Converts between clock cycles and SystemC time. Every module computes in cycles (fractional
// where a bandwidth splits a cycle) and converts only at the kernel boundary, always from
// absolute values, so rounding never accumulates (700 MHz is not a whole number of ps).
#pragma once

#include <cmath>

#include <systemc>

namespace acceltran {

class Clock {
public:
    explicit Clock(double mhz) : mhz_(mhz), period_ps_(1e6 / mhz) {}
    double mhz() const { return mhz_; }
    double hz() const { return mhz_ * 1e6; }
    sc_core::sc_time to_time(double cycles) const {
        return sc_core::sc_time(cycles * period_ps_, sc_core::SC_PS);
    }
    double to_cycles(const sc_core::sc_time& t) const { return t.to_seconds() * hz(); }
    double now() const { return to_cycles(sc_core::sc_time_stamp()); }
    // Delay from now until absolute cycle `at` (never negative).
    sc_core::sc_time until(double at) const {
        sc_core::sc_time t = to_time(at);
        sc_core::sc_time n = sc_core::sc_time_stamp();
        return t > n ? t - n : sc_core::SC_ZERO_TIME;
    }

private:
    double mhz_;
    double period_ps_;
};

}  // namespace acceltran
