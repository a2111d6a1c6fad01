// The `acceltran` command as a user meets it: help and version, exit codes (0 success, 1
// simulation error, 2 usage error, 3 input error; core/errors.h), atomic output
// directories, the analyze JSON, the keys of summary.json, and one end-to-end comparison of
// design points. Every case runs the built binary as a child process.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/build_info.h"
#include "tests/integration/integration_support.h"
#include "tests/source_tree.h"
#include "workloads/model_spec.h"

using namespace acceltran::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using acceltran::testing::kModelsDir;

namespace {


// A BERT-Tiny run on AccelTran-Edge (about 0.1 s).
}  // namespace

TEST_CASE("acceltran --help and --version exit 0 and print usage and version", "[integration][cli]") {
    ScratchDir dir("help");
    const auto help = run_acceltran({"--help"}, dir);
    INFO(describe(help));
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, StartsWith("usage: acceltran <command>"));
    for (const char* command : {"run", "analyze", "validate", "list"}) CHECK_THAT(help.out, Contains(command));
    CHECK(help.err.empty());

    const auto version = run_acceltran({"--version"}, dir);
    INFO(describe(version));
    CHECK(version.exit_code == 0);
    CHECK_THAT(version.out, StartsWith(std::string("acceltran ") + ACCELTRAN_VERSION));
    // The commit the binary was built from, as its runs' provenance names it (bench/run reads it).
    CHECK_THAT(version.out, Contains("(commit " + acceltran::build_commit() + ", SystemC "));
    CHECK(version.err.empty());  // no SystemC banner
}

TEST_CASE("acceltran help CMD prints the command's help, not the list of commands", "[integration][cli]") {
    ScratchDir dir("help-command");
    const auto help = run_acceltran({"help", "map"}, dir);
    INFO(describe(help));
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, StartsWith("usage: acceltran map "));
    const auto unknown = run_acceltran({"help", "simulate"}, dir);
    CHECK(unknown.exit_code == 2);
    CHECK_THAT(unknown.err, Contains("unknown command 'simulate'"));
}

TEST_CASE("acceltran run --help and analyze --help exit 0 and print their usage", "[integration][cli]") {
    ScratchDir dir("subhelp");
    const auto run = run_acceltran({"run", "--help"}, dir);
    INFO(describe(run));
    CHECK(run.exit_code == 0);
    CHECK_THAT(run.out, StartsWith("usage: acceltran run"));
    for (const char* option : {"--model", "--accel", "--seq", "--batch", "--out", "--set", "--force"})
        CHECK_THAT(run.out, Contains(option));

    const auto analyze = run_acceltran({"analyze", "--help"}, dir);
    INFO(describe(analyze));
    CHECK(analyze.exit_code == 0);
    CHECK_THAT(analyze.out, StartsWith("usage: acceltran analyze"));
    for (const char* option : {"--model", "--seq", "--batch", "--json"}) CHECK_THAT(analyze.out, Contains(option));
}

TEST_CASE("acceltran run with an unknown option exits 2", "[integration][cli]") {
    ScratchDir dir("bad-option");
    const auto r = run_acceltran({"run", "--no-such-option", "--out", dir / "out"}, dir);
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("no-such-option"));
    CHECK_FALSE(fs::exists(dir / "out"));
}

TEST_CASE("acceltran run with an unknown model exits 3 and lists the shipped models", "[integration][cli]") {
    ScratchDir dir("bad-model");
    const auto r = run_acceltran({"run", "--model", "bert-humongous", "--out", dir / "out"}, dir);
    INFO(describe(r));
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Contains("bert-humongous"));
    const auto shipped = acceltran::workloads::shipped_models(kModelsDir);
    REQUIRE(shipped.size() >= 6);
    for (const auto& name : shipped) CHECK_THAT(r.err, Contains(name));
    CHECK_FALSE(fs::exists(dir / "out"));
}

TEST_CASE("acceltran run with a misspelt --set key exits 2 and suggests the right one", "[integration][cli]") {
    ScratchDir dir("bad-set");
    const auto r = run_acceltran({"run", "--set", "pe.cont=128", "--out", dir / "out"}, dir);
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("pe.cont"));
    CHECK_THAT(r.err, Contains("did you mean"));
    CHECK_THAT(r.err, Contains("count"));
    CHECK_FALSE(fs::exists(dir / "out"));
}

