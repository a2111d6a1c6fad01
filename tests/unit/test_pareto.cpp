// The Pareto front (explore/pareto.*): hand-made cases, then random point sets checked
// against the definition applied to every pair.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "explore/pareto.h"

using acceltran::explore::ParetoFront;

namespace {

// The definition, written independently of the class: i is on the front when no j is at least
// as good on every metric and better on one.
std::vector<std::size_t> brute_force(const std::vector<std::vector<double>>& p, const std::vector<bool>& maximise) {
    std::vector<std::size_t> front;
    for (std::size_t i = 0; i < p.size(); ++i) {
        bool dominated = false;
        for (std::size_t j = 0; j < p.size() && !dominated; ++j) {
            bool no_worse = true, better = false;
            for (std::size_t m = 0; m < maximise.size(); ++m) {
                const double gain = maximise[m] ? p[j][m] - p[i][m] : p[i][m] - p[j][m];  // > 0: j better
                no_worse = no_worse && gain >= 0;
                better = better || gain > 0;
            }
            dominated = no_worse && better;
        }
        if (!dominated) front.push_back(i);
    }
    return front;
}

}  // namespace

TEST_CASE("sweep pareto: small fronts by hand", "[sweep][pareto]") {
    // Throughput (max) and energy (min).
    const ParetoFront f({true, false});
    CHECK(f.of({{10, 5}, {20, 6}, {15, 7}, {5, 4}, {20, 6}}) == std::vector<std::size_t>{0, 1, 3, 4});
    CHECK(f.dominates({20, 5}, {10, 5}));
    CHECK_FALSE(f.dominates({20, 5}, {20, 5}));  // equal points do not dominate each other
    CHECK_FALSE(f.dominates({20, 6}, {10, 5}));
    CHECK(f.of({}).empty());
    CHECK(f.of({{1, 1}}) == std::vector<std::size_t>{0});
    // A point with a NaN (an unreadable figure) is neither on the front nor in anybody's way.
    CHECK(f.of({{10, NAN}, {5, 5}}) == std::vector<std::size_t>{1});
    // One metric: the best value, with its ties.
    CHECK(ParetoFront({false}).of({{3}, {1}, {2}, {1}}) == std::vector<std::size_t>{1, 3});
    CHECK_THROWS(f.of({{1, 2, 3}}));
}

TEST_CASE("sweep pareto: random point sets match the pairwise definition", "[sweep][pareto]") {
    std::mt19937_64 rng(2024);
    for (int trial = 0; trial < 400; ++trial) {
        const std::size_t metrics = 1 + rng() % 4, count = rng() % 60;
        std::vector<bool> maximise;
        for (std::size_t m = 0; m < metrics; ++m) maximise.push_back(rng() % 2 == 0);
        // Few distinct values, so that ties and duplicate points are common.
        const int levels = 2 + int(rng() % 8);
        std::vector<std::vector<double>> points(count, std::vector<double>(metrics));
        for (auto& p : points)
            for (auto& v : p) v = double(rng() % std::uint64_t(levels)) * 0.5;
        INFO("trial " << trial << ": " << count << " points, " << metrics << " metrics");
        CHECK(ParetoFront(maximise).of(points) == brute_force(points, maximise));
    }
}
