// `acceltran sparsity`: a sweep of DynaTran thresholds (and/or top-k k values) in functional
// mode, one `acceltran run --functional` child process per point, run in parallel by the sweep's
// runner (sweep_runner.h). The output directory DIR is written atomically, as a run's is:
//
//   sparsity.csv        one row per point (docs/dynatran.md, "The sparsity sweep")
//   sparsity.png        scripts/plot-sparsity's figure, when Debian's matplotlib is there
//   calibration.json    with --target-sparsity: target, interpolated threshold, achieved sparsity
//   runs/<id>/          each point's run directory (removed after reading with --no-keep-runs)
//   runs/<id>.error     a failed point's exit status and stderr (always kept)
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/accelerator_config.h"
#include "core/errors.h"
#include "testbenches/cli/commands.h"
#include "testbenches/cli/option_parser.h"
#include "testbenches/cli/output_directory.h"
#include "testbenches/cli/plugin_options.h"
#include "explore/sweep_runner.h"
#include "workloads/model_spec.h"

namespace acceltran::cli {

using namespace acceltran::explore;

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxPoints = 1000;

const char* kUsage =
    "usage: acceltran sparsity --out DIR [--model M] [--accel A] [--seq N] [--batch N] [--set key=value ...]\n"
    "                          [--thresholds START:STOP:STEP | --thresholds T1,T2,...] [--k K1,K2,...]\n"
    "                          [--target-sparsity S [--calibration-runs N] [--calibration-tolerance D]]\n"
    "                          [--weights F] [--tokens F] [--seed N] [--weight-threshold W]\n"
    "                          [--plugin P] [--jobs N] [--no-keep-runs] [--no-plot] [--force] [-q]\n"
    "Runs `acceltran run --functional` once per DynaTran threshold (--thresholds) and/or per top-k k (--k),\n"
    "on N local processes, and writes DIR/sparsity.csv (activation and weight sparsity, MACs, cycles,\n"
    "throughput, energy and output error per point) and DIR/sparsity.png (scripts/plot-sparsity).\n"
    "--target-sparsity S first runs at threshold 0, interpolates the threshold for activation sparsity S in\n"
    "that run's threshold_for_sparsity table and runs at it; while the sparsity reached is off by more than\n"
    "--calibration-tolerance it refines the threshold (up to --calibration-runs runs), reports the closest\n"
    "run (printed even with -q, a row of sparsity.csv) and writes the steps to DIR/calibration.json.\n"
    "DIR is written atomically (temporary directory, then rename); an existing DIR needs --force.\n"
    "Each point's run directory is kept in DIR/runs/<id>/ unless --no-keep-runs. A failed point is a row\n"
    "with status failed, its exit code and the last line of its stderr (DIR/runs/<id>.error has all of it);\n"
    "the command then exits 1. See docs/dynatran.md, \"The sparsity sweep\".";

std::string self_binary() {
    std::error_code ec;
    const fs::path p = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw SimulationError("cannot find the acceltran binary (/proc/self/exe): " + ec.message());
    return p.string();
}

int available_cores() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    return int(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
}

// A threshold as passed to the child and printed in the CSV: 10 significant digits, so that
// 0.1 + 2 * 0.005 is "0.11", not 0.11000000000000001.
std::string threshold_text(double v) {
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.10g", v);
    return buffer;
}

std::string number(double v) {
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.9g", v);
    return buffer;
}

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

}  // namespace

