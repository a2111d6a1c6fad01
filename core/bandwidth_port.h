// A shared resource with a fixed bandwidth. A transfer arriving at cycle t occupies the port
// for bytes / bandwidth cycles, taken from the earliest free time at or after t. The port keeps
// its busy intervals rather than a single "free at" time because loosely-timed initiators
// reserve in call order, not time order: a write annotated for cycle 500 must not delay a read
// arriving at cycle 10. Requests that arrive in time order see plain first-come-first-served.
// A transfer may be split across gaps left by earlier reservations (interleaving on the port).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace acceltran {

class BandwidthPort {
public:
    BandwidthPort(double bytes_per_cycle, double latency_cycles)
        : bytes_per_cycle_(bytes_per_cycle), latency_(latency_cycles) {}

    // Reserves the port for `bytes` arriving at cycle `arrival`; returns the cycle at which the
    // last byte has been delivered (transfer time plus the access latency). `now` is the
    // current simulated cycle: no request can arrive before it, so older intervals are dropped.
    double reserve(double arrival, std::uint64_t bytes, double now);

    // Called with every stretch [start, end) the port is reserved for and the bytes it carries,
    // for traces and the power timeline.
    using BusyListener = std::function<void(double start, double end, double bytes)>;
    void set_listener(BusyListener listener) { listener_ = std::move(listener); }

    double bytes_per_cycle() const { return bytes_per_cycle_; }
    double latency() const { return latency_; }
    double busy_cycles() const { return busy_cycles_; }      // cycles spent transferring
    double queued_cycles() const { return queued_cycles_; }  // cycles requests waited for the port
    std::uint64_t bytes() const { return bytes_; }
    std::uint64_t accesses() const { return accesses_; }
    std::size_t intervals() const { return count_; }

private:
    struct Interval {
        double start, end;
    };
    // The busy intervals, sorted by start, disjoint and not touching, are store_[head_] to
    // store_[head_ + count_ - 1]. Nearly every change happens at one end: intervals are
    // forgotten at the front, reads arriving at `now` fill the first gaps, reservations for
    // later cycles append at the back. So the intervals float in the middle of their storage
    // with room at both ends, and an insertion or an erasure moves the shorter side: a change
    // at either end moves nothing. (A std::map rebalanced its tree at nearly every change and
    // a std::deque paid for its block arithmetic on every index: docs/performance.md, "Busy
    // intervals in a vector open at both ends".)
    Interval& at(std::size_t i) { return store_[head_ + i]; }
    void insert_at(std::size_t i, Interval interval);
    void erase_range(std::size_t first, std::size_t last);  // [first, last)
    // Moves the intervals to the middle of storage with room for `count_ + extra` and as much
    // again, so that either end can grow.
    void recentre(std::size_t extra);
    // Marks [start, end) busy, merging with the intervals it touches; returns the index of the
    // merged interval. `next` is the index of the first interval starting at or after `start`.
    std::size_t occupy(double start, double end, std::size_t next);
    void report(double start, double end) const {
        if (listener_) listener_(start, end, (end - start) * bytes_per_cycle_);
    }

    double bytes_per_cycle_;
    double latency_;
    std::vector<Interval> store_;
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    double busy_cycles_ = 0;
    double queued_cycles_ = 0;
    std::uint64_t bytes_ = 0;
    std::uint64_t accesses_ = 0;
    BusyListener listener_;
};

}  // namespace acceltran
