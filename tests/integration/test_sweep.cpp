// `acceltran sweep` on the local cores (testbenches/cli/sweep_command.cpp, docs/sweeps.md): the
// small space end to end, its Pareto front against the definition, an interruption and the
// resumption after it, a point that fails, and the command's refusals.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "tests/integration/csv_table.h"
#include "tests/integration/integration_support.h"

using namespace acceltran::testing;

namespace {

const std::string kSmallSpace = std::string(ACCELTRAN_SOURCE_DIR) + "/configs/design-spaces/small.yaml";
const std::string kAcceltranSpace = std::string(ACCELTRAN_SOURCE_DIR) + "/configs/design-spaces/acceltran.yaml";

// The ids of the ok rows that no other ok row beats on all of small.yaml's metrics, found by
// comparing every pair (the definition, independent of the sweep's own algorithm).
std::set<std::string> brute_force_front(const CsvContents& t) {
    const std::vector<std::pair<std::size_t, bool>> metrics{{t.column("throughput_seq_per_s"), true},
                                                            {t.column("energy_j_per_seq"), false},
                                                            {t.column("area_mm2.total"), false}};
    std::vector<const std::vector<std::string>*> ok;
    for (const auto& r : t.rows)
        if (r[t.column("status")] == "ok") ok.push_back(&r);
    std::set<std::string> front;
    for (const auto* a : ok) {
        bool dominated = false;
        for (const auto* b : ok) {
            bool no_worse = true, better = false;
            for (const auto& [c, maximise] : metrics) {
                const double x = std::stod((*a)[c]), y = std::stod((*b)[c]);
                const double gain = maximise ? y - x : x - y;  // > 0: b is better
                no_worse = no_worse && gain >= 0;
                better = better || gain > 0;
            }
            dominated = dominated || (no_worse && better);
        }
        if (!dominated) front.insert((*a)[0]);
    }
    return front;
}

std::set<std::string> ids_of(const CsvContents& t) {
    std::set<std::string> ids;
    for (const auto& r : t.rows) ids.insert(r[0]);
    return ids;
}

// Finished run directories under DIR/points, by id, with their summary.json's modification time.
std::map<std::string, fs::file_time_type> finished_points(const std::string& sweep_dir) {
    std::map<std::string, fs::file_time_type> done;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(sweep_dir + "/points", ec)) {
        // A child writes into <id>.tmp-<pid> and renames it to <id> when done.
        if (e.path().filename().string().find('.') != std::string::npos) continue;
        const fs::path summary = e.path() / "summary.json";
        if (fs::exists(summary, ec)) done[e.path().filename().string()] = fs::last_write_time(summary, ec);
    }
    return done;
}

// Starts `acceltran args...` without waiting, stdout and stderr into files; returns its pid.
pid_t start_acceltran(const std::vector<std::string>& args, const std::string& out, const std::string& err) {
    std::vector<std::string> words{ACCELTRAN_BINARY};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
        const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        dup2(e, 2);
        execv(argv[0], argv.data());
        _exit(127);
    }
    return pid;
}

}  // namespace

