// Spearman's rank correlation for the checks of the analytic cost model against the TLM model
// (docs/mapping.md §10): how well one ranks a sample of mappings as the other does.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace acceltran::testing {

// Ranks with ties averaged. Values within `tolerance` (relative) of the first of a run of sorted
// values are ties.
inline std::vector<double> tied_ranks(const std::vector<double>& v, double tolerance) {
    std::vector<std::size_t> order(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    std::vector<double> rank(v.size());
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j + 1 < order.size() && v[order[j + 1]] <= v[order[i]] * (1 + tolerance)) ++j;
        for (std::size_t t = i; t <= j; ++t) rank[order[t]] = 0.5 * double(i + j);
        i = j + 1;
    }
    return rank;
}

// Spearman's rho: Pearson's r of the ranks.
inline double spearman_rho(const std::vector<double>& x, const std::vector<double>& y, double tolerance) {
    const std::vector<double> rx = tied_ranks(x, tolerance), ry = tied_ranks(y, tolerance);
    const double n = double(rx.size());
    double mx = 0, my = 0;
    for (std::size_t i = 0; i < rx.size(); ++i) {
        mx += rx[i] / n;
        my += ry[i] / n;
    }
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < rx.size(); ++i) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    return sxy / std::sqrt(sxx * syy);
}

}  // namespace acceltran::testing
