#include "core/burst_log.h"

#include <algorithm>
#include <cmath>

namespace acceltran {

void BurstLog::add(double first, double spacing, std::uint64_t count) {
    if (count == 0) return;
    runs_.push_back(Run{first, count > 1 ? spacing : 0.0, count});
}

std::uint64_t BurstLog::count(double from, double to) const {
    std::uint64_t n = 0;
    if (!(to > from)) return 0;
    for (const Run& r : runs_) {
        if (r.last() < from || r.first >= to) continue;
        if (r.spacing <= 0) {
            n += r.count;  // every burst at `first`, inside the window
            continue;
        }
        // Indices j with first + j·spacing in [from, to).
        const double lo = std::max(0.0, std::ceil((from - r.first) / r.spacing));
        double hi = std::ceil((to - r.first) / r.spacing);  // first index at or past `to`
        hi = std::min(hi, double(r.count));
        if (hi > lo) n += std::uint64_t(hi - lo);
    }
    return n;
}

void BurstLog::release(double from) {
    const auto it = held_.find(from);
    if (it != held_.end()) held_.erase(it);
}

void BurstLog::forget_before(double t) {
    if (!held_.empty()) t = std::min(t, *held_.begin());
    // Runs end in roughly the order they are added; one that ends late keeps the ones behind it
    // a little longer, which costs only their scan.
    while (!runs_.empty() && runs_.front().last() < t) runs_.pop_front();
}

double burst_stall_cycles(double burst_cycles, double read_cycles, double latency, double tile_cycles) {
    if (!(tile_cycles > 0)) return 0;
    const double x = burst_cycles + read_cycles + latency - tile_cycles;
    if (x <= 0) return 0;
    const double read = std::min(read_cycles, tile_cycles);
    const double span = tile_cycles - read;  // the phases at which the read starts inside the burst
    const double inside = x >= span ? x * span - span * span / 2 : x * x / 2;
    return (read * x + inside) / tile_cycles;
}

}  // namespace acceltran
