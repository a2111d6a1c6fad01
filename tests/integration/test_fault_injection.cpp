// Fault injection (issue "Hardening"): runs and sweeps killed at random moments, by SIGTERM
// (which they handle) and by SIGKILL (which nothing can handle). Whatever the moment, a result
// that existed before is intact, nothing that looks like a result is half-written, what a
// killed run left is cleared by the next run into the same place, and a sweep resumed after
// any number of kills ends with the same results as one never interrupted. The moments are
// drawn from a fixed seed, printed on failure, so a failing schedule can be replayed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/csv_table.h"
#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Contains;

namespace {

// Starts `acceltran args...` with stdout/stderr to files; returns its pid.
pid_t start(const std::vector<std::string>& args, const std::string& log) {
    std::vector<std::string> words{ACCELTRAN_BINARY};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (std::freopen(log.c_str(), "w", stdout) == nullptr || std::freopen(log.c_str(), "a", stderr) == nullptr)
            ::_exit(126);
        ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    return pid;
}

// Sends `signal` after `delay` seconds unless the process ended first; returns its wait status.
int kill_after(pid_t pid, int signal, double delay) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(delay);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (::waitpid(pid, &status, WNOHANG) == pid) return status;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ::kill(pid, signal);
    ::waitpid(pid, &status, 0);
    return status;
}

// Exit 143 once the handlers are installed; before that (the first milliseconds of start-up,
// when nothing has been written yet) the default action ends the process by the signal itself.
bool stopped_by_sigterm(int status) {
    return (WIFEXITED(status) && WEXITSTATUS(status) == 143) || (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
}

}  // namespace

TEST_CASE("a run killed at any moment leaves an earlier result intact", "[integration][hardening][faults]") {
    ScratchDir dir("killed-run");
    const std::string out = dir / "run";
    REQUIRE(run_acceltran({"run", "--model", "bert-tiny", "-q", "--out", out}, dir).exit_code == 0);
    std::string before = read_text(out + "/summary.json");
    std::mt19937 random(20261206);
    std::uniform_real_distribution<double> moment(0.0, 1.5);  // BERT-Base on Server takes seconds
    for (int round = 0; round < 6; ++round) {
        const int signal = round % 2 == 0 ? SIGKILL : SIGTERM;
        const double delay = moment(random);
        // What an earlier SIGKILL left (a lock file, a temporary directory) stays until a run gets
        // far enough to take it over, which a slow start (e.g. under the sanitizers) may not.
        const std::vector<std::string> left_before = entries_containing(dir.path(), "run.");
        const pid_t pid = start({"run", "--model", "bert-base", "--accel", "acceltran-server", "--seq", kLongRunSeq, "-q", "--force", "--out",
                                 out},
                                dir / "log.txt");
        REQUIRE(pid > 0);
        const int status = kill_after(pid, signal, delay);
        INFO("round " << round << ": signal " << signal << " after " << delay << " s: " << describe_status(status)
                      << "\n" << read_text(dir / "log.txt"));
        // Either the run finished before the signal (its complete result is in place) or the
        // earlier result is untouched.
        const std::string now = read_text(out + "/summary.json");
        const bool finished = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (finished) {
            CHECK(load_json(out + "/summary.json").at("model").at("name") == "bert-base");
        } else {
            CHECK(now == before);
        }
        if (signal == SIGTERM) {
            CHECK((finished || stopped_by_sigterm(status)));
            // It cleaned up after itself: nothing of its own is left (what an earlier SIGKILL left
            // is taken over only once a run reaches its output directory; checked after the loop).
            for (const auto& l : entries_containing(dir.path(), "run."))
                CHECK(std::find(left_before.begin(), left_before.end(), l) != left_before.end());
        }
        // Put the earlier result back for the next round when this one replaced it.
        if (finished) {
            REQUIRE(run_acceltran({"run", "--model", "bert-tiny", "-q", "--force", "--out", out}, dir).exit_code == 0);
            before = read_text(out + "/summary.json");
        }
    }
    // What SIGKILL left (a stale lock file, a temporary directory) is cleared by the next run,
    // which gives the same figures as the first (all but its own wall time and command line,
    // which has --force: docs/outputs.md, Provenance).
    REQUIRE(run_acceltran({"run", "--model", "bert-tiny", "-q", "--force", "--out", out}, dir).exit_code == 0);
    CHECK(entries_containing(dir.path(), "run.").empty());
    nlohmann::json again = load_json(out + "/summary.json"), first = nlohmann::json::parse(before);
    for (nlohmann::json* s : {&again, &first}) {
        s->erase("wall_seconds");
        s->at("provenance").erase("command_line");
    }
    CHECK(again == first);
}

TEST_CASE("a sweep killed again and again and resumed ends as if never interrupted", "[integration][hardening][faults]") {
    ScratchDir dir("killed-sweep");
    const std::string space = std::string(ACCELTRAN_SOURCE_DIR) + "/configs/design-spaces/small.yaml";
    const std::string reference = dir / "reference", out = dir / "sweep";
    const auto started = std::chrono::steady_clock::now();
    REQUIRE(run_acceltran({"sweep", "--space", space, "--out", reference, "--no-plot", "--jobs", "2"}, dir).exit_code == 0);
    const double sweep_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::vector<std::string> args{"sweep", "--space", space, "--out", out, "--no-plot", "--jobs", "2"};
    std::mt19937 random(6122026);
    // Kill moments inside the time the same sweep took here, so that the schedule interrupts it
    // however fast the machine and the simulator are (points once took about 0.1 s each).
    std::uniform_real_distribution<double> moment(0.05 * sweep_seconds, 0.8 * sweep_seconds);
    int interrupted = 0;
    for (int round = 0; round < 5; ++round) {
        const int signal = round % 2 == 0 ? SIGKILL : SIGTERM;
        const double delay = moment(random);
        const pid_t pid = start(args, dir / "log.txt");
        REQUIRE(pid > 0);
        const int status = kill_after(pid, signal, delay);
        INFO("round " << round << ": signal " << signal << " after " << delay << " s: " << describe_status(status)
                      << "\n" << read_text(dir / "log.txt"));
        const bool finished = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!finished) ++interrupted;
        if (signal == SIGTERM) CHECK((finished || stopped_by_sigterm(status)));
        // Every point that counts as done has a complete summary.
        // A sweep killed while it starts may not have created its points directory yet.
        std::error_code no_points;
        for (const auto& entry : fs::directory_iterator(out + "/points", no_points)) {
            const std::string summary = entry.path().string() + "/summary.json";
            if (entry.is_directory() && entry.path().string().find(".tmp-") == std::string::npos &&
                fs::exists(summary))
                CHECK_NOTHROW(load_json(summary));
        }
        // Let the orphaned children of a SIGKILLed sweep see their parent gone and stop.
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    CHECK(interrupted > 0);  // the schedule must interrupt something to test anything
    const auto resumed = run_acceltran(args, dir);
    INFO(describe(resumed));
    REQUIRE(resumed.exit_code == 0);
    const CsvContents a = read_csv(out + "/results.csv"), b = read_csv(reference + "/results.csv");
    CHECK(a.header == b.header);
    CHECK(a.without("wall_seconds") == b.without("wall_seconds"));
    const auto leftovers = entries_containing(out + "/points", ".tmp");
    for (const auto& l : leftovers) UNSCOPED_INFO("left: " << l);
    CHECK(leftovers.empty());
    CHECK(entries_containing(out + "/points", ".lock").empty());
    CHECK_FALSE(fs::exists(out + ".lock"));
}
