// The union of half-open intervals [start, end) that arrive in any order (observers hear a
// unit's busy interval when it is reserved, often ahead of time and out of order; see
// activity_observer.h), and how much of a list of other intervals it covers. Kept compact as it
// grows: the intervals are sorted and merged whenever their number has doubled since the last
// merge, so overlapping intervals (one op's tiles on many units) cost memory only until then.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace acceltran {

class IntervalUnion {
public:
    using Span = std::pair<double, double>;  // [first, second)

    // Empty intervals (end <= start) are ignored.
    void add(double start, double end);
    // The length of the parts of `spans` (sorted by start and disjoint) that the union covers.
    double covered(const std::vector<Span>& spans) const;

private:
    // Sorts and merges `spans` in place.
    static void merge(std::vector<Span>& spans);

    std::vector<Span> spans_;
    std::size_t merged_size_ = 0;  // size after the last merge
};

}  // namespace acceltran
