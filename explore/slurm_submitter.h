// Runs a sweep's pending points on a Slurm cluster as one job array (docs/sweeps.md): the points
// are cut into chunks of K, listed in DIR/slurm/plan.json; DIR/slurm/sweep.sbatch runs one
// chunk per array task with `acceltran sweep --run-chunk DIR --chunk I`, which runs the chunk's
// points one after another and then leaves DIR/slurm/done-<I>. The sweep directory must be on a
// file system the compute nodes share, as it is on any cluster's home or scratch space.
//
// Waiting polls the done markers every second and squeue at a slowing pace (1 s, 2 s, ... up
// to 15 s between calls, to be gentle with the controller). squeue shows nothing once the job has
// left the queue; a job whose tasks died leaves points without results, which the collection then
// reports.
#pragma once

#include <string>
#include <vector>

#include "core/progress_meter.h"

namespace acceltran::explore {

struct SlurmOptions {
    std::string partition;  // --partition; "" = the cluster's default
    std::string time;       // --time limit per array task; "" = the partition's default
    int chunk = 0;          // points per array task; 0 = enough to stay within 1000 tasks
    ProgressMode progress = ProgressMode::off;  // progress on stderr while waiting
};

class SlurmSubmitter {
public:
    // Slurm's default MaxArraySize is 1001 (task ids 0-1000); the default chunk keeps arrays
    // within it.
    static constexpr int kMaxArrayTasks = 1000;

    // `sweep_dir` absolute; `binary` the acceltran executable the tasks run.
    SlurmSubmitter(std::string sweep_dir, std::string binary, SlurmOptions options);

    // Writes plan.json and sweep.sbatch for the ids, submits the array with sbatch and returns
    // the job id. Refuses while an earlier job of this directory is still queued or running.
    std::string submit(const std::vector<std::string>& ids);
    // Returns when the job has left the queue or every chunk has finished.
    void wait(const std::string& job_id) const;

    int chunks() const { return chunks_; }
    std::string script_path() const;

    // For an array task: the ids of chunk `index` of the plan in `sweep_dir`.
    static std::vector<std::string> chunk_ids(const std::string& sweep_dir, int index);
    // Marks chunk `index` as finished (all its points attempted).
    static void mark_done(const std::string& sweep_dir, int index);

private:
    bool job_active(const std::string& job_id, bool& answered) const;
    std::string slurm_dir() const;

    std::string dir_, binary_;
    SlurmOptions options_;
    int chunks_ = 0;
};

}  // namespace acceltran::explore
