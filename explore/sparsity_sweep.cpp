#include "explore/sparsity_sweep.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "core/accelerator_config.h"
#include "core/errors.h"
#include "core/number_text.h"
#include "explore/sparsity_table.h"
#include "explore/summary_figure.h"
#include "explore/threshold_calibration.h"
#include "explore/threshold_text.h"
#include "workloads/functional/weight_loader.h"
#include "workloads/import/accelerator_import.h"
#include "workloads/import/model_import.h"
#include "workloads/model_spec.h"
#include "core/csv_text.h"

namespace acceltran::explore {

namespace {

namespace fs = std::filesystem;

double parse_threshold(const std::string& text, const std::string& whole) {
    double v = 0;
    if (!parse_number(text, v))
        throw UsageError("--thresholds expects START:STOP:STEP or a comma-separated list of numbers, got '" + whole +
                         "' ('" + text + "' is not a number)");
    if (v < 0) throw UsageError("--thresholds: thresholds must be >= 0, got " + text + " in '" + whole + "'");
    return v;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t at = s.find(sep, start);
        parts.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
        if (at == std::string::npos) break;
        start = at + 1;
    }
    return parts;
}

// The first line of a .error file is "acceltran run exited with code N" (sweep_runner.cpp).
int exit_code_of(const std::string& error_text) {
    const std::string key = "exited with code ";
    const auto at = error_text.find(key);
    if (at != std::string::npos && at < error_text.find('\n')) return std::atoi(error_text.c_str() + at + key.size());
    return -1;  // killed by a signal, or not started
}

// Reads a finished point's summary.json, or its .error file.
void settle(SparsityPoint& p) {
    std::error_code ec;
    const std::string summary_file = p.run.out_dir + "/summary.json";
    if (fs::exists(summary_file, ec)) {
        try {
            p.summary = nlohmann::json::parse(SweepRunner::read_text(summary_file));
            // Every figure the CSV needs, so that a summary without one is a failed point.
            for (auto path : {std::initializer_list<const char*>{"sparsity", "activation"}, {"sparsity", "weight"},
                              {"macs", "total"}, {"macs", "effectual"}, {"cycles"}, {"throughput_seq_per_s"},
                              {"energy_j"}, {"energy_j_per_seq"}, {"functional", "output_error_vs_dense", "rms"},
                              {"functional", "output_error_vs_dense", "relative_rms"},
                              {"functional", "output_error_vs_dense", "max_abs"}})
                (void)summary_figure(p.summary, path);
            p.ok = true;
            return;
        } catch (const std::exception& e) {
            p.error = summary_file + ": " + e.what();
            p.exit_code = 0;
            return;
        }
    }
    const std::string text = SweepRunner::read_text(p.run.error_file);
    p.exit_code = exit_code_of(text);
    p.error = SweepRunner::last_line(text);
    if (p.error.empty()) p.error = "not run (stopped)";
}

const std::vector<std::string> kColumns = {
    "series", "threshold", "k", "activation_sparsity", "weight_sparsity", "macs_total", "macs_effectual",
    "macs_skipped_fraction", "cycles", "throughput_seq_per_s", "energy_j", "energy_j_per_seq", "output_error_rms",
    "output_error_relative_rms", "output_error_max", "target_sparsity", "run", "status", "exit_code", "error"};

std::vector<std::string> csv_row(const SparsityPoint& p) {
    std::vector<std::string> r;
    r.push_back(p.series == SparsitySeries::DynaTran ? "dynatran" : "topk");
    r.push_back(p.series == SparsitySeries::DynaTran ? threshold_text(p.threshold) : "");
    r.push_back(p.series == SparsitySeries::TopK ? std::to_string(p.k) : "");
    if (p.ok) {
        const auto& s = p.summary;
        const double total = summary_figure(s, {"macs", "total"}), effectual = summary_figure(s, {"macs", "effectual"});
        for (double v : {summary_figure(s, {"sparsity", "activation"}), summary_figure(s, {"sparsity", "weight"}), total,
                         effectual, total > 0 ? 1.0 - effectual / total : 0.0, summary_figure(s, {"cycles"}),
                         summary_figure(s, {"throughput_seq_per_s"}), summary_figure(s, {"energy_j"}),
                         summary_figure(s, {"energy_j_per_seq"}),
                         summary_figure(s, {"functional", "output_error_vs_dense", "rms"}),
                         summary_figure(s, {"functional", "output_error_vs_dense", "relative_rms"}),
                         summary_figure(s, {"functional", "output_error_vs_dense", "max_abs"})})
            r.push_back(nine_digit_text(v));
    } else {
        r.resize(r.size() + 12);
    }
    r.push_back(p.target ? nine_digit_text(*p.target) : "");
    r.push_back("runs/" + p.id);
    r.push_back(p.ok ? "ok" : "failed");
    r.push_back(p.ok ? "0" : std::to_string(p.exit_code));
    r.push_back(p.error);
    return r;
}

}  // namespace

