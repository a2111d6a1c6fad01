// Runs design points as `acceltran run` child processes, at most N at a time: SystemC elaborates
// once per process, so every point needs its own. Used by a local sweep (N workers) and by each
// Slurm array task (its chunk of points, one at a time).
//
// Each child writes its run directory itself, atomically (docs/cli.md), so a point is done
// exactly when DIR/points/<id>/summary.json exists. A failed child's stderr is kept as
// DIR/points/<id>.error, whose last line is the error message results.csv shows.
//
// SIGINT and SIGTERM stop the runner cleanly: no new child starts, running children get SIGTERM
// (children run in their own process group, so a terminal's Ctrl-C reaches only the runner, which
// decides), their temporary directories are removed, and finished points stay. Children also get
// SIGTERM if the runner itself dies (PR_SET_PDEATHSIG), so a killed sweep leaves no orphans.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/progress_meter.h"

namespace acceltran::explore {

// One point to run.
struct PointRun {
    std::string id;
    std::vector<std::string> args;  // after the program name, including --out <out_dir>
    std::string out_dir;            // the run directory the child creates
    std::string error_file;         // written when the child fails
};

struct RunnerOutcome {
    std::size_t ok = 0, failed = 0, not_run = 0;
    int signal = 0;  // SIGINT or SIGTERM when one stopped the runner, else 0
};

class SweepRunner {
public:
    // `binary`: the acceltran executable; `progress`: how to show progress on stderr.
    SweepRunner(std::string binary, int jobs, ProgressMode progress);

    RunnerOutcome run(const std::vector<PointRun>& points);

    // The cores this process may use (its CPU affinity), at least 1: the default pool size.
    static int available_cores();

    // The message of a failed point: the last non-empty line of its .error file.
    static std::string error_message(const std::string& error_file);
    // The last line of `text` that is not blank ("" if none).
    static std::string last_line(const std::string& text);

    // Files of a sweep directory are replaced atomically (temporary name, then rename), so that
    // a reader, a resumed sweep or an array task never sees half a file.
    static void write_atomically(const std::string& path, const std::string& text);
    // The whole file, or "" when it cannot be read.
    static std::string read_text(const std::string& path);

    // Runs one helper program (sbatch, squeue, scripts/plot-sweep; looked up on PATH) to the end
    // with stdin from /dev/null, and returns its exit code (127 when it cannot be executed, 128+n
    // when killed by signal n) with its stdout and stderr together.
    struct Captured {
        int exit_code = 0;
        std::string output;
    };
    static Captured capture(const std::vector<std::string>& argv);

private:
    void draw(const RunnerOutcome& o, std::size_t running, std::size_t total);

    std::string binary_;
    int jobs_;
    ProgressMeter progress_;
};

}  // namespace acceltran::explore
