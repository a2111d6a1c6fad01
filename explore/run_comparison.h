// Two run directories compared (`acceltran diff A B`, docs/cli.md): first what was run
// differently (the model, design point, run settings and input files of their summaries and
// provenance), then what came out differently: every figure of summary.json, largest relative
// change first, and, when both directories have an ops.csv, every numeric column of every op
// (keyed by its `op` column), largest share of the column's total first.
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "explore/run_directory.h"

namespace acceltran::explore {

// A configuration key whose value differs; values as JSON text, "(absent)" on a side without it.
struct ConfigDifference {
    std::string key;
    std::string a, b;
};

// A number that differs between the runs.
struct FigureDifference {
    std::string key;  // summary.json's key path ("energy_breakdown_j.mac_lane"); per op "OP COLUMN"
    double a = 0, b = 0;
    // The ordering key: for a summary figure |b - a| / |a| (infinite when a is 0); for an op's
    // column |b - a| over the sum of that column's magnitudes in A (in B when A's is 0), i.e. how
    // much of the run's total the change moves.
    double impact = 0;

    double absolute() const { return b - a; }
    // (b - a) / |a|; infinite when a is 0.
    double relative() const;
};

class RunComparison {
public:
    // InputError when an ops.csv that both have lacks an `op` column (it names the file).
    RunComparison(const RunDirectory& a, const RunDirectory& b);

    const std::vector<ConfigDifference>& configuration() const { return configuration_; }
    const std::vector<FigureDifference>& figures() const { return figures_; }  // sorted by impact
    std::size_t equal_figures() const { return equal_figures_; }
    // Figures that one summary has and the other has not (e.g. `generation` of a decoder).
    const std::vector<std::string>& figures_only_in_a() const { return figures_only_in_a_; }
    const std::vector<std::string>& figures_only_in_b() const { return figures_only_in_b_; }

    bool compares_ops() const { return compares_ops_; }
    const std::vector<FigureDifference>& ops() const { return ops_; }  // sorted by impact
    const std::vector<std::string>& ops_only_in_a() const { return ops_only_in_a_; }
    const std::vector<std::string>& ops_only_in_b() const { return ops_only_in_b_; }

    // The report `acceltran diff` prints: at most `top` rows per list (0: all of them).
    void write(std::ostream& out, std::size_t top) const;

private:
    void compare_configuration(const RunDirectory& a, const RunDirectory& b);
    void compare_figures(const nlohmann::json& a, const nlohmann::json& b);
    void compare_ops(const CsvTable& a, const std::string& a_file, const CsvTable& b, const std::string& b_file);

    std::string a_path_, b_path_;
    std::vector<ConfigDifference> configuration_;
    std::vector<FigureDifference> figures_;
    std::size_t equal_figures_ = 0;
    std::vector<std::string> figures_only_in_a_, figures_only_in_b_;
    bool compares_ops_ = false;
    std::vector<FigureDifference> ops_;
    std::vector<std::string> ops_only_in_a_, ops_only_in_b_;
};

}  // namespace acceltran::explore