std::vector<double> SparsitySweep::parse_thresholds(const std::string& text) {
    std::vector<double> values;
    if (text.find(':') != std::string::npos) {
        const auto parts = split(text, ':');
        if (parts.size() != 3)
            throw UsageError("--thresholds expects START:STOP:STEP (three numbers), e.g. 0:0.1:0.005, got '" + text + "'");
        const double start = parse_threshold(parts[0], text), stop = parse_threshold(parts[1], text);
        std::size_t used = 0;
        double step = 0;
        try {
            step = std::stod(parts[2], &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (parts[2].empty() || used != parts[2].size() || !std::isfinite(step))
            throw UsageError("--thresholds: STEP of '" + text + "' is not a number");
        if (!(step > 0)) throw UsageError("--thresholds: STEP must be > 0, got '" + parts[2] + "' in '" + text + "'");
        if (stop < start) throw UsageError("--thresholds: STOP must be >= START, got '" + text + "'");
        const double count = std::floor((stop - start + 1e-9) / step) + 1;
        if (count > double(kMaxPoints))
            throw UsageError("--thresholds '" + text + "' gives " + nine_digit_text(count) + " points, more than " +
                             std::to_string(kMaxPoints));
        for (std::size_t i = 0; i < std::size_t(count); ++i)
            values.push_back(std::stod(threshold_text(std::min(stop, start + double(i) * step))));
    } else {
        for (const std::string& item : split(text, ',')) values.push_back(std::stod(threshold_text(parse_threshold(item, text))));
        if (values.size() > kMaxPoints)
            throw UsageError("--thresholds gives " + std::to_string(values.size()) + " points, more than " +
                             std::to_string(kMaxPoints));
    }
    std::set<double> seen;
    for (double v : values)
        if (!seen.insert(v).second) throw UsageError("--thresholds: " + threshold_text(v) + " appears twice in '" + text + "'");
    return values;
}

std::vector<int> SparsitySweep::parse_ks(const std::string& text) {
    std::vector<int> ks;
    for (const std::string& item : split(text, ',')) {
        std::size_t used = 0;
        long v = 0;
        try {
            v = std::stol(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (item.empty() || used != item.size())
            throw UsageError("--k expects a comma-separated list of integers, e.g. 1,2,4,8,16, got '" + text + "'");
        if (v < 1 || v > 1000000) throw UsageError("--k: every k must be from 1 to 1000000, got " + item);
        if (std::find(ks.begin(), ks.end(), int(v)) != ks.end())
            throw UsageError("--k: " + item + " appears twice in '" + text + "'");
        ks.push_back(int(v));
    }
    if (ks.size() > kMaxPoints)
        throw UsageError("--k gives " + std::to_string(ks.size()) + " points, more than " + std::to_string(kMaxPoints));
    return ks;
}

// Every run would fail the same way on a bad weights or tokens file: read them once here,
// before the output directory exists, so the command fails at once and leaves nothing behind.
void SparsitySweep::check_inputs(const SparsitySweepOptions& o) {
    (void)workloads::import_accelerator(o.accel, data_dir() + "/configs", o.overrides);
    const workloads::ModelSpec model = workloads::import_model(o.model, data_dir() + "/workloads/models").spec;
    // Every point is a functional run: a model it cannot run (a decoder) or a sequence the model
    // cannot hold failed every point one by one (exit 1) instead of the command (exit 3).
    functional::check_functional_model(model);
    const int seq = o.seq.value_or(128);
    if (seq > model.max_positions)
        throw InputError("seq " + std::to_string(seq) + " is outside 1.." + std::to_string(model.max_positions) +
                         " (model '" + model.name + "' has max_positions " + std::to_string(model.max_positions) + ")");
    if (o.weights) (void)functional::load_weights(model, *o.weights);
    if (o.tokens) (void)functional::load_tokens(*o.tokens, o.batch.value_or(4), o.seq.value_or(128), model.vocab_size);
}

SparsitySweep::SparsitySweep(SparsitySweepOptions options, std::string work_dir)
    : options_(std::move(options)), work_(std::move(work_dir)) {
    const SparsitySweepOptions& o = options_;
    common_ = {"run", "--functional", "--model", o.model, "--accel", o.accel};
    if (o.seq) common_.insert(common_.end(), {"--seq", std::to_string(*o.seq)});
    if (o.batch) common_.insert(common_.end(), {"--batch", std::to_string(*o.batch)});
    for (const std::string& s : o.overrides) common_.insert(common_.end(), {"--set", s});
    if (o.weights) common_.insert(common_.end(), {"--weights", *o.weights});
    if (o.tokens) common_.insert(common_.end(), {"--tokens", *o.tokens});
    if (o.seed) common_.insert(common_.end(), {"--seed", std::to_string(*o.seed)});
    if (o.weight_threshold) common_.insert(common_.end(), {"--weight-threshold", threshold_text(*o.weight_threshold)});
    common_.insert(common_.end(), o.extra_args.begin(), o.extra_args.end());

    for (double t : o.thresholds) {
        SparsityPoint p;
        p.id = "dynatran-" + threshold_text(t);
        p.threshold = t;
        add(std::move(p), {"--threshold", threshold_text(t)});
    }
    for (int k : o.ks) {
        SparsityPoint p;
        p.id = "topk-" + std::to_string(k);
        p.series = SparsitySeries::TopK;
        p.k = k;
        add(std::move(p), {"--sparsity", "topk", "--k", std::to_string(k)});
    }
    // The calibration profile is the threshold-0 run: the list's, when it has one.
    profile_ = points_.size();
    if (o.target) {
        for (std::size_t i = 0; i < o.thresholds.size(); ++i)
            if (o.thresholds[i] == 0) profile_ = i;
        if (profile_ == points_.size()) {
            SparsityPoint p;
            p.id = "profile-0";
            p.in_table = false;
            add(std::move(p), {"--threshold", "0"});
        }
    }
}

SparsityPoint& SparsitySweep::add(SparsityPoint p, const std::vector<std::string>& extra) {
    p.run.id = p.id;
    p.run.args = common_;
    p.run.args.insert(p.run.args.end(), extra.begin(), extra.end());
    p.run.out_dir = work_ + "/runs/" + p.id;
    p.run.args.insert(p.run.args.end(), {"--quiet", "--no-progress", "--out", p.run.out_dir});
    p.run.error_file = p.run.out_dir + ".error";
    points_.push_back(std::move(p));
    return points_.back();
}

int SparsitySweep::run(const std::string& binary, int jobs, ProgressMode progress) {
    SweepRunner runner(binary, jobs, progress);
    std::vector<PointRun> batch;
    for (const SparsityPoint& p : points_) batch.push_back(p.run);
    RunnerOutcome outcome = runner.run(batch);
    if (outcome.signal) return outcome.signal;
    for (SparsityPoint& p : points_) settle(p);
    if (!options_.target) return 0;

    auto trial = [](const SparsityPoint& p) {
        return ThresholdCalibration::Trial{p.id, p.threshold, p.ok, p.error, &p.summary};
    };
    const double target = *options_.target;
    ThresholdCalibration calibration(target, options_.calibration_tolerance, options_.calibration_runs);
    int signal = 0;
    const bool finished = calibration.run(
        trial(points_[profile_]), [&](double tau, int step) -> std::optional<ThresholdCalibration::Trial> {
            SparsityPoint p;
            p.id = "target-" + nine_digit_text(target) + "-step" + std::to_string(step);
            p.threshold = tau;
            p.in_table = false;
            SparsityPoint& added = add(std::move(p), {"--threshold", threshold_text(tau)});
            outcome = runner.run({added.run});
            if (outcome.signal) {
                signal = outcome.signal;
                return std::nullopt;
            }
            settle(added);
            return trial(added);
        });
    if (!finished) return signal;
    calibration_ = calibration.record();
    if (calibration.best_id())
        for (SparsityPoint& p : points_)
            if (p.id == *calibration.best_id()) {
                p.in_table = true;
                p.target = target;
            }
    return 0;
}

std::vector<const SparsityPoint*> SparsitySweep::rows() const {
    std::vector<const SparsityPoint*> rows;
    for (const SparsityPoint& p : points_)
        if (p.in_table) rows.push_back(&p);
    std::stable_sort(rows.begin(), rows.end(), [](const SparsityPoint* a, const SparsityPoint* b) {
        if (a->series != b->series) return a->series == SparsitySeries::DynaTran;
        return a->series == SparsitySeries::DynaTran ? a->threshold < b->threshold : a->k < b->k;
    });
    return rows;
}

std::string SparsitySweep::csv() const {
    std::string text;
    auto line = [&](const std::vector<std::string>& fields) {
        for (std::size_t i = 0; i < fields.size(); ++i) text += (i ? "," : "") + csv_field(fields[i]);
        text += "\n";
    };
    line(kColumns);
    for (const SparsityPoint* p : rows()) line(csv_row(*p));
    return text;
}

std::size_t SparsitySweep::failed() const {
    std::size_t failed = 0;
    for (const SparsityPoint& p : points_) failed += p.ok ? 0 : 1;
    return failed;
}

void SparsitySweep::remove_runs() const {
    std::error_code ec;
    for (const SparsityPoint& p : points_) fs::remove_all(p.run.out_dir, ec);
    if (failed() == 0) fs::remove_all(work_ + "/runs", ec);
}

SweepRunner::Captured SparsitySweep::plot() const {
    const std::string script = data_dir() + "/scripts/plot-sparsity";
    std::string title = options_.model + " on " + options_.accel;
    for (const SparsityPoint& p : points_)
        if (p.ok) {
            const auto& m = p.summary.value("model", nlohmann::json::object());
            title = m.value("name", options_.model) + " on " + options_.accel + ", sequence " +
                    std::to_string(m.value("seq", 0)) + ", batch " + std::to_string(m.value("batch", 0));
            break;
        }
    return fs::exists(script) ? SweepRunner::capture({script, work_, "--title", title})
                              : SweepRunner::Captured{127, script + ": not found"};
}

int SparsitySweep::report(std::ostream& out, std::ostream& warnings, const std::string& dir, bool quiet,
                          bool plotted, const std::optional<std::string>& plot_failure) const {
    const std::optional<double>& target = options_.target;
    const nlohmann::json& c = calibration_;
    if (!quiet) {
        out << sparsity_table(rows());
        if (target && calibrated())
            out << "target   activation sparsity " << nine_digit_text(*target) << ": threshold "
                << threshold_text(c["threshold"].get<double>()) << " reached " << nine_digit_text(c["achieved_sparsity"].get<double>())
                << " (" << (c["achieved_minus_target"].get<double>() >= 0 ? "+" : "")
                << nine_digit_text(c["achieved_minus_target"].get<double>()) << ")\n";
        out << "results  " << dir << "/sparsity.csv" << (target ? ", calibration.json" : "")
            << (plotted ? ", sparsity.png" : "") << "\n";
    } else if (target && calibrated()) {
        out << "target " << nine_digit_text(*target) << " threshold " << threshold_text(c["threshold"].get<double>())
            << " achieved " << nine_digit_text(c["achieved_sparsity"].get<double>()) << "\n";
    }
    if (plot_failure) warnings << "acceltran sparsity: warning: no sparsity.png: " << *plot_failure << "\n";
    if (target && !calibrated())
        warnings << "acceltran sparsity: --target-sparsity: " << c.value("error", std::string("failed")) << "\n";
    if (failed() > 0)
        warnings << "acceltran sparsity: " << failed() << " of " << size() << " runs failed; see the error column of "
                 << dir << "/sparsity.csv and " << dir << "/runs/<id>.error\n";
    return failed() > 0 || (target && !calibrated()) ? int(ExitCode::simulation_error) : 0;
}

}  // namespace acceltran::explore
