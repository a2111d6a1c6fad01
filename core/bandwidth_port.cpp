#include "core/bandwidth_port.h"

#include <algorithm>

namespace acceltran {

namespace {
// Gaps shorter than this (a millionth of a cycle) are rounding slivers, not bandwidth: filling
// them would split a transfer into pieces too small to move `cursor` in double precision.
constexpr double kSliver = 1e-6;
// Intervals reserve() steps over from the front before it searches by bisection instead.
constexpr std::size_t kFrontWalk = 16;
}  // namespace

double BandwidthPort::reserve(double arrival, std::uint64_t bytes, double now) {
    // Forget intervals that ended before anything can still arrive.
    while (count_ > 0 && at(0).end <= now) {
        ++head_;
        --count_;
    }

    const double duration = double(bytes) / bytes_per_cycle_;
    busy_cycles_ += duration;
    bytes_ += bytes;
    ++accesses_;
    if (duration <= 0) return arrival + latency_;

    // The common case, an arrival at or after the start of the last busy interval, appends
    // without searching.
    if (count_ > 0) {
        Interval& last = at(count_ - 1);
        if (arrival >= last.start && arrival <= last.end) {
            queued_cycles_ += last.end - arrival;
            report(last.end, last.end + duration);
            last.end += duration;
            return last.end + latency_;
        }
        if (arrival > last.end + kSliver) {
            insert_at(count_, Interval{arrival, arrival + duration});
            report(arrival, arrival + duration);
            return arrival + duration + latency_;
        }
    }

    double cursor = arrival;
    double remaining = duration;
    // `it`: the interval containing the arrival, else the first starting after it. Arrivals
    // come mostly at or soon after `now`, and the intervals that ended before it are gone, so
    // the first interval starting after the arrival is nearly always among the first few: a
    // short walk from the front finds it without bisecting.
    std::size_t it = 0;
    while (it < count_ && it < kFrontWalk && at(it).start <= cursor) ++it;
    if (it == kFrontWalk && it < count_ && at(it).start <= cursor) {
        const Interval* first = store_.data() + head_;
        it = std::size_t(std::upper_bound(first + it, first + count_, cursor,
                                          [](double t, const Interval& i) { return t < i.start; }) -
                         first);
    }
    if (it > 0 && at(it - 1).end > cursor) --it;
    while (remaining > kSliver) {
        if (it < count_ && at(it).start <= cursor + kSliver) {
            cursor = std::max(cursor, at(it).end);  // inside a busy interval: skip to its end
            ++it;
            continue;
        }
        const double gap_end = it == count_ ? cursor + remaining : at(it).start;
        const double take = std::min(remaining, gap_end - cursor);
        const std::size_t merged = occupy(cursor, cursor + take, it);
        report(cursor, cursor + take);
        cursor += take;
        remaining -= take;
        // The first interval starting after the cursor, or the merged one if it reaches past
        // the cursor (it starts at or before it).
        it = at(merged).end > cursor ? merged : merged + 1;
    }
    if (remaining > 0) cursor += remaining;
    queued_cycles_ += std::max(0.0, cursor - arrival - duration);
    return cursor + latency_;
}

std::size_t BandwidthPort::occupy(double start, double end, std::size_t next) {
    // Merge with the neighbours that touch [start, end): the merged interval takes the place of
    // the first of them and the others are erased together.
    std::size_t first = next;
    if (next > 0 && at(next - 1).end >= start) {
        first = next - 1;
        start = at(first).start;
        end = std::max(end, at(first).end);
    }
    std::size_t last = next;  // one past the merged neighbours
    while (last < count_ && at(last).start <= end) {
        end = std::max(end, at(last).end);
        ++last;
    }
    if (first == last) {
        insert_at(first, Interval{start, end});
        return first;
    }
    at(first) = Interval{start, end};
    erase_range(first + 1, last);
    return first;
}

void BandwidthPort::insert_at(std::size_t i, Interval interval) {
    const bool front_side = i < count_ - i;
    if (front_side ? head_ == 0 : head_ + count_ == store_.size()) recentre(1);
    Interval* base = store_.data() + head_;
    if (front_side) {
        std::move(base, base + i, base - 1);  // the first i one place down
        --head_;
    } else {
        std::move_backward(base + i, base + count_, base + count_ + 1);  // the rest one place up
    }
    ++count_;
    at(i) = interval;
}

void BandwidthPort::erase_range(std::size_t first, std::size_t last) {
    if (first >= last) return;
    const std::size_t gone = last - first;
    Interval* base = store_.data() + head_;
    if (first < count_ - last) {
        std::move_backward(base, base + first, base + last);  // the first `first` up over the gap
        head_ += gone;
    } else {
        std::move(base + last, base + count_, base + first);  // the rest down over the gap
    }
    count_ -= gone;
}

void BandwidthPort::recentre(std::size_t extra) {
    const std::size_t room = std::max<std::size_t>(16, 2 * (count_ + extra));
    if (store_.size() < room) {
        std::vector<Interval> store(room);
        const std::size_t head = (room - count_) / 2;
        std::copy(store_.begin() + std::ptrdiff_t(head_), store_.begin() + std::ptrdiff_t(head_ + count_),
                  store.begin() + std::ptrdiff_t(head));
        store_.swap(store);
        head_ = head;
        return;
    }
    // Room enough: centre them in place.
    const std::size_t head = (store_.size() - count_) / 2;
    Interval* from = store_.data() + head_;
    Interval* to = store_.data() + head;
    if (head < head_)
        std::move(from, from + count_, to);
    else
        std::move_backward(from, from + count_, to + count_);
    head_ = head;
}

}  // namespace acceltran
