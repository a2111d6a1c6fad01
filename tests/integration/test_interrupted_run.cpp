// `acceltran run` stopped by SIGTERM or SIGINT, and output paths that used to fail only after
// the whole simulation (issue "Hardening", items 5, 8 and 9): the run must exit with 128 + the
// signal and say so, leaving nothing behind; a symbolic link as --out is refused before
// simulating; a directory that appears at --out while a run goes is never replaced.
#include <catch2/catch.hpp>

#include <string>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Contains;

namespace {

// Starts a BERT-Base run on Server (seconds of simulation), sends `signal` after `delay`
// seconds, and returns the shell's report of its exit code and stderr.
CommandResult interrupted_run(const ScratchDir& dir, const std::string& signal, const std::string& delay) {
    const std::string cmd = "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 " + shell_quote(ACCELTRAN_BINARY) +
                            " run --model bert-base --accel acceltran-server --seq " + kLongRunSeq + " --no-progress -q --out " +
                            shell_quote(dir / "run") + " 2>" + shell_quote(dir / "err.txt") + " & pid=$!; sleep " + delay +
                            "; kill -" + signal + " $pid; wait $pid; echo \"exit=$?\"";
    CommandResult r = run_shell(cmd);
    r.err = read_text(dir / "err.txt");
    return r;
}

}  // namespace

TEST_CASE("SIGTERM and SIGINT stop a run cleanly: exit 143 or 130, the reason, no partial output",
          "[integration][hardening][signals]") {
    for (const auto& [signal, code] : {std::pair<std::string, int>{"TERM", 143}, {"INT", 130}}) {
        ScratchDir dir("interrupted-" + signal);
        const auto r = interrupted_run(dir, signal, "1");
        INFO(describe(r));
        CHECK_THAT(r.out, Contains("exit=" + std::to_string(code)));
        CHECK_THAT(r.err, Contains("interrupted by SIG" + signal) && Contains("partial output was removed"));
        CHECK_FALSE(fs::exists(dir / "run"));
        CHECK(entries_containing(dir.path(), "run.tmp-").empty());
        CHECK_THAT(r.out + r.err, !Contains("internal error") && !Contains("Info:"));
    }
}

TEST_CASE("a symbolic link as --out is refused before simulating", "[integration][hardening]") {
    ScratchDir dir("out-symlink");
    fs::create_symlink(dir / "nowhere", dir / "dangling");
    const auto r = run_acceltran({"run", "--model", "bert-base", "--accel", "acceltran-server", "--out", dir / "dangling"}, dir);
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("is a symbolic link") && Contains("nowhere"));
    CHECK(r.wall_seconds < 5);  // refused after compiling, before the seconds of simulation
    CHECK(entries_containing(dir.path(), ".tmp-").empty());
}

TEST_CASE("a directory created at --out while a run goes is not replaced", "[integration][hardening]") {
    ScratchDir dir("out-appears");
    // The second command creates the directory while the first simulates BERT-Base.
    const std::string out = dir / "run";
    const auto r = run_shell("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 " + shell_quote(ACCELTRAN_BINARY) +
                             " run --model bert-base --accel acceltran-server --seq " + kLongRunSeq + " --no-progress -q --out " + shell_quote(out) +
                             " 2>" + shell_quote(dir / "err.txt") + " & pid=$!; sleep 1; mkdir " + shell_quote(out) +
                             " && echo mine > " + shell_quote(out + "/keep.txt") + "; wait $pid; echo \"exit=$?\"");
    const std::string err = read_text(dir / "err.txt");
    INFO(describe(r) << "\n" << err);
    CHECK_THAT(r.out, Contains("exit=1"));
    CHECK_THAT(err, Contains("created by someone else while this run was going"));
    CHECK(read_text(out + "/keep.txt") == "mine\n");
    // The run's result is kept under its temporary name, which the message names.
    const auto kept = entries_containing(dir.path(), "run.tmp-");
    REQUIRE(kept.size() == 1);
    CHECK(fs::exists(kept[0] + "/summary.json"));
}
