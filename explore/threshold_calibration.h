// The DynaTran threshold calibration of `acceltran sparsity --target-sparsity S`
// (docs/dynatran.md): which threshold prunes the fraction S of the activations. A run at threshold
// 0 (the profile) measures, before pruning, the threshold that would give each sparsity
// (summary.json functional.threshold_for_sparsity). Pruning upstream changes the values downstream,
// so a run at the threshold interpolated there reaches a somewhat different sparsity; the
// calibration then refines the threshold run by run until the sparsity reached is within the
// tolerance, and reports the run closest to the target. The runs themselves are the caller's
// (SparsitySweep), given as a function, so that they land in the sweep's table and directory.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace acceltran::explore {

class ThresholdCalibration {
public:
    // One functional run the calibration looks at.
    struct Trial {
        std::string id;                          // its directory is runs/<id>
        double threshold = 0;
        bool ok = false;
        std::string error;                       // when not ok
        const nlohmann::json* summary = nullptr;  // its summary.json, when ok; must outlive the calibration
    };
    // Runs step `step` (1, 2, ...) at `threshold`; no value when a signal stopped it.
    using RunAt = std::function<std::optional<Trial>(double threshold, int step)>;

    // `max_runs`: at most this many runs after the profile; `tolerance`: |reached - target| that
    // ends the search.
    ThresholdCalibration(double target, double tolerance, int max_runs);

    // The threshold that prunes the fraction `target` of the activations at the pruning points,
    // interpolated linearly in a run's table (sparsity -> threshold, measured before pruning at
    // threshold 0, or at the run's own threshold in later steps). Below the table's first entry
    // it interpolates from (base, 0), base being the sparsity of the threshold-0 run: the values
    // that are exactly zero without any pruning. Above its last entry it extrapolates from the
    // last two entries, and says so in `note`.
    static double interpolate_threshold(const nlohmann::json& summary, double base, double target, std::string& note);

    // Calibrates from the threshold-0 run `profile`; false when a signal stopped a run.
    bool run(const Trial& profile, const RunAt& run_at);

    // What calibration.json holds: target, tolerance, the profile, each step, the closest run
    // and "status" ("ok" when some run finished, else "failed" with "error").
    const nlohmann::json& record() const { return record_; }
    bool ok() const { return record_.value("status", "") == "ok"; }
    // The id of the run closest to the target, when one finished.
    const std::optional<std::string>& best_id() const { return best_id_; }

private:
    void search(const Trial& profile, const RunAt& run_at, bool& stopped);

    double target_, tolerance_;
    int max_runs_;
    nlohmann::json record_;
    std::optional<std::string> best_id_;
};

}  // namespace acceltran::explore
