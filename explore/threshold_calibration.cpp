#include "explore/threshold_calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "explore/summary_figure.h"
#include "explore/threshold_text.h"
#include "core/number_text.h"

namespace acceltran::explore {

namespace {

double activation_sparsity(const nlohmann::json& summary) { return summary_figure(summary, {"sparsity", "activation"}); }

}  // namespace

ThresholdCalibration::ThresholdCalibration(double target, double tolerance, int max_runs)
    : target_(target), tolerance_(tolerance), max_runs_(max_runs) {}

double ThresholdCalibration::interpolate_threshold(const nlohmann::json& profile, double base, double target,
                                                   std::string& note) {
    std::vector<std::pair<double, double>> table;  // (sparsity, threshold), increasing
    table.emplace_back(base, 0.0);
    const auto& entries = profile.at("functional").at("threshold_for_sparsity");
    for (const auto& e : entries) {
        const double s = e.at("sparsity").get<double>(), t = e.at("threshold").get<double>();
        if (s > table.back().first && t >= table.back().second) table.emplace_back(s, t);
    }
    if (table.size() < 2) throw SimulationError("the profiling run's threshold_for_sparsity table has no usable entries");
    if (target <= base) {
        note = "the run at threshold 0 already has activation sparsity " + nine_digit_text(base) + " >= the target";
        return 0.0;
    }
    std::size_t i = 1;
    while (i + 1 < table.size() && table[i].first < target) ++i;
    const auto [s0, t0] = table[i - 1];
    const auto [s1, t1] = table[i];
    if (target > table.back().first)
        note = "the target is above the table's last entry (" + nine_digit_text(table.back().first) + "); extrapolated linearly";
    return std::max(0.0, t0 + (t1 - t0) * (target - s0) / (s1 - s0));
}

bool ThresholdCalibration::run(const Trial& profile, const RunAt& run_at) {
    record_ = {{"target_sparsity", target_}, {"tolerance", tolerance_}, {"profile_run", "runs/" + profile.id}};
    best_id_.reset();
    bool stopped = false;
    if (!profile.ok) {
        record_["status"] = "failed";
        record_["error"] = "the profiling run at threshold 0 failed: " + profile.error;
    } else {
        search(profile, run_at, stopped);
        if (stopped) return false;
    }
    record_["method"] =
        "step 1: the threshold interpolated linearly in the threshold-0 run's threshold_for_sparsity table "
        "(quantiles of |x| at the pruning points before pruning), anchored at (its activation sparsity, 0); pruning "
        "upstream changes the values downstream, so the sparsity reached differs; each further step interpolates in "
        "the latest run's table until two runs bracket the target, then interpolates between those two (bisecting "
        "when that fails), until the "
        "sparsity reached is within the tolerance or --calibration-runs runs are done; the run closest to the "
        "target is reported";
    return true;
}

// A bracketed search: each step takes the threshold the latest run's table gives for the target
// (its quantiles include the effect of upstream pruning at that run's threshold) and falls back
// to the middle of the bracket of measured runs when that leaves it.
void ThresholdCalibration::search(const Trial& profile, const RunAt& run_at, bool& stopped) {
    const double base = activation_sparsity(*profile.summary);
    record_["profile"] = {{"activation_sparsity", base},
                          {"threshold_for_sparsity", (*profile.summary)["functional"]["threshold_for_sparsity"]}};
    double lo = 0, hi = std::numeric_limits<double>::infinity();  // thresholds below / above the target
    double lo_sparsity = base, hi_sparsity = 1;                       // and the sparsity they reached
    const nlohmann::json* latest = profile.summary;
    std::optional<Trial> best;
    nlohmann::json steps = nlohmann::json::array();
    std::string note;
    for (int step = 1; step <= max_runs_; ++step) {
        double tau = 0;
        try {
            tau = interpolate_threshold(*latest, base, target_, note);
        } catch (const std::exception& e) {
            record_["error"] = std::string("cannot interpolate: ") + e.what();
            break;
        }
        const char* how = "table";
        if (step > 1 && std::isfinite(hi)) {
            // Bracketed: interpolate between the two measured runs around the target
            // (regula falsi), or bisect when that fails.
            tau = lo + (hi - lo) * (target_ - lo_sparsity) / (hi_sparsity - lo_sparsity);
            how = "interpolation between the bracketing runs";
            if (!(tau > lo && tau < hi)) {
                tau = (lo + hi) / 2;
                how = "bisection";
            }
        } else if (step > 1 && !(tau > lo)) {
            tau = 2 * std::max(lo, 1e-3);
            how = "doubling";
        }
        tau = std::stod(threshold_text(tau));
        const std::optional<Trial> run = run_at(tau, step);
        if (!run) {
            stopped = true;
            return;
        }
        nlohmann::json record = {{"step", step}, {"threshold", tau}, {"from", how}, {"run", "runs/" + run->id}};
        if (!run->ok) {
            record["error"] = run->error;
            steps.push_back(record);
            record_["error"] = "calibration run " + run->id + " failed: " + run->error;
            break;
        }
        const double achieved = activation_sparsity(*run->summary);
        record["achieved_sparsity"] = achieved;
        steps.push_back(record);
        if (!best || std::fabs(achieved - target_) < std::fabs(activation_sparsity(*best->summary) - target_)) best = run;
        if (std::fabs(achieved - target_) <= tolerance_) break;
        if (achieved < target_ && tau >= lo) {
            lo = tau;
            lo_sparsity = achieved;
        } else if (achieved >= target_ && tau <= hi) {
            hi = tau;
            hi_sparsity = achieved;
        }
        latest = run->summary;
        if (!(hi - lo > 1e-9)) break;
    }
    record_["steps"] = steps;
    if (!note.empty()) record_["note"] = note;
    if (!best) {
        record_["status"] = "failed";
        return;
    }
    const nlohmann::json& s = *best->summary;
    const double achieved = activation_sparsity(s);
    best_id_ = best->id;
    record_["run"] = "runs/" + best->id;
    record_["threshold"] = best->threshold;
    record_["achieved_sparsity"] = achieved;
    record_["achieved_minus_target"] = achieved - target_;
    record_["within_tolerance"] = std::fabs(achieved - target_) <= tolerance_;
    record_["macs_skipped_fraction"] =
        1.0 - summary_figure(s, {"macs", "effectual"}) / std::max(1.0, summary_figure(s, {"macs", "total"}));
    record_["output_error_vs_dense"] = s["functional"]["output_error_vs_dense"];
    record_["status"] = "ok";
}

}  // namespace acceltran::explore
