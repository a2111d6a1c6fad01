// The Pareto front of a set of points: those no other point beats on every metric at once.
// A sweep reports it (pareto.csv) over the space's metrics, some maximised (throughput) and some
// minimised (energy per sequence, area).
#pragma once

#include <cstddef>
#include <vector>

namespace acceltran::explore {

class ParetoFront {
public:
    // `maximise[m]` says which way metric m is better; every point has one value per metric.
    explicit ParetoFront(std::vector<bool> maximise);

    // True when `a` is at least as good as `b` on every metric and better on one.
    bool dominates(const std::vector<double>& a, const std::vector<double>& b) const;

    // Indices of the non-dominated points, ascending. Points with equal values on every metric
    // do not dominate each other, so they are on the front together or not at all. A point
    // with a NaN value is never on the front and dominates nothing.
    std::vector<std::size_t> of(const std::vector<std::vector<double>>& points) const;

private:
    std::vector<bool> maximise_;
};

}  // namespace acceltran::explore
