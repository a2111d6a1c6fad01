// `acceltran sweep --slurm` against a real Slurm: a single-node cluster on localhost (munged,
// slurmctld, slurmd from Debian's munge and slurm-wlm) that scripts/slurm-local starts in a
// scratch directory and stops afterwards. The small space run as a job array must give the
// local sweep's results.csv, apart from the host's timings; so must a --no-wait submission
// gathered later with --collect.
//
// When the cluster cannot be started (not root, packages missing, a daemon failing), the test
// fails with the script's reason: a Slurm path that silently goes untested is worse than a red test.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "tests/integration/integration_support.h"
#include "tests/source_tree.h"

using namespace acceltran::testing;
using acceltran::testing::kSourceDir;

namespace {

const std::string kSlurmSpace = kSourceDir + "/configs/design-spaces/small.yaml";

// Starts the cluster in `dir` and stops it when it goes out of scope, whatever the test did.
class LocalSlurm {
public:
    explicit LocalSlurm(const std::string& dir) : dir_(dir) {
        const std::string log = dir + ".log";
        const int status = std::system(("'" + kSourceDir + "/scripts/slurm-local' start '" + dir + "' >'" + log + "' 2>&1").c_str());
        started_ = status == 0;
        output_ = read_text(log);
        // The script prints `export SLURM_CONF=...`; sbatch and squeue in the sweep read it.
        if (started_) setenv("SLURM_CONF", (dir + "/slurm.conf").c_str(), 1);
    }
    ~LocalSlurm() {
        (void)!std::system(("'" + kSourceDir + "/scripts/slurm-local' stop '" + dir_ + "' >/dev/null 2>&1").c_str());
    }
    LocalSlurm(const LocalSlurm&) = delete;
    LocalSlurm& operator=(const LocalSlurm&) = delete;

    bool started() const { return started_; }
    const std::string& output() const { return output_; }

private:
    std::string dir_, output_;
    bool started_ = false;
};

// results.csv without its wall_seconds column. The small space's values hold no commas (the file
// is checked for quotes), so splitting at commas is exact.
std::vector<std::vector<std::string>> rows_without_timing(const std::string& file) {
    const std::string text = read_text(file);
    REQUIRE(text.find('"') == std::string::npos);
    std::vector<std::vector<std::string>> rows;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        std::vector<std::string> fields;
        std::istringstream cells(line + ",");
        for (std::string cell; std::getline(cells, cell, ',');) fields.push_back(cell);
        rows.push_back(fields);
    }
    REQUIRE(!rows.empty());
    const auto timing = std::find(rows[0].begin(), rows[0].end(), "wall_seconds") - rows[0].begin();
    REQUIRE(timing < std::ptrdiff_t(rows[0].size()));
    for (auto& r : rows) r.erase(r.begin() + timing);
    return rows;
}

}  // namespace

TEST_CASE("sweep on Slurm: a job array gives the local sweep's results", "[unsanitized][integration][sweep][slurm]") {
    ScratchDir dir("sweep-slurm");
    // munged refuses a socket below a directory others cannot search; ScratchDir follows the umask.
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
    LocalSlurm cluster(dir / "cluster");
    INFO("scripts/slurm-local start said:\n" << cluster.output());
    REQUIRE(cluster.started());

    const std::string local = dir / "local", slurm = dir / "slurm";
    const auto l = run_acceltran({"sweep", "--space", kSlurmSpace, "--out", local, "--jobs", "2", "--no-plot"}, dir);
    REQUIRE(l.exit_code == 0);

    // Three points per array task: three tasks, the last one short.
    const auto s = run_acceltran({"sweep", "--space", kSlurmSpace, "--out", slurm, "--slurm", "--array-chunk", "3", "--no-plot"}, dir);
    INFO(describe(s));
    REQUIRE(s.exit_code == 0);
    CHECK_THAT(s.out, Catch::Contains("submitted Slurm job ") && Catch::Contains(": 8 points in 3 array tasks"));
    CHECK_THAT(read_text(slurm + "/slurm/sweep.sbatch"), Catch::Contains("#SBATCH --array=0-2\n"));
    for (int chunk = 0; chunk < 3; ++chunk) CHECK(fs::exists(slurm + "/slurm/done-" + std::to_string(chunk)));
    CHECK(entries_containing(slurm + "/slurm", "task-").size() == 3);
    CHECK(rows_without_timing(slurm + "/results.csv") == rows_without_timing(local + "/results.csv"));
    CHECK(read_text(slurm + "/pareto.csv").substr(0, 3) == "id,");

    // --no-wait returns at once with the job id; --collect gathers once the job has left the queue.
    const std::string later = dir / "later";
    const auto n = run_acceltran({"sweep", "--space", kSlurmSpace, "--out", later, "--slurm", "--no-wait", "--no-plot"}, dir);
    INFO(describe(n));
    REQUIRE(n.exit_code == 0);
    CHECK_THAT(n.out, Catch::Contains("when it has finished: acceltran sweep --collect " + later));
    const std::string job = read_text(later + "/slurm/job-id");
    REQUIRE(!job.empty());
    const std::string squeue = "squeue --noheader --array --jobs=" + job.substr(0, job.find('\n')) + " 2>/dev/null";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool finished = false;
    while (!finished && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        FILE* p = popen(squeue.c_str(), "r");
        REQUIRE(p != nullptr);
        char buffer[256];
        finished = std::fgets(buffer, sizeof buffer, p) == nullptr;
        pclose(p);
    }
    REQUIRE(finished);
    const auto c = run_acceltran({"sweep", "--collect", later, "--no-plot"}, dir);
    INFO(describe(c));
    CHECK(c.exit_code == 0);
    CHECK(rows_without_timing(later + "/results.csv") == rows_without_timing(local + "/results.csv"));
}
