// Testbench for BandwidthPort (core/bandwidth_port.h): plain C++, no SystemC kernel.
// Every port here moves 16 bytes per cycle with a 2-cycle access latency unless stated, so a
// transfer of B bytes occupies the port for B/16 cycles and is delivered 2 cycles after its
// last byte has passed. All values are small integers and halves, exact in double precision,
// so the comparisons are exact. The last test compares random traffic with a plain reference.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "core/bandwidth_port.h"

using acceltran::BandwidthPort;

namespace {
constexpr double kBytesPerCycle = 16;
constexpr double kLatency = 2;
}  // namespace

TEST_CASE("BandwidthPort: in-time-order arrivals are served first-come-first-served",
          "[modules][bandwidth_port]") {
    BandwidthPort port(kBytesPerCycle, kLatency);
    // A: 160 B at cycle 0 -> busy [0, 10), delivered 10 + 2 = 12.
    CHECK(port.reserve(0, 160, 0) == 12);
    // B: 160 B at cycle 5 -> waits for A until 10, busy [10, 20), delivered 22; queued 10 - 5 = 5.
    CHECK(port.reserve(5, 160, 0) == 22);
    // C: 320 B at cycle 15 -> waits for B until 20, busy [20, 40), delivered 42; queued 5.
    CHECK(port.reserve(15, 320, 0) == 42);
    // D: 32 B at cycle 50 -> port idle, busy [50, 52), delivered 54; not queued.
    CHECK(port.reserve(50, 32, 0) == 54);

    // busy = (160 + 160 + 320 + 32) / 16 = 42 cycles; queued = 0 + 5 + 5 + 0 = 10 cycles.
    CHECK(port.busy_cycles() == 42);
    CHECK(port.queued_cycles() == 10);
    CHECK(port.bytes() == 672);
    CHECK(port.accesses() == 4);
    // [0, 40) merged (A, B, C touch) and [50, 52).
    CHECK(port.intervals() == 2);
}

TEST_CASE("BandwidthPort: a reservation for a future cycle does not delay an earlier arrival",
          "[modules][bandwidth_port]") {
    // The out-of-order case the class exists for: a loosely-timed initiator reserves a write
    // annotated for cycle 500 before another initiator's read arriving at cycle 10.
    BandwidthPort port(kBytesPerCycle, kLatency);
    // Future write: 160 B at 500 -> busy [500, 510), delivered 512.
    CHECK(port.reserve(500, 160, 0) == 512);
    // Earlier read: 160 B at 10 -> busy [10, 20), delivered 22 (not 512 + 10 + 2 = 524).
    CHECK(port.reserve(10, 160, 0) == 22);
    // A read at 495 that would overrun into the future write is split around it:
    // 80 B = 5 cycles: [495, 500) takes all 5 cycles -> delivered 500 + 2 = 502.
    CHECK(port.reserve(495, 80, 0) == 502);
    // And one more arriving at 498 with 160 B = 10 cycles: [498, 500) is now taken by the
    // previous read, [500, 510) by the write, so it runs [510, 520) -> delivered 522,
    // queued 522 - 2 - 498 - 10 = 12.
    CHECK(port.reserve(498, 160, 0) == 522);
    CHECK(port.queued_cycles() == 12);
    CHECK(port.busy_cycles() == 10 + 10 + 5 + 10);
}

TEST_CASE("BandwidthPort: a transfer is split across the gaps left by earlier reservations",
          "[modules][bandwidth_port]") {
    BandwidthPort port(kBytesPerCycle, kLatency);
    // Two reservations leave a gap: [10, 15) and [20, 25) (80 B = 5 cycles each).
    CHECK(port.reserve(10, 80, 0) == 17);
    CHECK(port.reserve(20, 80, 0) == 27);
    CHECK(port.intervals() == 2);
    // 160 B = 10 cycles arriving at 12: inside [10, 15) -> skips to 15; takes the gap
    // [15, 20) (5 cycles), skips [20, 25), takes [25, 30) (the other 5) -> delivered 32.
    // queued = (30 - 12) - 10 = 8 cycles.
    CHECK(port.reserve(12, 160, 0) == 32);
    CHECK(port.queued_cycles() == 8);
    // Everything from 10 to 30 is now one merged busy interval.
    CHECK(port.intervals() == 1);
    // A later arrival inside it waits for its end: 16 B at 11 -> [30, 31) -> 33.
    CHECK(port.reserve(11, 16, 0) == 33);
    CHECK(port.queued_cycles() == 8 + (31 - 11 - 1));
}

