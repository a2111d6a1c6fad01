// The --plugin option shared by run, list and validate: loads model plug-ins (shared objects,
// docs/plugins.md) before any config is read, so that the YAML can select their models.
#pragma once

#include <boost/program_options.hpp>

namespace acceltran::cli {

// Adds `--plugin PATH` (repeatable) to `desc`.
void add_plugin_option(boost::program_options::options_description& desc);
// Loads every --plugin given, in order; a bad one is an InputError (exit code 3).
void load_plugins(const boost::program_options::variables_map& vm);

}  // namespace acceltran::cli
