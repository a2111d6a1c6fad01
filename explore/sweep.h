// A sweep directory (docs/sweeps.md): the points of a design space (or a sample of it), each run
// as its own `acceltran run` process, and the results gathered from their run directories.
// The directory DIR holds:
//
//   space.yaml              the space file as first given (a later run with another space is refused)
//   sweep.json              the points (id, model, seq, batch, values, run arguments) and metrics
//   points/<id>/            each finished point's run directory (summary.json, timeline.csv)
//   points/<id>.error       a failed point's exit status and stderr
//   results.csv, pareto.csv one row per finished point; the non-dominated ones
//   pareto.png              scripts/plot-sweep's figure, when Debian's matplotlib is there
//   slurm/                  the batch script, the chunk plan, task logs, done markers
//
// A point is done when points/<id>/summary.json exists, so a sweep resumes by being prepared and
// run again: done points are skipped, whatever order or machine they ran in. Running the points
// is left to SweepRunner (local processes) or SlurmSubmitter (a job array); this class prepares
// the directory, lists what is pending and collects what finished.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ostream>

#include <nlohmann/json.hpp>

#include "explore/design_space.h"
#include "explore/sweep_runner.h"

namespace acceltran::explore {

// What collect() wrote: the rows of results.csv by status, the points not run yet and the size
// of the front in pareto.csv.
struct SweepCollection {
    std::size_t rows = 0, ok = 0, failed = 0, missing = 0, front = 0;
    std::size_t points = 0;   // points in sweep.json
    std::string metrics;      // "throughput_seq_per_s max, energy_j_per_seq min, ..."
};

// What run_chunk() did with one chunk of a Slurm plan.
struct ChunkOutcome {
    std::size_t points = 0, ok = 0, failed = 0, already_done = 0;
    int signal = 0;  // the signal that stopped it, else 0 (the chunk is then not marked done)
};

class Sweep {
public:
    // sweep.json lists every point; past this a space is sampled, not enumerated.
    static constexpr std::uint64_t kMaxPoints = 100000;

    // The points to run: `sample` points drawn with `seed`, or the whole space when there is no
    // sample. Refuses a sample outside 1..kMaxPoints and a whole space larger than kMaxPoints.
    static std::vector<DesignPoint> choose_points(const DesignSpace& space, std::optional<std::uint64_t> sample,
                                                  std::uint64_t seed);
    // `path` made absolute and normal, since children and array tasks run in other directories.
    static std::string absolute(const std::string& path);

    // `dir`: the sweep directory, absolute.
    explicit Sweep(std::string dir);

    const std::string& dir() const { return dir_; }
    bool point_done(const std::string& id) const;

    // Checks that DIR is new, empty, or holds a sweep of the same space and sample (nothing in it
    // is removed), writes space.yaml and sweep.json, and returns the points not done yet.
    // `extra_args` (the plug-in arguments) go after each point's own run arguments; they are not
    // part of the space's identity, so a sweep can be resumed with the plug-ins at another path.
    std::vector<PointRun> prepare(const DesignSpace& space, const std::vector<DesignPoint>& points,
                                  std::optional<std::uint64_t> sample, std::uint64_t seed,
                                  const std::vector<std::string>& extra_args) const;

    // Writes results.csv (one row per point with a result or an error) and pareto.csv (the ok
    // rows on the front of the space's metrics) from sweep.json and the points' directories.
    SweepCollection collect() const;
    // Draws pareto.png with scripts/plot-sweep; a figure is a convenience, so failing is no error.
    SweepRunner::Captured plot() const;
    // collect(), then what it wrote on `report`, warnings about points without a result or
    // failed on `warnings`, and, when `plot`, pareto.png (a warning when it cannot be drawn).
    SweepCollection collect_and_report(bool plot, std::ostream& report, std::ostream& warnings) const;
    // The exit code of a collected sweep: 1 (a simulation error) when every point that ran failed.
    static int exit_code(const SweepCollection& c);

    // For a Slurm array task: runs the points of chunk `chunk` of the plan that are not done, one
    // at a time, with `binary`, and marks the chunk done unless a signal stopped it.
    ChunkOutcome run_chunk(const std::string& binary, int chunk) const;

private:
    nlohmann::json read_description() const;
    std::string point_dir(const std::string& id) const { return dir_ + "/points/" + id; }
    PointRun point_run(const nlohmann::json& point) const;

    std::string dir_;
};

}  // namespace acceltran::explore
