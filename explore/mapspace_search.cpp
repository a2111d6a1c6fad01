#include "explore/mapspace_search.h"

#include <algorithm>
#include <array>
#include <limits>
#include <random>
#include <vector>

#include "core/errors.h"

namespace acceltran::explore {

namespace {

// The largest mapspace an exhaustive search takes on: a few seconds at the model's speed, and
// 80 MB for the objectives kept for the statistics.
constexpr std::uint64_t kExhaustiveLimit = 10'000'000;

// Keeps the best candidate and every valid candidate's objective.
struct SearchTally {
    const OpCostModel& model;
    Objective objective;
    const OpShape& op;
    SearchResult& result;
    std::vector<double> values;

    double consider(const MappingChoice& choice) {
        ++result.evaluated;
        const OpCost cost = model.evaluate(op, choice);
        if (!cost.fits) return std::numeric_limits<double>::infinity();
        const double value = objective_value(cost, objective);
        values.push_back(value);
        if (!result.found || value < result.best_value) {
            result.found = true;
            result.best = choice;
            result.best_cost = cost;
            result.best_value = value;
        }
        return value;
    }

    void finish() {
        result.valid = values.size();
        if (values.empty() || !(result.best_value > 0)) return;
        const auto quantile = [&](double q) {
            auto at = values.begin() + std::ptrdiff_t(q * double(values.size() - 1));
            std::nth_element(values.begin(), at, values.end());
            return *at / result.best_value;
        };
        result.p10_relative = quantile(0.1);
        result.median_relative = quantile(0.5);
        const double bound = 3 * result.best_value;
        result.within_3x_share =
            double(std::count_if(values.begin(), values.end(), [&](double v) { return v <= bound; })) /
            double(values.size());
    }
};

}  // namespace

SearchKind parse_search(const std::string& text) {
    if (text == "exhaustive") return SearchKind::Exhaustive;
    if (text == "random") return SearchKind::Random;
    if (text == "heuristic") return SearchKind::Heuristic;
    throw UsageError("--search must be exhaustive, random or heuristic, got '" + text + "'");
}

const char* to_string(SearchKind kind) {
    switch (kind) {
        case SearchKind::Random: return "random";
        case SearchKind::Heuristic: return "heuristic";
        case SearchKind::Exhaustive: break;
    }
    return "exhaustive";
}

MapspaceSearch::MapspaceSearch(const OpCostModel& model, Objective objective, SearchKind kind, std::uint64_t budget,
                               std::uint64_t seed)
    : model_(model), objective_(objective), kind_(kind), budget_(budget), seed_(seed) {}

SearchResult MapspaceSearch::run(const OpShape& op, const Mapspace& space) const {
    SearchResult result;
    result.mapspace_size = space.size();
    SearchTally tally{model_, objective_, op, result, {}};
    std::mt19937_64 random(seed_);
    std::uniform_int_distribution<std::uint64_t> any(0, space.size() - 1);
    if (kind_ == SearchKind::Exhaustive || space.size() <= budget_) {
        if (space.size() > kExhaustiveLimit)
            throw UsageError("an exhaustive search of " + std::to_string(space.size()) +
                             " mappings is too large (at most " + std::to_string(kExhaustiveLimit) +
                             "); use --search random or heuristic with a --budget");
        tally.values.reserve(space.size());
        for (std::uint64_t i = 0; i < space.size(); ++i) tally.consider(space.at(i));
        tally.finish();
        return result;
    }
    // Both start from the design point's own mapping, so that neither returns a worse one.
    std::array<std::size_t, Mapspace::kDimensions> at{};
    if (!space.find(model_.default_choice(), at)) at = space.digits(any(random));
    if (kind_ == SearchKind::Random) {
        tally.values.reserve(budget_);
        tally.consider(space.at(at));
        while (result.evaluated < budget_) tally.consider(space.at(any(random)));
    } else {
        // Coordinate descent: change one dimension at a time to its best value, until a full
        // round improves nothing; then again from a random point while the budget lasts.
        while (result.evaluated < budget_) {
            double current = tally.consider(space.at(at));
            for (bool improved = true; improved && result.evaluated < budget_;) {
                improved = false;
                for (int d = 0; d < Mapspace::kDimensions && result.evaluated < budget_; ++d) {
                    const std::size_t kept = at[d];
                    std::size_t best_digit = kept;
                    for (std::size_t v = 0; v < space.choices(Mapspace::Dimension(d)) && result.evaluated < budget_;
                         ++v) {
                        if (v == kept) continue;
                        at[d] = v;
                        const double value = tally.consider(space.at(at));
                        if (value < current) {
                            current = value;
                            best_digit = v;
                            improved = true;
                        }
                    }
                    at[d] = best_digit;
                }
            }
            at = space.digits(any(random));
        }
    }
    tally.finish();
    return result;
}

}  // namespace acceltran::explore
