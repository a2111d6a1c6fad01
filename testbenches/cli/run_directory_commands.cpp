// `acceltran rerun DIR` and `acceltran diff A B`: the run directories of earlier runs, read back
// (explore/recorded_run.h, explore/run_comparison.h).
#include <filesystem>
#include <iostream>

#include "core/input_record.h"
#include "explore/recorded_run.h"
#include "explore/run_comparison.h"
#include "testbenches/cli/commands.h"
#include "testbenches/cli/option_parser.h"

namespace acceltran::cli {

int rerun_command(const std::vector<std::string>& args) {
    namespace po = boost::program_options;
    po::options_description desc("rerun options");
    desc.add_options()
        ("dir", po::value<std::string>()->required(), "the run directory to reproduce")
        ("out,o", po::value<std::string>(), "the new run directory (default DIR-rerun)")
        ("force", "run even if an input file changed since (its SHA-256 differs or it is gone), and replace the new directory if it exists");
    po::positional_options_description positional;
    positional.add("dir", 1);
    po::variables_map vm;
    if (!parse_options(args, desc,
                       "usage: acceltran rerun DIR [--out NEW_DIR] [--force]\n"
                       "Runs the `acceltran run` recorded in DIR/summary.json's provenance again, from the directory it\n"
                       "ran in, into NEW_DIR. Refused when an input file changed since, unless --force (docs/outputs.md).",
                       vm, &positional))
        return 0;
    // The default output is DIR-rerun: `rerun DIR/.` or `rerun .` gave DIR/.-rerun, a hidden
    // directory inside the run directory, so a DIR ending in . or .. is made absolute first.
    std::string dir = vm["dir"].as<std::string>();
    const std::filesystem::path normal = std::filesystem::path(dir).lexically_normal();
    if (!dir.empty()) {
        const std::string last = (normal.has_filename() ? normal : normal.parent_path()).filename().string();
        dir = last == "." || last == ".." ? std::filesystem::absolute(dir).lexically_normal().string() : normal.string();
    }
    const explore::RecordedRun recorded{explore::RunDirectory(dir)};
    recorded.check_inputs(vm.count("force") > 0, std::cerr);
    const std::string out = vm.count("out") ? vm["out"].as<std::string>() : recorded.default_output();
    if (out.empty()) throw UsageError("--out must name a directory, got an empty path");
    const auto run_args = recorded.rerun_arguments(out, vm.count("force") > 0);
    recorded.enter_working_directory();
    InputRecord::clear();  // the rerun's provenance lists its own inputs only
    return run_command(run_args);
}

int diff_command(const std::vector<std::string>& args) {
    namespace po = boost::program_options;
    po::options_description desc("diff options");
    desc.add_options()
        ("a", po::value<std::string>()->required(), "the first run directory (A)")
        ("b", po::value<std::string>()->required(), "the second run directory (B)")
        ("top", po::value<int>()->default_value(30), "at most N rows per list of differences; 0: all");
    po::positional_options_description positional;
    positional.add("a", 1).add("b", 1);
    po::variables_map vm;
    if (!parse_options(args, desc,
                       "usage: acceltran diff DIR_A DIR_B [--top N]\n"
                       "Compares two run directories: configuration keys that differ, then summary figures (largest\n"
                       "relative change first), then per op when both have an ops.csv (largest share of the column's\n"
                       "total first). Exit code 0 whatever differs.",
                       vm, &positional))
        return 0;
    const int top = vm["top"].as<int>();
    if (top < 0) throw UsageError("--top must be 0 (all) or a positive number of rows, got " + std::to_string(top));
    explore::RunComparison(explore::RunDirectory(vm["a"].as<std::string>()), explore::RunDirectory(vm["b"].as<std::string>()))
        .write(std::cout, std::size_t(top));
    return 0;
}

}  // namespace acceltran::cli
