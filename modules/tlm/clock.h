// Converts between clock cycles and SystemC time. Every module computes in cycles (fractional
// where a bandwidth splits a cycle) and converts only at the kernel boundary, always from
// absolute values, so rounding never accumulates (700 MHz is not a whole number of ps).
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include <systemc>

namespace acceltran {

class Clock {
public:
    explicit Clock(double mhz) : mhz_(mhz), period_ps_(1e6 / mhz) {}
    double mhz() const { return mhz_; }
    double hz() const { return mhz_ * 1e6; }
    // The kernel's own conversions, sc_time(ps, SC_PS) and t.to_seconds() * hz(), bit for bit,
    // without their look-up of the simulation context on every call (a tenth of the fast
    // level's CPU time on decoder runs, docs/performance.md). At SystemC 2.3.4's default
    // resolution of 1 ps (which nothing here changes) they are: m = trunc(ps * (1000 fs /
    // 1000 fs) + 0.5) for ps != 0, and seconds = (m * 1000 fs) * 1e-15 (sc_time.cpp,
    // sc_time::sc_time(double, sc_time_unit) and sc_time::to_seconds); at another resolution
    // the kernel's functions are called.
    sc_core::sc_time to_time(double cycles) const {
        volatile double ps = cycles * period_ps_;  // rounded as the kernel's argument was
        if (!picosecond_resolution()) return sc_core::sc_time(ps, sc_core::SC_PS);
        if (ps == 0) return sc_core::SC_ZERO_TIME;
        volatile double rounded = ps * 1.0 + 0.5;
        return from_value(sc_core::sc_time::value_type(std::int64_t(rounded)));
    }
    double to_cycles(const sc_core::sc_time& t) const {
        if (!picosecond_resolution()) return t.to_seconds() * hz();
        const double seconds = double(t.value()) * 1000.0 * 1e-15;
        return seconds * hz();
    }
    double now() const { return to_cycles(stamp()); }
    // The current simulated time: sc_time_stamp() without its call into the library, which is
    // this inline read of the current context's time (sc_simcontext.cpp).
    static const sc_core::sc_time& stamp() {
        sc_core::sc_simcontext* context = sc_core::sc_curr_simcontext;
        return (context != nullptr ? context : sc_core::sc_get_curr_simcontext())->time_stamp();
    }
    // Delay from now until absolute cycle `at` (never negative).
    sc_core::sc_time until(double at) const {
        sc_core::sc_time t = to_time(at);
        const sc_core::sc_time& n = stamp();
        return t > n ? t - n : sc_core::SC_ZERO_TIME;
    }
    // The cycle that a delay of until(at) from now lands on, to_cycles(stamp() + until(at)):
    // `at` rounded to the time resolution, and not before now. What a target sees as the
    // arrival of an access annotated with until(at), and what the initiator reads back from a
    // returned delay; the PE's direct timing path computes both with it.
    double landing(double at) const {
        const sc_core::sc_time t = to_time(at);
        const sc_core::sc_time& n = stamp();
        return to_cycles(t > n ? t : n);
    }

private:
    static bool picosecond_resolution() {
        static const bool ps = sc_core::sc_time(1.0, sc_core::SC_PS).value() == 1;
        return ps;
    }
    // sc_time::from_value(v) without its call into the library (which also checks the
    // simulation context, already set up when a Clock converts): sc_time is a standard-layout
    // class whose one member is its value, so the object and the value share an address
    // ([basic.compound]) and the value can be written through it.
    static sc_core::sc_time from_value(sc_core::sc_time::value_type v) {
        static_assert(std::is_standard_layout<sc_core::sc_time>::value &&
                          sizeof(sc_core::sc_time) == sizeof(sc_core::sc_time::value_type),
                      "sc_time is no longer just its value");
        sc_core::sc_time t;
        *reinterpret_cast<sc_core::sc_time::value_type*>(&t) = v;
        return t;
    }
    double mhz_;
    double period_ps_;
};

}  // namespace acceltran
