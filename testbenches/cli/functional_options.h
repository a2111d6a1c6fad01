// `acceltran run --functional` and its companions (weights, tokens, seed, DynaTran or top-k):
// parsed and checked into FunctionalSettings (core/run_settings.h).
#pragma once

#include <optional>

#include <boost/program_options.hpp>

#include "core/run_settings.h"

namespace acceltran::cli {

// Adds --functional, --weights, --tokens, --seed, --sparsity, --threshold, --k,
// --weight-threshold.
void add_functional_options(boost::program_options::options_description& desc);
// The options given over the accelerator's configured rule (AcceleratorConfig::sparsity_rule),
// checked (UsageError for misuse, e.g. --threshold without --functional); nullopt when
// --functional is absent and the configured rule prunes nothing (a timing-only run).
std::optional<FunctionalSettings> functional_settings(const boost::program_options::variables_map& vm,
                                                      const sparsity::DynaTranConfig& configured);

}  // namespace acceltran::cli
