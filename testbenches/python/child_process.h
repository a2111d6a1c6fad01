// Runs a piece of work in a forked child process and brings its JSON answer back over a pipe.
// The Python module needs this because SystemC's kernel elaborates once per process: each
// acceltran.run() forks, simulates in the child and leaves the parent (the Python interpreter)
// able to run again. An exception in the child comes back as a ChildFailure with the kind of
// error (usage, input, simulation, internal) and its message.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace acceltran::python {

// What went wrong in the child, classified as the CLI's exit codes classify it.
class ChildFailure : public std::runtime_error {
public:
    // `interrupted`: the caller's interruption check said stop (the child is gone).
    enum class Kind { usage, input, simulation, internal, interrupted };
    ChildFailure(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

class ChildProcess {
public:
    // Forks, calls `work` in the child and returns what it returned. The child leaves with
    // _exit(), so nothing of the parent (Python's atexit handlers, buffered output) runs twice.
    // Throws ChildFailure for an exception in `work` or a child that died without answering.
    // While waiting, a signal that interrupts the wait (Ctrl-C's SIGINT) calls `interrupted`;
    // when it says true the child is killed and reaped and ChildFailure(interrupted) thrown, so
    // that a long simulation does not outlive the caller's wish to stop. The child is also killed
    // when the parent process dies (PR_SET_PDEATHSIG), rather than simulating for nobody.
    static nlohmann::json run(const std::function<nlohmann::json()>& work,
                              const std::function<bool()>& interrupted = {});
};

}  // namespace acceltran::python