// START:STOP:STEP (STOP included when it is within 1e-9 of a step) or T1,T2,...; each value is
// rounded to 10 significant digits. Exposed for the unit of this file only.
std::vector<double> parse_threshold_list(const std::string& text) {
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
            throw UsageError("--thresholds '" + text + "' gives " + number(count) + " points, more than " +
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

namespace {

std::vector<int> parse_k_list(const std::string& text) {
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

enum class Series { DynaTran, TopK };

struct Point {
    std::string id;
    Series series = Series::DynaTran;
    double threshold = 0;
    int k = 0;
    bool in_table = true;                 // false: the calibration profile, run only to read its table
    std::optional<double> target;         // the --target-sparsity point
    PointRun run;
    // Filled after the run.
    bool ok = false;
    int exit_code = 0;
    std::string error;
    nlohmann::json summary;
};

// The first line of a .error file is "acceltran run exited with code N" (sweep_runner.cpp).
int exit_code_of(const std::string& error_text) {
    const std::string key = "exited with code ";
    const auto at = error_text.find(key);
    if (at != std::string::npos && at < error_text.find('\n')) return std::atoi(error_text.c_str() + at + key.size());
    return -1;  // killed by a signal, or not started
}

double figure(const nlohmann::json& j, std::initializer_list<const char*> path) {
    const nlohmann::json* node = &j;
    std::string name;
    for (const char* part : path) {
        name += (name.empty() ? "" : ".") + std::string(part);
        if (!node->is_object() || !node->contains(part)) throw std::runtime_error("summary.json has no " + name);
        node = &(*node)[part];
    }
    if (!node->is_number()) throw std::runtime_error("summary.json: " + name + " is not a number");
    return node->get<double>();
}

void settle(Point& p) {
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
                (void)figure(p.summary, path);
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

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

const std::vector<std::string> kColumns = {
    "series", "threshold", "k", "activation_sparsity", "weight_sparsity", "macs_total", "macs_effectual",
    "macs_skipped_fraction", "cycles", "throughput_seq_per_s", "energy_j", "energy_j_per_seq", "output_error_rms",
    "output_error_relative_rms", "output_error_max", "target_sparsity", "run", "status", "exit_code", "error"};

std::vector<std::string> csv_row(const Point& p) {
    std::vector<std::string> r;
    r.push_back(p.series == Series::DynaTran ? "dynatran" : "topk");
    r.push_back(p.series == Series::DynaTran ? threshold_text(p.threshold) : "");
    r.push_back(p.series == Series::TopK ? std::to_string(p.k) : "");
    if (p.ok) {
        const auto& s = p.summary;
        const double total = figure(s, {"macs", "total"}), effectual = figure(s, {"macs", "effectual"});
        for (double v : {figure(s, {"sparsity", "activation"}), figure(s, {"sparsity", "weight"}), total, effectual,
                         total > 0 ? 1.0 - effectual / total : 0.0, figure(s, {"cycles"}), figure(s, {"throughput_seq_per_s"}),
                         figure(s, {"energy_j"}), figure(s, {"energy_j_per_seq"}),
                         figure(s, {"functional", "output_error_vs_dense", "rms"}),
                         figure(s, {"functional", "output_error_vs_dense", "relative_rms"}),
                         figure(s, {"functional", "output_error_vs_dense", "max_abs"})})
            r.push_back(number(v));
    } else {
        r.resize(r.size() + 12);
    }
    r.push_back(p.target ? number(*p.target) : "");
    r.push_back("runs/" + p.id);
    r.push_back(p.ok ? "ok" : "failed");
    r.push_back(p.ok ? "0" : std::to_string(p.exit_code));
    r.push_back(p.error);
    return r;
}

std::string csv_text(const std::vector<const Point*>& rows) {
    std::string text;
    auto line = [&](const std::vector<std::string>& fields) {
        for (std::size_t i = 0; i < fields.size(); ++i) text += (i ? "," : "") + csv_field(fields[i]);
        text += "\n";
    };
    line(kColumns);
    for (const Point* p : rows) line(csv_row(*p));
    return text;
}

// The threshold that prunes the fraction `target` of the activations at the pruning points,
// interpolated linearly in the profile's table (sparsity -> threshold, measured before pruning at
// threshold 0, or at the run's own threshold in later steps). Below the table's first entry it
// interpolates from (base, 0), base being the sparsity of the threshold-0 run: the values that are
// exactly zero without any pruning. Above its last entry it extrapolates
// from the last two entries, and says so in `note`.
double interpolate_threshold(const nlohmann::json& profile, double base, double target, std::string& note) {
    std::vector<std::pair<double, double>> table;  // (sparsity, threshold), increasing
    table.emplace_back(base, 0.0);
    const auto& entries = profile.at("functional").at("threshold_for_sparsity");
    for (const auto& e : entries) {
        const double s = e.at("sparsity").get<double>(), t = e.at("threshold").get<double>();
        if (s > table.back().first && t >= table.back().second) table.emplace_back(s, t);
    }
    if (table.size() < 2) throw SimulationError("the profiling run's threshold_for_sparsity table has no usable entries");
    if (target <= base) {
        note = "the run at threshold 0 already has activation sparsity " + number(base) + " >= the target";
        return 0.0;
    }
    std::size_t i = 1;
    while (i + 1 < table.size() && table[i].first < target) ++i;
    const auto [s0, t0] = table[i - 1];
    const auto [s1, t1] = table[i];
    if (target > table.back().first)
        note = "the target is above the table's last entry (" + number(table.back().first) + "); extrapolated linearly";
    return std::max(0.0, t0 + (t1 - t0) * (target - s0) / (s1 - s0));
}

void print_table(const std::vector<const Point*>& rows, std::ostream& out) {
    out << "series     threshold     k  act.sparsity  MACs skipped      cycles  energy/seq (uJ)  rel. RMS error  status\n";
    for (const Point* p : rows) {
        char line[256];
        if (p->ok) {
            const auto& s = p->summary;
            const double total = figure(s, {"macs", "total"}), eff = figure(s, {"macs", "effectual"});
            std::snprintf(line, sizeof line, "%-9s %10s %5s %12.1f%% %12.1f%% %11.0f %16.3f %15.4g  ok%s\n",
                          p->series == Series::DynaTran ? "dynatran" : "topk",
                          p->series == Series::DynaTran ? threshold_text(p->threshold).c_str() : "-",
                          p->series == Series::TopK ? std::to_string(p->k).c_str() : "-",
                          100 * figure(s, {"sparsity", "activation"}), total > 0 ? 100 * (1 - eff / total) : 0.0,
                          figure(s, {"cycles"}), 1e6 * figure(s, {"energy_j_per_seq"}),
                          figure(s, {"functional", "output_error_vs_dense", "relative_rms"}),
                          p->target ? " (target)" : "");
        } else {
            std::snprintf(line, sizeof line, "%-9s %10s %5s %s\n", p->series == Series::DynaTran ? "dynatran" : "topk",
                          p->series == Series::DynaTran ? threshold_text(p->threshold).c_str() : "-",
                          p->series == Series::TopK ? std::to_string(p->k).c_str() : "-",
                          ("failed (exit " + std::to_string(p->exit_code) + "): " + p->error).c_str());
        }
        out << line;
    }
}

}  // namespace

int sparsity_command(const std::vector<std::string>& args) {
    namespace po = boost::program_options;
    po::options_description desc("sparsity options");
    desc.add_options()
        ("model,m", po::value<std::string>()->default_value("bert-tiny"), "model: shipped name or a .yaml/.json file (a BERT-style encoder)")
        ("accel,a", po::value<std::string>()->default_value("acceltran-edge"), "accelerator: shipped name or a .yaml file")
        ("seq", po::value<int>(), "sequence length (default: run's, 128)")
        ("batch", po::value<int>(), "batch size (default: run's, 4)")
        ("set", po::value<std::vector<std::string>>()->composing(), "override an accelerator key in every run, e.g. --set pe.count=128 (repeatable)")
        ("thresholds", po::value<std::string>(), "DynaTran thresholds: START:STOP:STEP (STOP included) or T1,T2,... (>= 0, at most 1000)")
        ("k", po::value<std::string>(), "top-k series: K1,K2,... (probabilities kept per row; integers >= 1)")
        ("target-sparsity", po::value<double>(), "calibrate: a run at threshold 0, then runs at the threshold interpolated for activation sparsity S (0 < S < 1); writes DIR/calibration.json")
        ("calibration-runs", po::value<int>()->default_value(4), "--target-sparsity: at most this many runs to reach the target within --calibration-tolerance")
        ("calibration-tolerance", po::value<double>()->default_value(0.02), "--target-sparsity: |reached - target| that ends the search")
        ("weights", po::value<std::string>(), "BERT weights (.safetensors) for every run (default: generated from --seed)")
        ("tokens", po::value<std::string>(), "token ids for every run (default: random from --seed)")
        ("seed", po::value<std::uint64_t>(), "seed of the generated weights, tokens and stochastic rounding (default: run's, 1)")
        ("weight-threshold", po::value<double>(), "offline magnitude pruning of the weights in every run, |w| <= W becomes 0")
        ("out,o", po::value<std::string>(), "output directory (required; written atomically)")
        ("force", "replace the output directory if it exists")
        ("jobs,j", po::value<int>(), "runs at once (default: the cores this process may use)")
        ("no-keep-runs", "remove each point's run directory after reading it (DIR/runs/<id>.error of failed points stay)")
        ("no-plot", "do not draw DIR/sparsity.png")
        ("no-progress", "no progress line (it is shown only when stderr is a terminal)")
        ("quiet,q", "do not print the table");
    add_plugin_option(desc);
    po::variables_map vm;
    if (!parse_options(args, desc, kUsage, vm)) return 0;

    if (!vm.count("thresholds") && !vm.count("k") && !vm.count("target-sparsity"))
        throw UsageError("give --thresholds, --k and/or --target-sparsity (see --help)");
    if (!vm.count("out")) throw UsageError("--out DIR is required");
    std::vector<double> thresholds;
    std::vector<int> ks;
    if (vm.count("thresholds")) thresholds = parse_threshold_list(vm["thresholds"].as<std::string>());
    if (vm.count("k")) ks = parse_k_list(vm["k"].as<std::string>());
    std::optional<double> target;
    if (vm.count("target-sparsity")) {
        target = vm["target-sparsity"].as<double>();
        if (!(*target > 0 && *target < 1))
            throw UsageError("--target-sparsity must be between 0 and 1 (exclusive), got " + number(*target));
    }
    const int jobs = vm.count("jobs") ? positive(vm, "jobs") : available_cores();
    const int calibration_runs = positive(vm, "calibration-runs");
    const double calibration_tolerance = vm["calibration-tolerance"].as<double>();
    if (!(calibration_tolerance >= 0 && calibration_tolerance < 1))
        throw UsageError("--calibration-tolerance must be from 0 to 1, got " + number(calibration_tolerance));
    if (vm.count("seq")) (void)positive(vm, "seq");
    if (vm.count("batch")) (void)positive(vm, "batch");
    for (const char* name : {"weight-threshold"})
        if (vm.count(name) && !(vm[name].as<double>() >= 0 && std::isfinite(vm[name].as<double>())))
            throw UsageError(std::string("--") + name + " must be a finite number >= 0");

    // Fail fast on what every run would fail on: plug-ins, the accelerator (with --set) and the model.
    load_plugins(vm);
    std::vector<std::string> overrides;
    if (vm.count("set")) overrides = vm["set"].as<std::vector<std::string>>();
    const std::string model = vm["model"].as<std::string>(), accel = vm["accel"].as<std::string>();
    (void)load_accelerator(accel, data_dir() + "/configs", overrides);
    (void)workloads::load_model(model, data_dir() + "/workloads/models");

    const std::string out = vm["out"].as<std::string>();
    if (out.empty()) throw UsageError("--out must name a directory, got an empty path");
    OutputDirectory output(fs::absolute(out).lexically_normal().string(), vm.count("force") > 0);
    const std::string work = fs::path(output.file("")).parent_path().string();  // the temporary directory

    std::vector<std::string> common{"run", "--functional", "--model", model, "--accel", accel};
    for (const char* name : {"seq", "batch"})
        if (vm.count(name)) common.insert(common.end(), {std::string("--") + name, std::to_string(vm[name].as<int>())});
    for (const std::string& s : overrides) common.insert(common.end(), {"--set", s});
    for (const char* name : {"weights", "tokens"})
        if (vm.count(name)) common.insert(common.end(), {std::string("--") + name, vm[name].as<std::string>()});
    if (vm.count("seed")) common.insert(common.end(), {"--seed", std::to_string(vm["seed"].as<std::uint64_t>())});
    if (vm.count("weight-threshold"))
        common.insert(common.end(), {"--weight-threshold", threshold_text(vm["weight-threshold"].as<double>())});
    const auto plugins = plugin_arguments(vm);
    common.insert(common.end(), plugins.begin(), plugins.end());

    std::vector<Point> points;
    points.reserve(thresholds.size() + ks.size() + 2);
    auto add = [&](Point p, std::vector<std::string> extra) {
        p.run.id = p.id;
        p.run.args = common;
        p.run.args.insert(p.run.args.end(), extra.begin(), extra.end());
        p.run.out_dir = work + "/runs/" + p.id;
        p.run.args.insert(p.run.args.end(), {"--quiet", "--no-progress", "--out", p.run.out_dir});
        p.run.error_file = p.run.out_dir + ".error";
        points.push_back(std::move(p));
    };
    for (double t : thresholds) {
        Point p;
        p.id = "dynatran-" + threshold_text(t);
        p.threshold = t;
        add(std::move(p), {"--threshold", threshold_text(t)});
    }
    for (int k : ks) {
        Point p;
        p.id = "topk-" + std::to_string(k);
        p.series = Series::TopK;
        p.k = k;
        add(std::move(p), {"--sparsity", "topk", "--k", std::to_string(k)});
    }
    // The calibration profile is the threshold-0 run: the list's, when it has one.
    std::size_t profile = points.size();
    if (target) {
        for (std::size_t i = 0; i < thresholds.size(); ++i)
            if (thresholds[i] == 0) profile = i;
        if (profile == points.size()) {
            Point p;
            p.id = "profile-0";
            p.in_table = false;
            add(std::move(p), {"--threshold", "0"});
        }
    }

    const bool quiet = vm.count("quiet") > 0;
    if (!quiet)
        std::cout << "sparsity: " << points.size() << " functional runs of " << model << " on " << accel << " on "
                  << std::min<std::size_t>(std::size_t(jobs), points.size()) << " local processes"
                  << (target ? ", then up to " + std::to_string(calibration_runs) + " to reach the target sparsity" : std::string()) << "\n"
                  << std::flush;
    SweepRunner runner(self_binary(), jobs, !vm.count("no-progress"));
    std::vector<PointRun> batch;
    for (const Point& p : points) batch.push_back(p.run);
    RunnerOutcome outcome = runner.run(batch);
    auto stopped = [](int signal) {
        std::cerr << "acceltran sparsity: stopped by " << strsignal(signal) << "; nothing was written\n";
        return 128 + signal;
    };
    if (outcome.signal) return stopped(outcome.signal);
    for (Point& p : points) settle(p);

    nlohmann::json calibration;
    if (target) {
        const Point& prof = points[profile];
        calibration = {{"target_sparsity", *target}, {"tolerance", calibration_tolerance}, {"profile_run", "runs/" + prof.id}};
        if (!prof.ok) {
            calibration["status"] = "failed";
            calibration["error"] = "the profiling run at threshold 0 failed: " + prof.error;
        } else {
            // A bracketed search: each step takes the threshold the latest run's table gives for the
            // target (its quantiles include the effect of upstream pruning at that run's threshold)
            // and falls back to the middle of the bracket of measured runs when that leaves it.
            const double base = figure(prof.summary, {"sparsity", "activation"});
            calibration["profile"] = {{"activation_sparsity", base},
                                      {"threshold_for_sparsity", prof.summary["functional"]["threshold_for_sparsity"]}};
            double lo = 0, hi = std::numeric_limits<double>::infinity();  // thresholds below / above the target
            double lo_sparsity = base, hi_sparsity = 1;                       // and the sparsity they reached
            const nlohmann::json* latest = &prof.summary;
            std::optional<std::size_t> best;
            nlohmann::json steps = nlohmann::json::array();
            std::string note;
            for (int step = 1; step <= calibration_runs; ++step) {
                double tau = 0;
                try {
                    tau = interpolate_threshold(*latest, base, *target, note);
                } catch (const std::exception& e) {
                    calibration["error"] = std::string("cannot interpolate: ") + e.what();
                    break;
                }
                const char* how = "table";
                if (step > 1 && std::isfinite(hi)) {
                    // Bracketed: interpolate between the two measured runs around the target
                    // (regula falsi), or bisect when that fails.
                    tau = lo + (hi - lo) * (*target - lo_sparsity) / (hi_sparsity - lo_sparsity);
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
                Point p;
                p.id = "target-" + number(*target) + "-step" + std::to_string(step);
                p.threshold = tau;
                p.in_table = false;
                add(std::move(p), {"--threshold", threshold_text(tau)});
                outcome = runner.run({points.back().run});
                if (outcome.signal) return stopped(outcome.signal);
                Point& run = points.back();
                settle(run);
                nlohmann::json record = {{"step", step}, {"threshold", tau}, {"from", how}, {"run", "runs/" + run.id}};
                if (!run.ok) {
                    record["error"] = run.error;
                    steps.push_back(record);
                    calibration["error"] = "calibration run " + run.id + " failed: " + run.error;
                    break;
                }
                const double achieved = figure(run.summary, {"sparsity", "activation"});
                record["achieved_sparsity"] = achieved;
                steps.push_back(record);
                const std::size_t index = points.size() - 1;
                if (!best || std::fabs(achieved - *target) <
                                 std::fabs(figure(points[*best].summary, {"sparsity", "activation"}) - *target))
                    best = index;
                if (std::fabs(achieved - *target) <= calibration_tolerance) break;
                if (achieved < *target && tau >= lo) {
                    lo = tau;
                    lo_sparsity = achieved;
                } else if (achieved >= *target && tau <= hi) {
                    hi = tau;
                    hi_sparsity = achieved;
                }
                latest = &points[index].summary;
                if (!(hi - lo > 1e-9)) break;
            }
            calibration["steps"] = steps;
            if (!note.empty()) calibration["note"] = note;
            if (best) {
                Point& cal = points[*best];
                cal.in_table = true;
                cal.target = target;
                const double achieved = figure(cal.summary, {"sparsity", "activation"});
                calibration["run"] = "runs/" + cal.id;
                calibration["threshold"] = cal.threshold;
                calibration["achieved_sparsity"] = achieved;
                calibration["achieved_minus_target"] = achieved - *target;
                calibration["within_tolerance"] = std::fabs(achieved - *target) <= calibration_tolerance;
                calibration["macs_skipped_fraction"] =
                    1.0 - figure(cal.summary, {"macs", "effectual"}) / std::max(1.0, figure(cal.summary, {"macs", "total"}));
                calibration["output_error_vs_dense"] = cal.summary["functional"]["output_error_vs_dense"];
                calibration["status"] = "ok";
            } else {
                calibration["status"] = "failed";
            }
        }
        calibration["method"] =
            "step 1: the threshold interpolated linearly in the threshold-0 run's threshold_for_sparsity table "
            "(quantiles of |x| at the pruning points before pruning), anchored at (its activation sparsity, 0); pruning "
            "upstream changes the values downstream, so the sparsity reached differs; each further step interpolates in "
            "the latest run's table until two runs bracket the target, then interpolates between those two (bisecting "
            "when that fails), until the "
            "sparsity reached is within the tolerance or --calibration-runs runs are done; the run closest to the "
            "target is reported";
        output.write("calibration.json", calibration.dump(2) + "\n");
    }

    // Rows: DynaTran by threshold, then top-k by k; the profile run only when it was asked for.
    std::vector<const Point*> rows;
    for (const Point& p : points)
        if (p.in_table) rows.push_back(&p);
    std::stable_sort(rows.begin(), rows.end(), [](const Point* a, const Point* b) {
        if (a->series != b->series) return a->series == Series::DynaTran;
        return a->series == Series::DynaTran ? a->threshold < b->threshold : a->k < b->k;
    });
    output.write("sparsity.csv", csv_text(rows));

    std::size_t failed = 0;
    for (const Point& p : points) failed += p.ok ? 0 : 1;
    if (vm.count("no-keep-runs")) {
        std::error_code ec;
        for (const Point& p : points) fs::remove_all(p.run.out_dir, ec);
        if (failed == 0) fs::remove_all(work + "/runs", ec);
    }

    bool plotted = false;
    std::string plot_message;
    if (!vm.count("no-plot")) {
        const std::string script = data_dir() + "/scripts/plot-sparsity";
        std::string title = model + " on " + accel;
        for (const Point& p : points)
            if (p.ok) {
                const auto& m = p.summary.value("model", nlohmann::json::object());
                title = m.value("name", model) + " on " + accel + ", sequence " + std::to_string(m.value("seq", 0)) +
                        ", batch " + std::to_string(m.value("batch", 0));
                break;
            }
        const auto r = fs::exists(script) ? SweepRunner::capture({script, work, "--title", title})
                                          : SweepRunner::Captured{127, script + ": not found"};
        plotted = r.exit_code == 0;
        plot_message = SweepRunner::last_line(r.output);
    }
    output.commit();
    const std::string dir = output.path();

    if (!quiet) {
        print_table(rows, std::cout);
        if (target && calibration.value("status", "") == "ok")
            std::cout << "target   activation sparsity " << number(*target) << ": threshold "
                      << threshold_text(calibration["threshold"].get<double>()) << " reached "
                      << number(calibration["achieved_sparsity"].get<double>()) << " ("
                      << (calibration["achieved_minus_target"].get<double>() >= 0 ? "+" : "")
                      << number(calibration["achieved_minus_target"].get<double>()) << ")\n";
        std::cout << "results  " << dir << "/sparsity.csv" << (target ? ", calibration.json" : "")
                  << (plotted ? ", sparsity.png" : "") << "\n";
    } else if (target && calibration.value("status", "") == "ok") {
        // The calibration is the answer the user asked for: printed even with -q.
        std::cout << "target " << number(*target) << " threshold " << threshold_text(calibration["threshold"].get<double>())
                  << " achieved " << number(calibration["achieved_sparsity"].get<double>()) << "\n";
    }
    if (!vm.count("no-plot") && !plotted)
        std::cerr << "acceltran sparsity: warning: no sparsity.png: " << plot_message << "\n";
    if (target && calibration.value("status", "") != "ok")
        std::cerr << "acceltran sparsity: --target-sparsity: " << calibration.value("error", std::string("failed")) << "\n";
    if (failed > 0 || (target && calibration.value("status", "") != "ok")) {
        if (failed > 0)
            std::cerr << "acceltran sparsity: " << failed << " of " << points.size() << " runs failed; see the error column of "
                      << dir << "/sparsity.csv and " << dir << "/runs/<id>.error\n";
        return int(ExitCode::simulation_error);
    }
    return 0;
}

}  // namespace acceltran::cli
