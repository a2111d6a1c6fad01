#include "explore/slurm_submitter.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "explore/sweep_runner.h"

namespace acceltran::explore {

namespace {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// Values that go into #SBATCH lines verbatim: no spaces or shell characters, so that a typo
// cannot change the script. Slurm's own syntax check happens at submission.
void check_value(const std::string& option, const std::string& value, const std::string& allowed_extra) {
    for (char c : value)
        if (!std::isalnum(static_cast<unsigned char>(c)) && allowed_extra.find(c) == std::string::npos)
            throw UsageError("--" + option + " '" + value + "': expected letters, digits and '" + allowed_extra +
                             "' only");
}

// sbatch --parsable prints "<job id>" or "<job id>;<cluster>", possibly after warnings.
std::string parse_job_id(const std::string& output) {
    std::istringstream in(output);
    std::string line, id;
    while (std::getline(in, line)) {
        const std::string head = line.substr(0, line.find(';'));
        if (!head.empty() && std::all_of(head.begin(), head.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
            id = head;
    }
    return id;
}

}  // namespace

SlurmSubmitter::SlurmSubmitter(std::string sweep_dir, std::string binary, SlurmOptions options)
    : dir_(std::move(sweep_dir)), binary_(std::move(binary)), options_(std::move(options)) {
    check_value("partition", options_.partition, "_-.,");
    check_value("time", options_.time, ":-");
    if (options_.chunk < 0) throw UsageError("--array-chunk must be a positive number of points");
}

std::string SlurmSubmitter::slurm_dir() const { return dir_ + "/slurm"; }
std::string SlurmSubmitter::script_path() const { return slurm_dir() + "/sweep.sbatch"; }

std::string SlurmSubmitter::submit(const std::vector<std::string>& ids) {
    if (ids.empty()) throw std::invalid_argument("nothing to submit");
    const std::string job_file = slurm_dir() + "/job-id";
    const std::string earlier = SweepRunner::last_line(SweepRunner::read_text(job_file));
    bool answered = false;
    if (!earlier.empty() && job_active(earlier, answered))
        throw UsageError("Slurm job " + earlier + " of an earlier submission for " + dir_ +
                         " is still queued or running; wait for it to end (or `scancel " + earlier +
                         "`) before submitting again");

    const int per_task = options_.chunk > 0 ? options_.chunk
                                            : int((ids.size() + kMaxArrayTasks - 1) / kMaxArrayTasks);
    nlohmann::json plan = nlohmann::json::array();
    for (std::size_t i = 0; i < ids.size(); i += std::size_t(per_task))
        plan.push_back(std::vector<std::string>(ids.begin() + std::ptrdiff_t(i),
                                                ids.begin() + std::ptrdiff_t(std::min(ids.size(), i + std::size_t(per_task)))));
    chunks_ = int(plan.size());

    std::error_code ec;
    fs::create_directories(slurm_dir(), ec);
    if (ec) throw UsageError("cannot create " + slurm_dir() + ": " + ec.message());
    // Markers of an earlier submission would make this one look finished.
    for (const auto& e : fs::directory_iterator(slurm_dir(), ec))
        if (e.path().filename().string().rfind("done-", 0) == 0) fs::remove(e.path(), ec);
    SweepRunner::write_atomically(slurm_dir() + "/plan.json", nlohmann::json{{"chunks", plan}}.dump(1) + "\n");

    std::ostringstream script;
    script << "#!/bin/bash\n"
           << "# Written by `acceltran sweep --slurm` (docs/sweeps.md): " << ids.size() << " points in " << chunks_
           << " array tasks of up to " << per_task << ".\n"
           << "# Each task runs the points of its chunk (plan.json) one after another, skipping those already\n"
           << "# done. It was submitted as:\n"
           << "#   sbatch --parsable --chdir=" << shell_quote(dir_) << " " << shell_quote(script_path()) << "\n"
           << "#SBATCH --job-name=acceltran-sweep\n"
           << "#SBATCH --array=0-" << chunks_ - 1 << "\n"
           << "#SBATCH --ntasks=1\n"
           << "#SBATCH --cpus-per-task=1\n"
           << "#SBATCH --output=slurm/task-%A_%a.out\n";
    if (!options_.partition.empty()) script << "#SBATCH --partition=" << options_.partition << "\n";
    if (!options_.time.empty()) script << "#SBATCH --time=" << options_.time << "\n";
    script << "exec " << shell_quote(binary_) << " sweep --run-chunk " << shell_quote(dir_)
           << " --chunk \"$SLURM_ARRAY_TASK_ID\"\n";
    SweepRunner::write_atomically(script_path(), script.str());
    fs::permissions(script_path(), fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add, ec);

    const auto r = SweepRunner::capture({"sbatch", "--parsable", "--chdir=" + dir_, script_path()});
    const std::string id = parse_job_id(r.output);
    if (r.exit_code != 0 || id.empty())
        throw SimulationError("sbatch " + script_path() + " failed (exit code " + std::to_string(r.exit_code) +
                              "): " + (SweepRunner::last_line(r.output).empty() ? "no output" : SweepRunner::last_line(r.output)));
    SweepRunner::write_atomically(job_file, id + "\n");
    return id;
}

bool SlurmSubmitter::job_active(const std::string& job_id, bool& answered) const {
    // --array: one line per task, so a pending remainder of the array shows too.
    const auto r = SweepRunner::capture({"squeue", "--noheader", "--array", "--jobs=" + job_id, "--format=%T"});
    answered = r.exit_code == 0 || r.output.find("Invalid job id") != std::string::npos;
    return r.exit_code == 0 && r.output.find_first_not_of(" \t\r\n") != std::string::npos;
}

void SlurmSubmitter::wait(const std::string& job_id) const {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    auto next_query = start;
    int interval = 1, empty_answers = 0, failures = 0;
    std::string last_error;
    ProgressMeter progress(options_.progress, "sweep", "array tasks");
    while (true) {
        int done = 0;
        for (int i = 0; i < chunks_; ++i) done += fs::exists(slurm_dir() + "/done-" + std::to_string(i)) ? 1 : 0;
        if (done == chunks_) break;
        progress.update(done, chunks_, "Slurm job " + job_id);
        if (clock::now() >= next_query) {
            bool answered = false;
            const bool active = job_active(job_id, answered);
            if (!answered) {
                // A controller restart or a network blip; give up only when it lasts.
                if (++failures >= 10)
                    throw SimulationError("squeue cannot tell the state of Slurm job " + job_id +
                                          " (10 tries): the job may still be running; collect its results later with "
                                          "`acceltran sweep --collect " + dir_ + "`");
            } else {
                failures = 0;
                // Two empty answers in a row: one may come between a task's end and its marker.
                empty_answers = active ? 0 : empty_answers + 1;
                if (empty_answers >= 2) break;
            }
            next_query = clock::now() + std::chrono::seconds(interval);
            interval = std::min(interval + 1, 15);
        }
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
}

std::vector<std::string> SlurmSubmitter::chunk_ids(const std::string& sweep_dir, int index) {
    const std::string file = sweep_dir + "/slurm/plan.json";
    nlohmann::json plan;
    try {
        plan = nlohmann::json::parse(SweepRunner::read_text(file));
    } catch (const nlohmann::json::exception& e) {
        throw InputError(file + ": expected the plan written by `acceltran sweep --slurm`: " + e.what());
    }
    if (!plan.contains("chunks") || !plan["chunks"].is_array())
        throw InputError(file + ": chunks: expected a list of chunks, found none");
    if (index < 0 || std::size_t(index) >= plan["chunks"].size())
        throw UsageError("--chunk " + std::to_string(index) + ": the plan in " + file + " has chunks 0 to " +
                         std::to_string(int(plan["chunks"].size()) - 1));
    return plan["chunks"][std::size_t(index)].get<std::vector<std::string>>();
}

void SlurmSubmitter::mark_done(const std::string& sweep_dir, int index) {
    SweepRunner::write_atomically(sweep_dir + "/slurm/done-" + std::to_string(index), "done\n");
}

}  // namespace acceltran::explore