TEST_CASE("BandwidthPort: latency is added once per transfer, fractional bandwidth is exact",
          "[modules][bandwidth_port]") {
    // 25.6 GB/s at 700 MHz = 25.6e9 / 700e6 = 36.571428... B/cycle, 35-cycle latency (50 ns).
    const double bpc = 25.6e9 / 700e6;
    BandwidthPort port(bpc, 35);
    CHECK(port.latency() == 35);
    CHECK(port.bytes_per_cycle() == Approx(36.5714285714).epsilon(1e-12));
    // 4096 B = 4096 * 700 / 25600 = 112 cycles -> 112 + 35 = 147. Tolerance: one division in
    // double precision (relative 1e-15).
    CHECK(port.reserve(0, 4096, 0) == Approx(147).margin(1e-9));
    // Second burst right behind it: [112, 224) -> 259 (latency is not paid twice on the port).
    CHECK(port.reserve(0, 4096, 0) == Approx(259).margin(1e-9));
    // A zero-byte access occupies nothing and costs only the latency.
    CHECK(port.reserve(300, 0, 0) == 335);
    CHECK(port.accesses() == 3);
    CHECK(port.bytes() == 8192);
    CHECK(port.busy_cycles() == Approx(224).margin(1e-9));
    CHECK(port.queued_cycles() == Approx(112).margin(1e-9));
}

TEST_CASE("BandwidthPort: busy intervals that ended before `now` are forgotten",
          "[modules][bandwidth_port]") {
    BandwidthPort port(kBytesPerCycle, 0);
    CHECK(port.reserve(0, 16, 0) == 1);      // [0, 1)
    CHECK(port.reserve(10, 16, 0) == 11);    // [10, 11)
    CHECK(port.reserve(20, 16, 0) == 21);    // [20, 21)
    CHECK(port.intervals() == 3);
    // At now = 15 the first two can no longer be reached by any arrival: dropped.
    CHECK(port.reserve(30, 16, 15) == 31);
    CHECK(port.intervals() == 2);            // [20, 21) and [30, 31)
    // Statistics are cumulative, not affected by the pruning.
    CHECK(port.accesses() == 4);
    CHECK(port.busy_cycles() == 4);
    CHECK(port.queued_cycles() == 0);
}

TEST_CASE("BandwidthPort: gaps are found the same near the front and beyond the first 16 intervals",
          "[modules][bandwidth_port]") {
    // reserve() walks up to 16 intervals from the front before it searches the tree; both ways
    // must find the same gaps. 20 reservations of 10 cycles at 100, 200, ..., 2000 (1 byte per
    // cycle, no latency), then arrivals before the 16th interval and after it.
    BandwidthPort port(1, 0);
    for (int k = 1; k <= 20; ++k) CHECK(port.reserve(100.0 * k, 10, 0) == 100.0 * k + 10);
    CHECK(port.intervals() == 20);
    // Near the front: 100 cycles from 150 fill [150, 200), skip [200, 210), fill [210, 260);
    // the map now holds [100, 110), [150, 260), [300, 310), ..., [2000, 2010).
    CHECK(port.reserve(150, 100, 0) == 260);
    // An arrival at 1905 has 18 intervals starting before it (the tree search): it waits for
    // [1900, 1910), fills [1910, 2000), skips [2000, 2010) and fills [2010, 2020).
    CHECK(port.reserve(1905, 100, 0) == 2020);
    // 17 intervals start before 1705: it waits for [1700, 1710) to end.
    CHECK(port.reserve(1705, 5, 0) == 1715);
    CHECK(port.queued_cycles() == 10 + 15 + 5);
}

namespace {

// The port's rule written the plainest way, on a sorted std::vector searched from the front:
// the same arithmetic in the same order, so its results must match the port's bit for bit
// whatever the port does to keep its intervals (the storage open at both ends).
class ReferencePort {
public:
    ReferencePort(double bytes_per_cycle, double latency) : bytes_per_cycle_(bytes_per_cycle), latency_(latency) {}
    std::vector<std::pair<double, double>> stretches;  // what the listener heard