TEST_CASE("sweep: a local sweep of small.yaml writes a row per point and its Pareto front", "[integration][sweep]") {
    ScratchDir dir("sweep-small");
    const std::string out = dir / "sweep";
    const auto r = run_acceltran({"sweep", "--space", kSmallSpace, "--out", out, "--jobs", "2"}, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    // No warning. Off a terminal, progress comes as plain lines once the sweep has run 10 s
    // (--progress auto), which a slow machine or a sanitizer build reaches: only those may appear.
    std::istringstream err_lines(r.err);
    for (std::string line; std::getline(err_lines, line);) {
        INFO("stderr line: " << line);
        CHECK(line.rfind("sweep: ", 0) == 0);
        CHECK_THAT(line, Catch::Contains(" points  ") && !Catch::Contains("\r"));
    }

    const CsvContents results = read_csv(out + "/results.csv");
    CHECK(results.header == std::vector<std::string>{
                                "id", "pe.count", "pe.softmax_per_pe", "main_memory.type", "main_memory.bandwidth_gbps",
                                "main_memory.latency_ns", "model", "seq", "batch", "cycles", "seconds",
                                "throughput_seq_per_s", "energy_j", "energy_j_per_seq", "area_mm2.total",
                                "power_w.average", "power_w.peak", "wall_seconds", "status", "error"});
    REQUIRE(results.rows.size() == 8);
    CHECK(ids_of(results).size() == 8);
    for (const auto& row : results.rows) {
        CHECK(row[results.column("status")] == "ok");
        CHECK(row[results.column("error")].empty());
        // Each row is its run's summary.json, to the 9 significant digits the CSV keeps.
        const auto summary = load_json(out + "/points/" + row[0] + "/summary.json");
        char cycles[32];
        std::snprintf(cycles, sizeof cycles, "%.9g", summary["cycles"].get<double>());
        CHECK(row[results.column("cycles")] == cycles);
        CHECK(summary["detail"] == "fast");
        CHECK(summary["accelerator"]["pe"]["count"].get<int>() == std::stoi(row[results.column("pe.count")]));
    }

    const CsvContents front = read_csv(out + "/pareto.csv");
    CHECK(front.header == results.header);
    CHECK(!front.rows.empty());
    CHECK(ids_of(front) == brute_force_front(results));
    for (const auto& row : front.rows)  // whole rows, copied from results.csv
        CHECK(std::find(results.rows.begin(), results.rows.end(), row) != results.rows.end());

    // The figure: a PNG with some content (an empty 3-panel figure is about 25 KB at this size).
    const std::string png = read_text(out + "/pareto.png");
    CHECK(png.substr(0, 8) == "\x89PNG\r\n\x1a\n");
    CHECK(png.size() > 30000);
    CHECK(read_text(out + "/space.yaml") == read_text(kSmallSpace));

    // Gathering again gives the same files.
    const std::string csv_before = read_text(out + "/results.csv"), front_before = read_text(out + "/pareto.csv");
    const auto again = run_acceltran({"sweep", "--collect", out, "--no-plot"}, dir);
    CHECK(again.exit_code == 0);
    CHECK(read_text(out + "/results.csv") == csv_before);
    CHECK(read_text(out + "/pareto.csv") == front_before);
}

TEST_CASE("sweep: an interrupted sweep stops cleanly and a second run completes it", "[integration][sweep]") {
    ScratchDir dir("sweep-resume");
    const std::string out = dir / "sweep";
    const std::vector<std::string> args{"sweep", "--space", kSmallSpace, "--out", out, "--no-plot"};
    std::vector<std::string> one_at_a_time = args;
    one_at_a_time.insert(one_at_a_time.end(), {"--jobs", "1"});
    const pid_t pid = start_acceltran(one_at_a_time, dir / "first.out", dir / "first.err");
    REQUIRE(pid > 0);
    // Ctrl-C as soon as the first point is done; each point takes about 0.1 s, so with one worker
    // most of the eight are still to run.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (finished_points(out).empty() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    REQUIRE(kill(pid, SIGINT) == 0);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    INFO("stdout: " << read_text(dir / "first.out") << "\nstderr: " << read_text(dir / "first.err"));
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    CHECK_THAT(read_text(dir / "first.err"), Catch::Contains("stopped by Interrupt; finished points are kept"));

    const auto first = finished_points(out);
    REQUIRE(!first.empty());
    REQUIRE(first.size() < 8);
    // results.csv holds what finished; the terminated run left nothing behind.
    const CsvContents partial = read_csv(out + "/results.csv");
    CHECK(partial.rows.size() == first.size());
    for (const auto& row : partial.rows) CHECK(first.count(row[0]) == 1);
    CHECK(entries_containing(out + "/points", ".tmp-").empty());
    CHECK(entries_containing(out + "/points", ".error").empty());

    const auto second = run_acceltran(args, dir);
    INFO(describe(second));
    REQUIRE(second.exit_code == 0);
    CHECK_THAT(second.out, Catch::Contains("(" + std::to_string(first.size()) + " already done); running " +
                                           std::to_string(8 - first.size())));
    const auto all = finished_points(out);
    CHECK(all.size() == 8);
    for (const auto& [id, time] : first) CHECK(all.at(id) == time);  // skipped, not run again

    // The same results as a sweep that was never interrupted, apart from the host's timings.
    const std::string fresh = dir / "fresh";
    REQUIRE(run_acceltran({"sweep", "--space", kSmallSpace, "--out", fresh, "--no-plot"}, dir).exit_code == 0);
    const CsvContents resumed = read_csv(out + "/results.csv"), uninterrupted = read_csv(fresh + "/results.csv");
    CHECK(resumed.header == uninterrupted.header);
    CHECK(resumed.without("wall_seconds") == uninterrupted.without("wall_seconds"));
}

TEST_CASE("sweep: a point that fails is recorded with its error and the others finish", "[integration][sweep]") {
    ScratchDir dir("sweep-failing");
    // A 0.001 MiB (1048-byte) activation buffer cannot hold the keys of one attention head of
    // BERT-Tiny (128 x 64 values, 10 KiB), which a block of Q.K^T needs whole, even in
    // main-memory blocks (docs/mapping.md): an input error (exit 3) when the point's program is
    // compiled, which the space file cannot know.
    write_text(dir / "space.yaml", "accelerator: acceltran-edge\nmodels: bert-tiny\ndetail: fast\nparameters:\n"
                                   "  pe.count: [32, 64]\n  buffers.activation.size_mb: [4, 0.001]\n");
    const std::string out = dir / "sweep";
    const auto r = run_acceltran({"sweep", "--space", dir / "space.yaml", "--out", out, "--no-plot"}, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("2 points failed"));

    const CsvContents results = read_csv(out + "/results.csv");
    REQUIRE(results.rows.size() == 4);
    int failed = 0;
    for (const auto& row : results.rows) {
        const bool small_buffer = row[results.column("buffers.activation.size_mb")] == "0.001";
        CHECK(row[results.column("status")] == (small_buffer ? "failed" : "ok"));
        if (!small_buffer) {
            CHECK(!row[results.column("cycles")].empty());
            continue;
        }
        ++failed;
        CHECK_THAT(row[results.column("error")],
                   Catch::StartsWith("acceltran run: error: op 'l0.attn.scores'") &&
                       Catch::Contains("activation buffer"));
        CHECK(row[results.column("cycles")].empty());
        CHECK_THAT(read_text(out + "/points/" + row[0] + ".error"),
                   Catch::StartsWith("acceltran run exited with code 3\n"));
        CHECK(!fs::exists(out + "/points/" + row[0]));
    }
    CHECK(failed == 2);
    for (const auto& row : read_csv(out + "/pareto.csv").rows) CHECK(row[results.column("status")] == "ok");

    // Another space into the same directory is refused, and nothing there changes.
    const std::string before = read_text(out + "/results.csv");
    const auto other = run_acceltran({"sweep", "--space", kSmallSpace, "--out", out}, dir);
    CHECK(other.exit_code == 2);
    CHECK_THAT(other.err, Catch::Contains(out + " holds a sweep of another space (its copy: " + out + "/space.yaml"));
    CHECK(read_text(out + "/results.csv") == before);
    CHECK(read_text(out + "/space.yaml") == read_text(dir / "space.yaml"));
}

TEST_CASE("sweep: the progress line appears on a terminal and is cleared at the end", "[integration][sweep]") {
    ScratchDir dir("sweep-progress");
    // Off a terminal stderr stays empty (the first test case checks that); under `script`
    // (util-linux, a pseudo-terminal) the line is drawn while points run.
    const std::string command = shell_quote(ACCELTRAN_BINARY) + " sweep --no-plot --jobs 2 --space " + shell_quote(kSmallSpace) +
                                " --out " + shell_quote(dir / "sweep");
    const std::string log = dir / "tty.log";
    REQUIRE(std::system(("script -qec " + shell_quote(command) + " " + shell_quote(log) + " >/dev/null 2>&1 </dev/null")
                            .c_str()) == 0);
    const std::string tty = read_text(log);
    CHECK_THAT(tty, Catch::Contains("sweep:   0%  0/8 points  0 failed, 2 running"));
    CHECK_THAT(tty, Catch::Contains("\r\033[K"));
    CHECK_THAT(tty, Catch::Contains("results  " + dir / "sweep" + "/results.csv: 8 points (8 ok, 0 failed)"));
}

TEST_CASE("sweep: bad command lines and space files are refused before anything runs", "[integration][sweep]") {
    ScratchDir dir("sweep-refusals");
    const std::string out = dir / "never";
    auto refused = [&](const std::vector<std::string>& args, int code, const std::string& message) {
        const auto r = run_acceltran(args, dir);
        INFO(describe(r));
        CHECK(r.exit_code == code);
        CHECK_THAT(r.err, Catch::Contains(message));
        CHECK(!fs::exists(out));
    };
    refused({"sweep", "--out", out}, 2, "--space and --out are required");
    refused({"sweep", "--space", kSmallSpace, "--out", out, "--slurm", "--jobs", "2"}, 2, "--jobs is for local sweeps");
    refused({"sweep", "--space", kSmallSpace, "--out", out, "--partition", "p"}, 2, "--partition needs --slurm");
    refused({"sweep", "--space", kSmallSpace, "--out", out, "--jobs", "0"}, 2, "--jobs must be a positive integer");
    refused({"sweep", "--collect", out, "--jobs", "2"}, 2, "--jobs cannot be combined with --collect");
    refused({"sweep", "--collect", out}, 2, out + " is not a sweep directory");
    refused({"sweep", "--space", kAcceltranSpace, "--out", out}, 2,
            "has 213840000 points, more than a sweep runs at once (100000); draw some with --sample N");
    write_text(dir / "bad.yaml", "accelerator: acceltran-edge\nmodels: bert-tiny\nparameters:\n  pe.lanes: [8]\n");
    refused({"sweep", "--space", dir / "bad.yaml", "--out", out}, 3,
            "bad.yaml:4:13: parameters.pe.lanes: the base accelerator 'acceltran-edge' has no key 'pe.lanes'");

    // --dry-run lists a seeded sample without running it: the same seed gives the same points.
    const auto a = run_acceltran({"sweep", "--space", kAcceltranSpace, "--out", out, "--sample", "3", "--seed", "5", "--dry-run"}, dir);
    const auto b = run_acceltran({"sweep", "--space", kAcceltranSpace, "--out", out, "--sample", "3", "--seed", "5", "--dry-run"}, dir);
    const auto c = run_acceltran({"sweep", "--space", kAcceltranSpace, "--out", out, "--sample", "3", "--seed", "6", "--dry-run"}, dir);
    CHECK(a.exit_code == 0);
    CHECK(std::count(a.out.begin(), a.out.end(), '\n') == 4);  // a heading and three points
    CHECK(a.out == b.out);
    CHECK(a.out != c.out);
    CHECK(!fs::exists(out));
}

TEST_CASE("sweep: a generation space writes the generation figures of each point, quietly with -q",
          "[integration][sweep]") {
    ScratchDir dir("sweep-decoder");
    const std::string space = dir / "space.yaml", out = dir / "sweep";
    write_text(space, "accelerator: acceltran-edge\nmodels: gpt2\nprompt_len: 8\ngen_len: [1, 3]\nbatch: 1\n"
                      "detail: fast\nmetrics: {generation.time_per_output_token_s: min, generation.tokens_per_s: max}\n");
    const auto r = run_acceltran({"sweep", "--space", space, "--out", out, "--jobs", "2", "-q"}, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.empty());
    const CsvContents results = read_csv(out + "/results.csv");
    REQUIRE(results.rows.size() == 2);
    for (const char* c : {"prompt_len", "gen_len", "generation.time_to_first_token_s",
                          "generation.time_per_output_token_s", "generation.tokens_per_s",
                          "generation.energy_per_token_j"})
        CHECK(std::find(results.header.begin(), results.header.end(), c) != results.header.end());
    CHECK(std::find(results.header.begin(), results.header.end(), "seq") == results.header.end());
    std::set<std::string> generated;
    for (const auto& row : results.rows) {
        REQUIRE(row[results.column("status")] == "ok");
        generated.insert(row[results.column("gen_len")]);
        const auto summary = load_json(out + "/points/" + row[0] + "/summary.json");
        CHECK(summary["generation"]["gen_len"].get<int>() == std::stoi(row[results.column("gen_len")]));
        CHECK(summary["generation"]["prompt_len"].get<int>() == 8);
        char tpot[32];
        std::snprintf(tpot, sizeof tpot, "%.9g", summary["generation"]["time_per_output_token_s"].get<double>());
        CHECK(row[results.column("generation.time_per_output_token_s")] == tpot);
    }
    CHECK(generated == std::set<std::string>{"1", "3"});
    CHECK(fs::exists(out + "/pareto.png"));
}
