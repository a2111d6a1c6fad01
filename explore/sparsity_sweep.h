// A sweep of DynaTran thresholds and/or top-k k values in functional mode (`acceltran sparsity`,
// docs/dynatran.md "The sparsity sweep"): one `acceltran run --functional` child process per
// point, run in parallel by SweepRunner, with an optional ThresholdCalibration for a target
// activation sparsity. Its runs go to WORK/runs/<id>/ (a failed one's stderr to runs/<id>.error);
// WORK is the caller's directory (the command writes it atomically), where sparsity.csv and
// calibration.json are to be written from csv() and calibration().
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "explore/sweep_runner.h"

namespace acceltran::explore {

// What every point runs, and which points: the arguments of `acceltran sparsity` as plain values.
struct SparsitySweepOptions {
    std::string model = "bert-tiny", accel = "acceltran-edge";
    std::optional<int> seq, batch;
    std::vector<std::string> overrides;         // --set key=value, for every run
    std::optional<std::string> weights, tokens;
    std::optional<std::uint64_t> seed;
    std::optional<double> weight_threshold;
    std::vector<std::string> extra_args;        // e.g. the plug-in arguments, after the rest
    std::vector<double> thresholds;             // the DynaTran series
    std::vector<int> ks;                        // the top-k series
    std::optional<double> target;               // calibrate for this activation sparsity
    int calibration_runs = 4;
    double calibration_tolerance = 0.02;
};

enum class SparsitySeries { DynaTran, TopK };

// One run of the sweep and, once run, its outcome.
struct SparsityPoint {
    std::string id;
    SparsitySeries series = SparsitySeries::DynaTran;
    double threshold = 0;
    int k = 0;
    bool in_table = true;          // false: a calibration run (or the profile) not asked for as a row
    std::optional<double> target;  // set on the calibration's closest run
    PointRun run;
    bool ok = false;
    int exit_code = 0;
    std::string error;
    nlohmann::json summary;
};

class SparsitySweep {
public:
    // Points per series at most.
    static constexpr std::size_t kMaxPoints = 1000;

    // --thresholds: START:STOP:STEP (STOP included when it is within 1e-9 of a step) or T1,T2,...;
    // each value rounded to 10 significant digits; no value twice.
    static std::vector<double> parse_thresholds(const std::string& text);
    // --k: K1,K2,... (integers from 1 to 1000000, no value twice).
    static std::vector<int> parse_ks(const std::string& text);
    // Loads the accelerator (with the overrides) and the model, so that what every run would
    // fail on fails once, before anything runs.
    static void check_inputs(const SparsitySweepOptions& options);

    // Lists the points (thresholds, then k values, then the threshold-0 profile when the
    // calibration needs one the list does not have); runs go to `work_dir`/runs.
    SparsitySweep(SparsitySweepOptions options, std::string work_dir);

    // Points listed so far (before run(): the first batch).
    std::size_t size() const { return points_.size(); }
    // Runs the points on `jobs` processes of `binary`, then the calibration; returns the signal
    // that stopped it (nothing is complete then), else 0.
    int run(const std::string& binary, int jobs, ProgressMode progress);

    // calibration.json (null without a target).
    const nlohmann::json& calibration() const { return calibration_; }
    bool calibrated() const { return calibration_.is_object() && calibration_.value("status", "") == "ok"; }
    // The rows of sparsity.csv: DynaTran by threshold, then top-k by k, the profile run only when
    // it was asked for.
    std::vector<const SparsityPoint*> rows() const;
    std::string csv() const;
    std::size_t failed() const;
    // --no-keep-runs: removes the run directories (the .error files of failed runs stay).
    void remove_runs() const;
    // Draws WORK/sparsity.png from WORK/sparsity.csv with scripts/plot-sparsity.
    SweepRunner::Captured plot() const;
    // What `acceltran sparsity` prints once DIR is written: the table, the calibration and the
    // files on `out` (with `quiet` only the calibration, the answer asked for); why a wanted plot
    // is missing (`plot_failure`), a failed calibration and failed runs on `warnings`. Returns
    // the exit code: 1 (a simulation error) when a run failed or the calibration did.
    int report(std::ostream& out, std::ostream& warnings, const std::string& dir, bool quiet, bool plotted,
               const std::optional<std::string>& plot_failure) const;

private:
    SparsityPoint& add(SparsityPoint p, const std::vector<std::string>& extra);

    SparsitySweepOptions options_;
    std::string work_;
    std::vector<std::string> common_;   // the arguments every run shares
    std::deque<SparsityPoint> points_;  // a deque: the calibration holds references to summaries
    std::size_t profile_ = 0;           // the calibration's threshold-0 run
    nlohmann::json calibration_;
};

}  // namespace acceltran::explore
