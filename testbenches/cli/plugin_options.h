// The --plugin option shared by run, list, validate and sweep: loads model plug-ins (shared
// objects, docs/plugins.md) before any config is read, so that the YAML can select their models.
#pragma once

#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace acceltran::cli {

// Adds `--plugin PATH` (repeatable) to `desc`.
void add_plugin_option(boost::program_options::options_description& desc);
// Loads every --plugin given, in order; a bad one is an InputError (exit code 3).
void load_plugins(const boost::program_options::variables_map& vm);
// `--plugin <absolute path>` for every --plugin given, in order: the arguments that make a child
// `acceltran run` (started elsewhere, e.g. by a Slurm task in another directory) load the same
// plug-ins.
std::vector<std::string> plugin_arguments(const boost::program_options::variables_map& vm);

}  // namespace acceltran::cli
