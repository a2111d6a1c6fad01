// `acceltran sparsity`: the options, table and messages of a sweep of DynaTran thresholds and/or
// top-k k values in functional mode (docs/dynatran.md, "The sparsity sweep"). The sweep and the
// --target-sparsity calibration are explore/sparsity_sweep.h and explore/threshold_calibration.h;
// this file writes their results into the output directory DIR, atomically as a run's:
//
//   sparsity.csv        one row per point
//   sparsity.png        scripts/plot-sparsity's figure, when Debian's matplotlib is there
//   calibration.json    with --target-sparsity: target, interpolated threshold, achieved sparsity
//   runs/<id>/          each point's run directory (removed after reading with --no-keep-runs)
//   runs/<id>.error     a failed point's exit status and stderr (always kept)
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>

#include "core/errors.h"
#include "core/number_text.h"
#include "explore/sparsity_sweep.h"
#include "explore/sweep_runner.h"
#include "testbenches/cli/commands.h"
#include "testbenches/cli/option_parser.h"
#include "testbenches/cli/output_argument.h"
#include "core/output_directory.h"
#include "testbenches/cli/plugin_options.h"
#include "testbenches/cli/self_binary.h"

namespace acceltran::cli {

using namespace acceltran::explore;

namespace {

namespace fs = std::filesystem;

const char* kSparsityUsage =
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

std::string number(double v) { return nine_digit_text(v); }

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
        ("weights", po::value<std::string>(), "BERT weights (.safetensors) for every run (default: an ONNX model's initializers, else generated from --seed)")
        ("tokens", po::value<std::string>(), "token ids for every run (default: random from --seed)")
        ("seed", po::value<std::uint64_t>(), "seed of the generated weights, tokens and stochastic rounding (default: run's, 1)")
        ("weight-threshold", po::value<double>(), "offline magnitude pruning of the weights in every run, |w| <= W becomes 0")
        ("out,o", po::value<std::string>(), "output directory (required; written atomically)")
        ("force", "replace an earlier sparsity sweep's directory at --out (one holding a sparsity.csv; any other directory is refused)")
        ("jobs,j", po::value<int>(), "runs at once (default: the cores this process may use)")
        ("no-keep-runs", "remove each point's run directory after reading it (DIR/runs/<id>.error of failed points stay)")
        ("no-plot", "do not draw DIR/sparsity.png")
        ("quiet,q", "do not print the table");
    add_plugin_option(desc);
    add_progress_options(desc);
    po::variables_map vm;
    if (!parse_options(args, desc, kSparsityUsage, vm)) return 0;

    if (!vm.count("thresholds") && !vm.count("k") && !vm.count("target-sparsity"))
        throw UsageError("give --thresholds, --k and/or --target-sparsity (see --help)");
    if (!vm.count("out")) throw UsageError("--out DIR is required");
    const std::string out = vm["out"].as<std::string>();
    check_output_directory(out, "sparsity.csv", "sparsity");
    const ProgressMode progress = progress_mode(vm);  // checked before anything is run
    SparsitySweepOptions o;
    if (vm.count("thresholds")) o.thresholds = SparsitySweep::parse_thresholds(vm["thresholds"].as<std::string>());
    if (vm.count("k")) o.ks = SparsitySweep::parse_ks(vm["k"].as<std::string>());
    if (vm.count("target-sparsity")) {
        o.target = vm["target-sparsity"].as<double>();
        if (!(*o.target > 0 && *o.target < 1))
            throw UsageError("--target-sparsity must be between 0 and 1 (exclusive), got " + number(*o.target));
    }
    const std::optional<double>& target = o.target;
    // Both have defaults: only values given explicitly, and unused without a target, are refused.
    for (const char* name : {"calibration-runs", "calibration-tolerance"})
        if (!target && !vm[name].defaulted()) throw UsageError(std::string("--") + name + " needs --target-sparsity");
    const int jobs = vm.count("jobs") ? positive(vm, "jobs") : SweepRunner::available_cores();
    o.calibration_runs = positive(vm, "calibration-runs");
    o.calibration_tolerance = vm["calibration-tolerance"].as<double>();
    if (!(o.calibration_tolerance >= 0 && o.calibration_tolerance < 1))
        throw UsageError("--calibration-tolerance must be from 0 to 1, got " + number(o.calibration_tolerance));
    if (vm.count("seq")) o.seq = positive(vm, "seq");
    if (vm.count("batch")) o.batch = positive(vm, "batch");
    for (const char* name : {"weight-threshold"})
        if (vm.count(name) && !(vm[name].as<double>() >= 0 && std::isfinite(vm[name].as<double>())))
            throw UsageError(std::string("--") + name + " must be a finite number >= 0, got " + number(vm[name].as<double>()));

    // Fail fast on what every run would fail on: plug-ins, the accelerator (with --set), the
    // model, and the weights and tokens files.
    load_plugins(vm);
    if (vm.count("set")) o.overrides = vm["set"].as<std::vector<std::string>>();
    o.model = vm["model"].as<std::string>();
    o.accel = vm["accel"].as<std::string>();
    if (vm.count("weights")) o.weights = vm["weights"].as<std::string>();
    if (vm.count("tokens")) o.tokens = vm["tokens"].as<std::string>();
    SparsitySweep::check_inputs(o);

    OutputDirectory output(fs::absolute(out).lexically_normal().string(), vm.count("force") > 0);
    const std::string work = fs::path(output.file("")).parent_path().string();  // the temporary directory

    if (vm.count("seed")) o.seed = vm["seed"].as<std::uint64_t>();
    if (vm.count("weight-threshold")) o.weight_threshold = vm["weight-threshold"].as<double>();
    o.extra_args = plugin_arguments(vm);
    const std::string model = o.model, accel = o.accel;
    const int calibration_runs = o.calibration_runs;
    SparsitySweep sweep(std::move(o), work);

    const bool quiet = vm.count("quiet") > 0;
    if (!quiet)
        std::cout << "sparsity: " << sweep.size() << " functional runs of " << model << " on " << accel << " on "
                  << std::min<std::size_t>(std::size_t(jobs), sweep.size()) << " local processes"
                  << (target ? ", then up to " + std::to_string(calibration_runs) + " to reach the target sparsity" : std::string()) << "\n"
                  << std::flush;
    if (const int signal = sweep.run(self_binary(), jobs, progress)) {
        std::cerr << "acceltran sparsity: stopped by " << strsignal(signal) << "; nothing was written\n";
        return 128 + signal;
    }
    if (target) output.write("calibration.json", sweep.calibration().dump(2) + "\n");
    output.write("sparsity.csv", sweep.csv());
    if (vm.count("no-keep-runs")) sweep.remove_runs();
    std::optional<std::string> plot_failure;  // why a wanted sparsity.png is missing
    const auto plot = vm.count("no-plot") ? SweepRunner::Captured{1, ""} : sweep.plot();
    if (!vm.count("no-plot") && plot.exit_code != 0) plot_failure = SweepRunner::last_line(plot.output);
    output.commit();
    return sweep.report(std::cout, std::cerr, output.path(), quiet, plot.exit_code == 0, plot_failure);
}

}  // namespace acceltran::cli
