// The destination of a run under pressure (issue "Hardening", items 9, 12 and 13): two runs
// given one --out (the second is refused at its start by the lock, the first finishes intact),
// a full disk or file-size limit while writing (the reason is named, nothing is left behind),
// and --progress lines for logs and cluster jobs.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Contains;

namespace {

std::string acceltran_command(const std::string& args) {
    return "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 " + shell_quote(ACCELTRAN_BINARY) + " " + args;
}

bool wait_for(const std::string& path, double seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!fs::exists(path)) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

}  // namespace

TEST_CASE("two runs into one --out: the second is refused at its start, the first is intact",
          "[integration][hardening][lock]") {
    ScratchDir dir("two-runs");
    const std::string out = dir / "run";
    // The first run simulates BERT-Base on Server for seconds; the second starts once the first
    // holds the lock and must be refused while the first is still going.
    const std::string first = acceltran_command("run --model bert-base --accel acceltran-server --seq " + kLongRunSeq + " -q --out " +
                                                shell_quote(out) + " >" + shell_quote(dir / "first.out") + " 2>" +
                                                shell_quote(dir / "first.err"));
    CommandResult a;
    std::thread runner([&] { a = run_shell(first + "; echo \"exit=$?\""); });
    const bool locked = wait_for(out + ".lock", 60);
    const auto b = run_acceltran({"run", "--model", "bert-tiny", "-q", "--out", out}, dir);
    const bool first_still_going = !fs::exists(out);
    runner.join();
    REQUIRE(locked);
    INFO(describe(b) << "\nfirst: " << a.out << read_text(dir / "first.err"));
    CHECK(first_still_going);
    CHECK(b.exit_code == 2);
    CHECK_THAT(b.err, Contains("output directory '" + out + "' is being written by process") &&
                          Contains(out + ".lock") && Contains("choose another --out"));
    CHECK_THAT(a.out, Contains("exit=0"));
    CHECK(load_json(out + "/summary.json").at("model").at("name") == "bert-base");
    CHECK_FALSE(fs::exists(out + ".lock"));
    CHECK(entries_containing(dir.path(), "run.tmp-").empty());
    // Afterwards the usual rule holds: an existing result needs --force.
    const auto c = run_acceltran({"run", "--model", "bert-tiny", "-q", "--out", out}, dir);
    CHECK(c.exit_code == 2);
    CHECK_THAT(c.err, Contains("already exists"));
}

TEST_CASE("a write that fails names the file and the reason and leaves nothing behind",
          "[integration][hardening][disk]") {
    ScratchDir dir("file-size");
    const std::string out = dir / "run";
    // A file-size limit is a full disk that needs no privileges: with SIGXFSZ ignored, the write
    // that crosses it fails with EFBIG. (dash counts `ulimit -f` in 512-byte blocks: 4 KiB, less
    // than BERT-Tiny's summary.json or timeline.csv.)
    const auto r = run_shell("ulimit -f 8; trap '' XFSZ; " +
                             acceltran_command("run --model bert-tiny -q --out " + shell_quote(out)) + " 2>" +
                             shell_quote(dir / "err.txt") + "; echo \"exit=$?\"");
    const std::string err = read_text(dir / "err.txt");
    INFO(r.out << err);
    CHECK_THAT(r.out, Contains("exit=1"));
    CHECK_THAT(err, Contains("cannot write '" + out + ".tmp-") && Contains("File too large"));
    CHECK_THAT(err, !Contains("internal error"));
    CHECK_FALSE(fs::exists(out));
    CHECK(entries_containing(dir.path(), "run.").empty());  // no temporary directory, no lock file

    // A result already in place survives a --force run that cannot write its replacement.
    REQUIRE(run_acceltran({"run", "--model", "bert-tiny", "-q", "--out", out}, dir).exit_code == 0);
    const std::string before = read_text(out + "/summary.json");
    const auto forced = run_shell("ulimit -f 8; trap '' XFSZ; " +
                                  acceltran_command("run --model bert-mini -q --force --out " + shell_quote(out)) +
                                  " 2>/dev/null; echo \"exit=$?\"");
    CHECK_THAT(forced.out, Contains("exit=1"));
    CHECK(read_text(out + "/summary.json") == before);
    CHECK(entries_containing(dir.path(), "run.").empty());
}

TEST_CASE("progress lines: plain lines with an estimate, and bad modes refused",
          "[integration][progress]") {
    ScratchDir dir("progress-lines");
    const auto r = run_acceltran({"run", "--model", "bert-mini", "-q", "--progress", "lines", "--out", dir / "run"}, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find('\r') == std::string::npos);
    CHECK_THAT(r.err, Contains("run:   1%  1/") && Contains(" entries  cycle "));  // at the first retirement
    CHECK_THAT(r.err, Contains("run: 100%  "));
    const auto sweep = run_acceltran({"sweep", "--space", std::string(ACCELTRAN_SOURCE_DIR) +
                                      "/configs/design-spaces/small.yaml", "--out", dir / "sweep", "--no-plot",
                                      "--progress", "lines"}, dir);
    INFO(describe(sweep));
    CHECK(sweep.exit_code == 0);
    CHECK_THAT(sweep.err, Contains("sweep:   0%  0/8 points  0 failed, ") && Contains("sweep: 100%  8/8 points  0 failed, 0 running"));
    for (const char* command : {"run", "sweep", "sparsity"}) {
        const auto bad = run_acceltran({command, "--progress", "sometimes"}, dir);
        CHECK(bad.exit_code == 2);
        CHECK_THAT(bad.err, Contains("--progress expects auto, bar, lines or off, got 'sometimes'"));
    }
}