TEST_CASE("acceltran run refuses an existing --out without --force and replaces it with --force",
          "[integration][cli]") {
    ScratchDir dir("existing-out");
    const std::string out = dir / "out";
    fs::create_directories(out + "/sub");
    // An earlier run's directory (it has a summary.json); one without is never replaced (below).
    write_text(out + "/summary.json", "{}\n");
    write_text(out + "/keep.txt", "results of an earlier run\n");
    write_text(out + "/sub/nested.txt", "nested\n");
    auto listing = [&] {
        std::vector<std::string> names;
        for (const auto& e : fs::recursive_directory_iterator(out))
            names.push_back(fs::relative(e.path(), out).string());
        std::sort(names.begin(), names.end());
        return names;
    };
    const auto before = listing();

    const auto refused = run_acceltran(tiny_run(out), dir);
    {
        INFO(describe(refused));
        CHECK(refused.exit_code == 2);
        CHECK_THAT(refused.err, Contains("--force"));
        CHECK(listing() == before);
        CHECK(read_text(out + "/keep.txt") == "results of an earlier run\n");
        CHECK(read_text(out + "/sub/nested.txt") == "nested\n");
        CHECK(entries_containing(dir.path(), ".tmp-").empty());
    }

    auto args = tiny_run(out);
    args.push_back("--force");
    const auto forced = run_acceltran(args, dir);
    INFO(describe(forced));
    REQUIRE(forced.exit_code == 0);
    CHECK_FALSE(fs::exists(out + "/keep.txt"));
    CHECK_FALSE(fs::exists(out + "/sub"));
    REQUIRE(fs::exists(out + "/summary.json"));
    CHECK(load_json(out + "/summary.json")["model"]["name"] == "bert-tiny");
    CHECK(entries_containing(dir.path(), ".tmp-").empty());
    CHECK(entries_containing(dir.path(), ".old-").empty());
}

TEST_CASE("run, map and sparsity refuse an --out directory that is not one of their results, even with --force",
          "[integration][cli]") {
    // `--out results --force` removed every run kept in results/; now only an earlier result of the
    // same command (its summary.json, mapping.yaml or sparsity.csv) or an empty directory is replaced.
    ScratchDir dir("foreign-out");
    const std::string out = dir / "results";
    fs::create_directories(out + "/bert-base_acceltran-edge");
    write_text(out + "/bert-base_acceltran-edge/summary.json", "{\"from\": \"a run to keep\"}\n");
    write_text(out + "/notes.txt", "notes\n");
    const std::vector<std::pair<std::vector<std::string>, std::string>> commands = {
        {{"run", "--model", "bert-tiny", "-q", "--out", out}, "summary.json"},
        {{"map", "--model", "bert-tiny", "--accel", "acceltran-edge", "--out", out}, "mapping.yaml"},
        {{"sparsity", "--thresholds", "0", "-q", "--no-plot", "--out", out}, "sparsity.csv"}};
    for (const auto& [command, marker] : commands)
        for (bool force : {false, true}) {
            auto args = command;
            if (force) args.push_back("--force");
            const auto r = run_acceltran(args, dir);
            INFO(describe(r));
            CHECK(r.exit_code == 2);
            CHECK_THAT(r.err, Contains("--out '" + out + "' is a directory that holds other files and no " + marker));
            CHECK(r.out.empty());
            CHECK(read_text(out + "/bert-base_acceltran-edge/summary.json") == "{\"from\": \"a run to keep\"}\n");
            CHECK(read_text(out + "/notes.txt") == "notes\n");
            CHECK(std::distance(fs::directory_iterator(out), fs::directory_iterator()) == 2);
            CHECK(entries_containing(dir.path(), ".tmp-").empty());
            CHECK(entries_containing(dir.path(), ".old-").empty());
        }
    // An empty directory is no loss: --force fills it.
    fs::create_directories(dir / "empty");
    const auto filled = run_acceltran({"run", "--model", "bert-tiny", "-q", "--force", "--out", dir / "empty"}, dir);
    INFO(describe(filled));
    CHECK(filled.exit_code == 0);
    CHECK(fs::exists(dir / "empty/summary.json"));
}

