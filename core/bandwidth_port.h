// A shared resource with a fixed bandwidth. A transfer arriving at cycle t occupies the port
// for bytes / bandwidth cycles, taken from the earliest free time at or after t. The port keeps
// its busy intervals rather than a single "free at" time because loosely-timed initiators
// reserve in call order, not time order: a write annotated for cycle 500 must not delay a read
// arriving at cycle 10. Requests that arrive in time order see plain first-come-first-served.
// A transfer may be split across gaps left by earlier reservations (interleaving on the port).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>

#include <boost/pool/pool_alloc.hpp>

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
    std::size_t intervals() const { return busy_.size(); }

private:
    // The map inserts and erases a node for most reservations: its nodes come from Boost's
    // fixed-size pool (free list, no malloc per node; single-threaded, so no mutex), about 3 % of
    // the full level's instructions saved (docs/performance.md, "Full level: profile-driven fixes").
    using NodeAllocator = boost::fast_pool_allocator<std::pair<const double, double>, boost::default_user_allocator_new_delete,
                                                     boost::details::pool::null_mutex>;
    using Intervals = std::map<double, double, std::less<double>, NodeAllocator>;
    // Marks [start, end) busy, merging with the intervals it touches; returns the merged interval.
    // `next` is the caller's guess at busy_.lower_bound(start), used when it checks out.
    Intervals::iterator occupy(double start, double end, Intervals::iterator next);
    void report(double start, double end) const {
        if (listener_) listener_(start, end, (end - start) * bytes_per_cycle_);
    }

    double bytes_per_cycle_;
    double latency_;
    Intervals busy_;  // start -> end, disjoint, not touching
    double busy_cycles_ = 0;
    double queued_cycles_ = 0;
    std::uint64_t bytes_ = 0;
    std::uint64_t accesses_ = 0;
    BusyListener listener_;
};

}  // namespace acceltran
