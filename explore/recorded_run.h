// A finished run as its summary.json's provenance recorded it (core/provenance.h), for
// `acceltran rerun DIR`: which input files changed since (their SHA-256 no longer matches, or they
// are gone), and the `acceltran run` arguments that run the same configuration into a new
// directory. The caller runs those arguments from the recorded working directory, in which the
// recorded relative paths were given (docs/cli.md, rerun).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/provenance.h"
#include "explore/run_directory.h"

namespace acceltran::explore {

// An input file whose bytes are not those the run read.
struct ChangedInput {
    RecordedInput recorded;
    std::string now;  // its SHA-256 today, or why it could not be read ("no such file")
};

class RecordedRun {
public:
    // InputError when the directory has no provenance or its command line is not an `acceltran
    // run` (a run written by a program through Simulation records none).
    explicit RecordedRun(const RunDirectory& directory);

    const Provenance& provenance() const { return provenance_; }

    // The recorded inputs whose SHA-256 differs today, in the recorded order.
    std::vector<ChangedInput> changed_inputs() const;
    // One line per change, for a warning or an error: "PATH (KIND): recorded SHA-256 X, now Y".
    static std::string describe(const std::vector<ChangedInput>& changes);
    // changed_inputs(), refused with an InputError listing them (a run on other inputs would not
    // reproduce the result) unless `force`, which lists them on `warnings` instead.
    void check_inputs(bool force, std::ostream& warnings) const;

    // Where a rerun goes when not told: DIR-rerun beside DIR.
    std::string default_output() const { return directory_ + "-rerun"; }
    // Makes the recorded working directory the current one, in which the recorded relative paths
    // were given; InputError when it is gone.
    void enter_working_directory() const;

    // The arguments after `acceltran run`: the recorded ones without their output directory
    // (--out, -o, in any spelling the option parser accepts) and --force, then `--out out` and,
    // when `replace`, --force. `out` is made absolute: the run starts in the working directory.
    std::vector<std::string> rerun_arguments(const std::string& out, bool replace) const;

private:
    std::string directory_, origin_;
    Provenance provenance_;
};

}  // namespace acceltran::explore
