#include "explore/pareto.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace acceltran::explore {

ParetoFront::ParetoFront(std::vector<bool> maximise) : maximise_(std::move(maximise)) {
    if (maximise_.empty()) throw std::invalid_argument("a Pareto front needs at least one metric");
}

bool ParetoFront::dominates(const std::vector<double>& a, const std::vector<double>& b) const {
    bool better = false;
    for (std::size_t m = 0; m < maximise_.size(); ++m) {
        // Compared as "smaller is better", so that one test serves both directions.
        const double x = maximise_[m] ? -a[m] : a[m], y = maximise_[m] ? -b[m] : b[m];
        if (!(x <= y)) return false;  // also false for NaN
        better = better || x < y;
    }
    return better;
}

std::vector<std::size_t> ParetoFront::of(const std::vector<std::vector<double>>& points) const {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (points[i].size() != maximise_.size())
            throw std::invalid_argument("point " + std::to_string(i) + " has " + std::to_string(points[i].size()) +
                                        " values for " + std::to_string(maximise_.size()) + " metrics");
        if (std::none_of(points[i].begin(), points[i].end(), [](double v) { return std::isnan(v); }))
            order.push_back(i);
    }
    // In lexicographic order of the "smaller is better" values a point can only be dominated by
    // one before it (a dominator is no larger in every metric, hence not later), and a dominated
    // point is dominated by some front point too; so each point is checked against the front
    // found so far: O(points x front) instead of O(points^2).
    auto key = [&](std::size_t i, std::size_t m) { return maximise_[m] ? -points[i][m] : points[i][m]; };
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        for (std::size_t m = 0; m < maximise_.size(); ++m)
            if (key(a, m) != key(b, m)) return key(a, m) < key(b, m);
        return false;
    });
    std::vector<std::size_t> front;
    for (std::size_t i : order) {
        const bool dominated = std::any_of(front.begin(), front.end(),
                                           [&](std::size_t f) { return dominates(points[f], points[i]); });
        if (!dominated) front.push_back(i);
    }
    std::sort(front.begin(), front.end());
    return front;
}

}  // namespace acceltran::explore