TEST_CASE("a failed acceltran run leaves no output directory and no temporary directory",
          "[integration][cli]") {
    ScratchDir dir("failed-run");
    const std::string out = dir / "out";
    auto args = tiny_run(out);
    args.push_back("--set");
    args.push_back("buffers.activation.size_mb=0.001");  // too small for one head of BERT-Tiny's keys
    const auto r = run_acceltran(args, dir);
    INFO(describe(r));
    CHECK(r.exit_code == 3);  // the model does not fit: an input error
    CHECK_THAT(r.err, Contains("activation"));
    CHECK_FALSE(fs::exists(out));
    CHECK(entries_containing(dir.path(), ".tmp-").empty());
    CHECK(entries_containing(dir.path(), ".old-").empty());
}

TEST_CASE("acceltran analyze --json gives BERT-Base 22.42 GFLOPs at seq 128, batch 1", "[integration][cli]") {
    ScratchDir dir("analyze");
    const auto r = run_acceltran({"analyze", "--model", "bert-base", "--seq", "128", "--batch", "1", "--json"}, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out);
    REQUIRE(j.contains("total"));
    const double flops = j["total"]["flops"].get<double>();
    CHECK(std::abs(flops - 22.42e9) <= 0.01 * 22.42e9);
}

TEST_CASE("summary.json of a BERT-Tiny run on AccelTran-Edge has the documented keys and consistent figures",
          "[integration][cli]") {
    ScratchDir dir("summary");
    const std::string out = dir / "out";
    const auto r = run_acceltran({"run", "--model", "bert-tiny", "--accel", "acceltran-edge", "--out", out}, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("cycles"));  // the human table
    CHECK_THAT(r.out, Contains(out + "/ (summary.json, timeline.csv, ops.csv, op_classes.csv)"));  // the output line
    CHECK_THAT(r.out, Contains("top ops by critical-path cycles"));  // then the top ops (ops.csv)
    const auto s = load_json(out + "/summary.json");
    INFO(s.dump(2));

    for (const char* key : {"cycles", "seconds", "throughput_seq_per_s", "utilization", "bytes", "stalls", "model",
                            "accelerator", "wall_seconds", "op_classes"})
        CHECK(s.contains(key));
    for (const char* key : {"mac_lane", "softmax", "layernorm", "dma"}) {
        INFO("utilization." << key);
        REQUIRE(s["utilization"].contains(key));
        const double u = s["utilization"][key].get<double>();
        CHECK(u >= 0);
        CHECK(u <= 1);
    }
    REQUIRE(s["bytes"].contains("main_memory"));
    CHECK(s["bytes"]["main_memory"].contains("read"));
    CHECK(s["bytes"]["main_memory"].contains("write"));
    for (const char* key : {"activation_buffer", "weight_buffer", "mask_buffer"}) {
        INFO("bytes." << key);
        CHECK(s["bytes"].contains(key));
    }
    CHECK(s["model"]["name"] == "bert-tiny");
    CHECK(s["model"]["seq"] == 128);
    CHECK(s["model"]["batch"] == 4);
    CHECK(s["accelerator"]["name"] == "acceltran-edge");
    CHECK(s["accelerator"]["clock_mhz"].get<double>() == 700.0);
    CHECK(s["wall_seconds"].get<double>() > 0);
    // Area from the 14 nm table with the original's formula; tests/unit/test_area_model.cpp
    // derives the 54.064266652 mm2 by hand.
    CHECK(s["area_mm2"]["total"].get<double>() == Approx(54.064266652).epsilon(1e-9));
    // Energy: the breakdown sums to the total, per sequence divides by the batch, and average
    // power is energy over simulated time (tests/unit/test_energy_model.cpp checks each part).
    double parts = 0;
    for (const auto& [k, v] : s["energy_breakdown_j"].items())
        if (v.is_object())
            for (const auto& [kk, vv] : v.items()) parts += vv.get<double>();
        else
            parts += v.get<double>();
    const double energy = s["energy_j"].get<double>();
    CHECK(energy > 0);
    CHECK(parts == Approx(energy).epsilon(1e-12));
    CHECK(s["energy_j_per_seq"].get<double>() == Approx(energy / 4).epsilon(1e-12));
    CHECK(s["power_w"]["average"].get<double>() == Approx(energy / s["seconds"].get<double>()).epsilon(1e-12));

    const double cycles = s["cycles"].get<double>();
    const double seconds = s["seconds"].get<double>();
    CHECK(cycles > 0);
    CHECK(seconds == Approx(cycles / 700e6).epsilon(1e-12));
    CHECK(s["throughput_seq_per_s"].get<double>() == Approx(4 / seconds).epsilon(1e-12));
}

