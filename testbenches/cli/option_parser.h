// Shared command-line parsing for the subcommands: boost::program_options with --help, and
// every parse failure turned into a UsageError that names the option.
#pragma once

#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "core/errors.h"
#include "core/number_text.h"

namespace acceltran::cli {

// Parses `args`; returns false (after printing help to stdout) when --help was given.
inline bool parse_options(const std::vector<std::string>& args, boost::program_options::options_description& desc,
                          const std::string& usage, boost::program_options::variables_map& vm) {
    namespace po = boost::program_options;
    desc.add_options()("help,h", "show this help and exit")("version", "print the version and exit");
    try {
        po::store(po::command_line_parser(args).options(desc).run(), vm);
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

}  // namespace acceltran::cli
