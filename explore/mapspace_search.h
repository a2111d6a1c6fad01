// Searching one op's mapspace with the analytic cost model (docs/mapping.md §7): every point
// (exhaustive), a seeded uniform sample (random), or coordinate descent from the design point's
// own mapping with seeded restarts (heuristic); with the statistics of every valid candidate
// evaluated, relative to the best.
#pragma once

#include <cstdint>
#include <string>

#include "explore/mapspace.h"
#include "explore/op_cost_model.h"

namespace acceltran::explore {

enum class SearchKind { Exhaustive, Random, Heuristic };
// "exhaustive" | "random" | "heuristic"; a UsageError naming the choices otherwise.
SearchKind parse_search(const std::string& text);
const char* to_string(SearchKind kind);

struct SearchResult {
    std::uint64_t mapspace_size = 0;
    std::uint64_t evaluated = 0;  // candidates the cost model was asked about
    std::uint64_t valid = 0;      // of those, the ones that fit the buffers
    bool found = false;           // at least one valid candidate
    MappingChoice best;
    OpCost best_cost;
    double best_value = 0;        // the objective of the best
    // Over the valid candidates (repeats of a point count again), objective / best: the median,
    // the 10th percentile (the value a tenth of the candidates reach), and the share within 3x.
    double median_relative = 0, p10_relative = 0, within_3x_share = 0;
};

class MapspaceSearch {
public:
    // `budget`: candidates per op for random and heuristic (random covers a space no larger
    // than the budget exhaustively, and so does heuristic); exhaustive ignores it.
    MapspaceSearch(const OpCostModel& model, Objective objective, SearchKind kind, std::uint64_t budget,
                   std::uint64_t seed);

    SearchResult run(const OpShape& op, const Mapspace& space) const;
    Objective objective() const { return objective_; }

private:
    const OpCostModel& model_;
    Objective objective_;
    SearchKind kind_;
    std::uint64_t budget_, seed_;
};

}  // namespace acceltran::explore