// BERT-Base, seq 128, batch 4 (the full sequence length: well under the 60 s budget, so no need
// to fall back to --seq 64). Measured on 2 cores, one at a time: 6.8 s on Edge, 9.7 s on Server
// (16x the lanes, so 2.7x the jobs to dispatch). The two runs go side by side: 8.5-11 s wall.
TEST_CASE("BERT-Base runs in fewer seconds on AccelTran-Server than on AccelTran-Edge", "[unsanitized][integration][cli][slow]") {
    ScratchDir dir("base");
    CommandResult edge, server;
    std::thread t([&] { edge = run_acceltran({"run", "--model", "bert-base", "--accel", "acceltran-edge", "--quiet", "--out", dir / "edge"}, dir); });
    server = run_acceltran({"run", "--model", "bert-base", "--accel", "acceltran-server", "--quiet", "--out", dir / "server"}, dir);
    t.join();
    INFO(describe(edge));
    INFO(describe(server));
    REQUIRE(edge.exit_code == 0);
    REQUIRE(server.exit_code == 0);
    const auto e = load_json(dir / "edge/summary.json");
    const auto s = load_json(dir / "server/summary.json");
    INFO("edge: " << e["seconds"] << " s simulated, " << edge.wall_seconds << " s wall; server: " << s["seconds"]
                  << " s simulated, " << server.wall_seconds << " s wall");
    CHECK(e["program"]["entries_retired"] == e["program"]["entries"]);
    CHECK(s["program"]["entries_retired"] == s["program"]["entries"]);
    CHECK(s["seconds"].get<double>() < e["seconds"].get<double>());
    CHECK(s["throughput_seq_per_s"].get<double>() > e["throughput_seq_per_s"].get<double>());
}

TEST_CASE("acceltran run --write-mapping writes the mapping of every op to mapping.yaml", "[integration][cli][mapping]") {
    ScratchDir dir("write_mapping");
    const std::string out = dir / "out";
    const auto r = run_acceltran({"run", "--model", "bert-tiny", "--accel", "acceltran-edge", "--write-mapping",
                                  "--out", out}, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains(out + "/ (summary.json, timeline.csv, ops.csv, op_classes.csv, mapping.yaml)"));
    const std::string yaml = read_text(out + "/mapping.yaml");
    CHECK_THAT(yaml, StartsWith("# The mapping of every op (docs/mapping.md), default mapping of bert-tiny on "
                                "acceltran-edge.\nops:\n  - op: emb.sum\n    memory_block: whole\n"));
    CHECK_THAT(yaml, Contains("  - op: l1.attn.scores\n    memory_block: whole\n    double_buffering: false\n"
                              "    buffer_tile: {b: 1, x: 16, y: 16}\n    loop_order: b_i_j_k\n    stationary: output\n"));
    // BERT-Tiny's graph fits Edge: one mapping per op, the 2 embedding ops and 14 per layer (q, k,
    // v, scores, probs, context, out, residual, ln; ffn h1, gelu1, out, residual, ln), 2 layers.
    std::size_t entries = 0;
    for (std::size_t at = yaml.find("  - op: "); at != std::string::npos; at = yaml.find("  - op: ", at + 1)) ++entries;
    CHECK(entries == 2 + 2 * 14);
}
