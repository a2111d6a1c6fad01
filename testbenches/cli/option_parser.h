// Shared command-line parsing for the subcommands: boost::program_options with --help, and
// every parse failure turned into a UsageError that names the option.
#pragma once

#include <cmath>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "core/errors.h"
#include "core/number_text.h"
#include "core/progress_meter.h"

namespace acceltran::cli {

// Parses `args` (with `positional` arguments, if given); returns false (after printing help to stdout) when --help was given.
inline bool parse_options(const std::vector<std::string>& args, boost::program_options::options_description& desc,
                          const std::string& usage, boost::program_options::variables_map& vm,
                          const boost::program_options::positional_options_description* positional = nullptr) {
    namespace po = boost::program_options;
    desc.add_options()("help,h", "show this help and exit")("version", "print the version and exit");
    // Boost drops a word that is neither an option nor one of the command's positional arguments
    // without a word (`acceltran run bert-base` simulated the default bert-tiny, exit 0): such words
    // go to a hidden catch-all and are refused below, by name.
    po::options_description parsed;
    parsed.add(desc).add_options()("unexpected-argument", po::value<std::vector<std::string>>());
    po::positional_options_description words = positional ? *positional : po::positional_options_description();
    words.add("unexpected-argument", -1);
    try {
        po::command_line_parser parser(args);
        parser.options(parsed).positional(words);
        const po::parsed_options parsed_args = parser.run();
        // Boost reads "-1" for an unsigned option as 2^64 - 1 (`--seed -1` ran with seed
        // 18446744073709551615, `sweep --sample -1` was refused as a sample of that size).
        for (const po::option& o : parsed_args.options) {
            const po::option_description* d = parsed.find_nothrow(o.string_key, false);
            if (!d || !dynamic_cast<const po::typed_value<std::uint64_t>*>(d->semantic().get())) continue;
            for (const std::string& v : o.value)
                if (const auto at = v.find_first_not_of(" \t"); at != std::string::npos && v[at] == '-')
                    throw UsageError("--" + o.string_key + " expects a whole number of 0 or more, got '" + v + "'");
        }
        po::store(parsed_args, vm);
        if (vm.count("unexpected-argument"))
            throw UsageError("unexpected argument '" + vm["unexpected-argument"].as<std::vector<std::string>>().front() +
                             "': " + (positional ? "more arguments than the command takes" :
                                                   "the command takes options only (--name value)") +
                             " (see --help)");
        if (vm.count("help")) {
            std::cout << usage << "\n\n" << desc << "\n";
            return false;
        }
        if (vm.count("version")) {
            std::cout << "acceltran " << ACCELTRAN_VERSION << "\n";
            return false;
        }
        po::notify(vm);
    } catch (const po::error& e) {
        throw UsageError(std::string(e.what()) + " (see --help)");
    }
    return true;
}

inline int positive(const boost::program_options::variables_map& vm, const std::string& name) {
    int v = vm[name].as<int>();
    if (v < 1) throw UsageError("--" + name + " must be a positive integer, got " + std::to_string(v));
    return v;
}

// A generation is sized by --prompt-len and --gen-len; an explicit --seq beside them would be
// ignored, so it is refused rather than silently dropped (run and analyze alike).
inline bool generation_requested(const boost::program_options::variables_map& vm) {
    const bool generation = vm.count("prompt-len") || vm.count("gen-len");
    if (generation && !vm["seq"].defaulted())
        throw UsageError("give either --seq or --prompt-len/--gen-len: a generation covers prompt + generated positions, "
                         "so --seq would be ignored");
    return generation;
}

// --progress MODE and its older spelling --no-progress (= --progress off), for run, sweep and
// sparsity alike.
inline void add_progress_options(boost::program_options::options_description& desc) {
    desc.add_options()
        ("progress",
         boost::program_options::value<std::string>()->default_value("auto")->notifier(
             [](const std::string& mode) { parse_progress_mode(mode); }),
         "auto|bar|lines|off: a bar redrawn on a terminal, a plain line every 10 s for logs and cluster jobs "
         "(auto: the bar on a terminal, else lines once the job has run 10 s); with an ETA")
        ("no-progress", "the same as --progress off");
}

inline ProgressMode progress_mode(const boost::program_options::variables_map& vm) {
    // Both given: --no-progress won without a word, whatever --progress asked for.
    if (vm.count("no-progress") && !vm["progress"].defaulted())
        throw UsageError("give --progress MODE or --no-progress (= --progress off), not both");
    return vm.count("no-progress") ? ProgressMode::off : parse_progress_mode(vm["progress"].as<std::string>());
}

}  // namespace acceltran::cli
