#include "core/bandwidth_port.h"

#include <algorithm>
#include <iterator>

namespace acceltran {

namespace {
// Gaps shorter than this (a millionth of a cycle) are rounding slivers, not bandwidth: filling
// them would split a transfer into pieces too small to move `cursor` in double precision.
constexpr double kSliver = 1e-6;
// Intervals reserve() steps over from the front before it searches the tree instead.
constexpr int kFrontWalk = 16;
}  // namespace

double BandwidthPort::reserve(double arrival, std::uint64_t bytes, double now) {
    // Forget intervals that ended before anything can still arrive.
    while (!busy_.empty() && busy_.begin()->second <= now) busy_.erase(busy_.begin());

    const double duration = double(bytes) / bytes_per_cycle_;
    busy_cycles_ += duration;
    bytes_ += bytes;
    ++accesses_;
    if (duration <= 0) return arrival + latency_;

    // The common case, an arrival at or after the start of the last busy interval, appends
    // without walking or reallocating the interval map.
    if (!busy_.empty()) {
        auto last = std::prev(busy_.end());
        if (arrival >= last->first && arrival <= last->second) {
            queued_cycles_ += last->second - arrival;
            report(last->second, last->second + duration);
            last->second += duration;
            return last->second + latency_;
        }
        if (arrival > last->second + kSliver) {
            busy_.emplace_hint(busy_.end(), arrival, arrival + duration);
            report(arrival, arrival + duration);
            return arrival + duration + latency_;
        }
    }

    double cursor = arrival;
    double remaining = duration;
    // The interval containing or following the arrival. Arrivals come mostly at or soon after
    // `now`, and the intervals that ended before it are gone, so upper_bound() is usually among
    // the first few intervals: a short walk from the front finds it without descending the tree.
    auto it = busy_.begin();
    for (int step = 0; it != busy_.end() && it->first <= cursor; ++it)
        if (++step == kFrontWalk) {
            it = busy_.upper_bound(cursor);
            break;
        }
    if (it != busy_.begin() && std::prev(it)->second > cursor) --it;
    while (remaining > kSliver) {
        if (it != busy_.end() && it->first <= cursor + kSliver) {
            cursor = std::max(cursor, it->second);  // inside a busy interval: skip to its end
            ++it;
            continue;
        }
        const double gap_end = it == busy_.end() ? cursor + remaining : it->first;
        const double take = std::min(remaining, gap_end - cursor);
        const auto merged = occupy(cursor, cursor + take, it);
        report(cursor, cursor + take);
        cursor += take;
        remaining -= take;
        // upper_bound(cursor) without a second walk: the merged interval starts at or before
        // the cursor and ends at or after it, so the next interval is the first to start after.
        it = std::next(merged);
        if (merged->second > cursor) it = merged;
    }
    if (remaining > 0) cursor += remaining;
    queued_cycles_ += std::max(0.0, cursor - arrival - duration);
    return cursor + latency_;
}

BandwidthPort::Intervals::iterator BandwidthPort::occupy(double start, double end, Intervals::iterator next) {
    // `next` is lower_bound(start) if it is the first interval starting at or after `start`:
    // reserve() passes the interval after the gap it fills, which is, so the tree is walked
    // only if the check fails.
    const bool is_lower_bound = (next == busy_.end() || next->first >= start) &&
                                (next == busy_.begin() || std::prev(next)->first < start);
    if (!is_lower_bound) next = busy_.lower_bound(start);
    // Merge with neighbours that touch, keeping the map small. Erasing leaves `next` valid, and
    // it stays the first interval after the merged one (the hint).
    if (next != busy_.begin()) {
        auto prev = std::prev(next);
        if (prev->second >= start) {
            start = prev->first;
            end = std::max(end, prev->second);
            busy_.erase(prev);
        }
    }
    while (next != busy_.end() && next->first <= end) {
        end = std::max(end, next->second);
        next = busy_.erase(next);
    }
    return busy_.emplace_hint(next, start, end);
}

}  // namespace acceltran