    double reserve(double arrival, std::uint64_t bytes, double now) {
        while (!busy_.empty() && busy_.front().second <= now) busy_.erase(busy_.begin());
        const double duration = double(bytes) / bytes_per_cycle_;
        if (duration <= 0) return arrival + latency_;
        if (!busy_.empty()) {
            auto& last = busy_.back();
            if (arrival >= last.first && arrival <= last.second) {
                stretches.emplace_back(last.second, last.second + duration);
                last.second += duration;
                return last.second + latency_;
            }
            if (arrival > last.second + 1e-6) {
                busy_.emplace_back(arrival, arrival + duration);
                stretches.emplace_back(arrival, arrival + duration);
                return arrival + duration + latency_;
            }
        }
        double cursor = arrival;
        double remaining = duration;
        std::size_t it = 0;
        while (it < busy_.size() && busy_[it].first <= cursor) ++it;
        if (it > 0 && busy_[it - 1].second > cursor) --it;
        while (remaining > 1e-6) {
            if (it < busy_.size() && busy_[it].first <= cursor + 1e-6) {
                cursor = std::max(cursor, busy_[it].second);
                ++it;
                continue;
            }
            const double gap_end = it == busy_.size() ? cursor + remaining : busy_[it].first;
            const double take = std::min(remaining, gap_end - cursor);
            // Insert, then merge every neighbour that touches.
            double start = cursor, end = cursor + take;
            std::size_t first = it;
            if (it > 0 && busy_[it - 1].second >= start) {
                first = it - 1;
                start = busy_[first].first;
                end = std::max(end, busy_[first].second);
            }
            std::size_t last = it;
            while (last < busy_.size() && busy_[last].first <= end) end = std::max(end, busy_[last++].second);
            busy_.erase(busy_.begin() + std::ptrdiff_t(first), busy_.begin() + std::ptrdiff_t(last));
            busy_.insert(busy_.begin() + std::ptrdiff_t(first), {start, end});
            stretches.emplace_back(cursor, cursor + take);
            cursor += take;
            remaining -= take;
            it = busy_[first].second > cursor ? first : first + 1;
        }
        if (remaining > 0) cursor += remaining;
        return cursor + latency_;
    }
    std::size_t intervals() const { return busy_.size(); }

private:
    double bytes_per_cycle_, latency_;
    std::vector<std::pair<double, double>> busy_;
};

}  // namespace

TEST_CASE("BandwidthPort: random traffic gives the plain sorted-list rule's results bit for bit",
          "[modules][bandwidth_port]") {
    // Reads near `now` fill the first gaps (insertions at the front), writes annotated up to a
    // few hundred cycles ahead leave gaps further in (insertions and merges in the middle, and
    // at the back), and `now` advances so that intervals are forgotten at the front: every way
    // the port's storage moves, including growing and re-centring, over thousands of intervals.
    std::mt19937_64 random(GENERATE(1u, 2u, 3u));
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const double bytes_per_cycle = 16.0 + 48.0 * unit(random);  // at most 3 cycles per transfer
    BandwidthPort port(bytes_per_cycle, 1);
    ReferencePort reference(bytes_per_cycle, 1);
    std::vector<std::pair<double, double>> heard;
    port.set_listener([&](double start, double end, double) { heard.emplace_back(start, end); });
    double now = 0;
    std::size_t most_intervals = 0;
    for (int k = 0; k < 20000; ++k) {
        if (unit(random) < 0.2) now += std::floor(8 * unit(random));
        const double u = unit(random);
        const double arrival = u < 0.6 ? now + std::floor(4 * unit(random))
                                       : now + (u < 0.9 ? 600 : 3000) * unit(random);
        const auto bytes = std::uint64_t(1 + 48 * unit(random));
        const double got = port.reserve(arrival, bytes, now);
        const double expected = reference.reserve(arrival, bytes, now);
        REQUIRE(got == expected);
        REQUIRE(port.intervals() == reference.intervals());
        most_intervals = std::max(most_intervals, port.intervals());
    }
    CHECK(heard == reference.stretches);
    // The traffic did reach the harder cases: more intervals at once than the 16 reserve() walks
    // from the front before it bisects, and than the 16 slots the storage starts with.
    CHECK(most_intervals > 64);
}
