// Where a result came from: summary.json's `provenance` (docs/outputs.md). The tool's version and
// the commit it was built from, the command line and the directory it ran in, the run settings as
// resolved, and the SHA-256 of every input file read. With the summary's `model` and
// `accelerator` blocks (the model and design point as run, overrides applied) it is enough for
// `acceltran rerun` to run the same thing again and to tell when an input changed since.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/input_record.h"
#include "core/run_settings.h"

namespace acceltran {

struct Provenance {
    std::string version;                    // build_version()
    std::string commit;                     // build_commit(): git describe, or "unknown"
    std::vector<std::string> command_line;  // program name first; empty when no command line ran it
    std::string working_directory;          // absolute; relative paths of command_line are relative to it
    nlohmann::json settings;                // run_settings_json() of the run
    std::vector<RecordedInput> inputs;      // every input file read, in reading order

    // This process: the build's version and commit, the current directory, the input files read
    // so far (InputRecord), and the given command line and settings.
    static Provenance of_this_process(std::vector<std::string> command_line, const RunSettings& settings);

    nlohmann::json to_json() const;
    // From summary.json's `provenance`; InputError naming `origin` and the key when it is not
    // what to_json() writes.
    static Provenance from_json(const nlohmann::json& j, const std::string& origin);
};

// The run settings as resolved (defaults included), in the order RunSettings declares them.
nlohmann::json run_settings_json(const RunSettings& settings);

}  // namespace acceltran
