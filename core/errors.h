// Error types shared by every layer. Each carries the exit code the CLI maps it to, so that
// a script driving acceltran can tell a typo on the command line from a bad file from a model
// that could not be simulated.
#pragma once

#include <stdexcept>
#include <string>

namespace acceltran {

// Documented in docs/cli.md; keep in sync.
enum class ExitCode : int {
    ok = 0,
    simulation_error = 1,  // the model itself failed (deadlock, internal invariant)
    usage_error = 2,       // bad command line
    input_error = 3,       // bad config, model or data file
};

// A bad input file or value. `what()` is the full user-facing message, already including the
// file:line:column location and key path where those are known.
class InputError : public std::runtime_error {
public:
    explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

// A bad command line (unknown flag, malformed value).
class UsageError : public std::runtime_error {
public:
    explicit UsageError(const std::string& message) : std::runtime_error(message) {}
};

// The simulation could not complete (no progress possible, broken invariant).
class SimulationError : public std::runtime_error {
public:
    explicit SimulationError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace acceltran
