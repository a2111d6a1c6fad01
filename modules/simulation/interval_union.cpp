#include "modules/simulation/interval_union.h"

#include <algorithm>

namespace acceltran {

void IntervalUnion::add(double start, double end) {
    if (!(end > start)) return;
    spans_.emplace_back(start, end);
    if (spans_.size() > 2 * merged_size_ + 16) {
        merge(spans_);
        merged_size_ = spans_.size();
    }
}

void IntervalUnion::merge(std::vector<Span>& spans) {
    std::sort(spans.begin(), spans.end());
    std::size_t kept = 0;
    for (const Span& s : spans) {
        if (kept > 0 && s.first <= spans[kept - 1].second)
            spans[kept - 1].second = std::max(spans[kept - 1].second, s.second);
        else
            spans[kept++] = s;
    }
    spans.resize(kept);
}

double IntervalUnion::covered(const std::vector<Span>& spans) const {
    std::vector<Span> own = spans_;
    merge(own);
    // Both lists sorted and disjoint: one pass over each.
    double length = 0;
    std::size_t i = 0;
    for (const Span& s : spans) {
        while (i < own.size() && own[i].second <= s.first) ++i;
        for (std::size_t j = i; j < own.size() && own[j].first < s.second; ++j) {
            length += std::min(s.second, own[j].second) - std::max(s.first, own[j].first);
        }
    }
    return length;
}

}  // namespace acceltran
