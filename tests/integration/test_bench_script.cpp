// bench/run as a user meets it, on its quickest case only (one BERT-Tiny run): it prints the
// table with the case's row, writes the JSON with the same figures read back from the run's
// summary.json, and rejects an unknown case. The benchmark's figures themselves are measurements
// and are not checked here (docs/performance.md); this test keeps the script from rotting.
#include <catch2/catch.hpp>

#include <string>

#include "core/build_info.h"
#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Matchers::Contains;

namespace {

const std::string kBench = std::string(ACCELTRAN_SOURCE_DIR) + "/bench/run";

CommandResult run_bench(const std::string& args) {
    return run_shell(shell_quote(kBench) + " --binary " + shell_quote(ACCELTRAN_BINARY) + " " + args + " 2>&1");
}

}  // namespace

TEST_CASE("bench/run prints the table and writes the JSON for a case", "[integration][bench]") {
    ScratchDir dir("bench");
    const std::string json_path = dir / "bench.json";
    const auto r = run_bench("--cases tiny-edge --repeat 1 --json " + shell_quote(json_path));
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("peak RSS MiB"));
    CHECK_THAT(r.out, Contains("tiny-edge"));
    const auto j = load_json(json_path);
    REQUIRE(j["cases"].size() == 1);
    const auto& row = j["cases"][0];
    CHECK(row["case"] == "tiny-edge");
    CHECK(row["model"] == "bert-tiny");
    CHECK(row["accelerator"] == "acceltran-edge");
    // BERT-Tiny at sequence 128, batch 4: 62,976 tile ops (the golden run's program size).
    const auto golden = load_json(std::string(ACCELTRAN_SOURCE_DIR) + "/tests/golden/bert-tiny_acceltran-edge.json");
    CHECK(row["tile_ops"] == golden["figures"]["program"]["tile_ops"]);
    CHECK(row["cycles"] == golden["figures"]["cycles"]);
    CHECK(row["wall_seconds"].get<double>() > 0);
    CHECK(row["peak_rss_mib"].get<double>() > 0);
    CHECK(j["failures"].empty());
    // The binary's own commit (from its --version), not only the checkout's.
    CHECK(j["machine"]["binary_commit"] == acceltran::build_commit());
}

TEST_CASE("bench/run --compare gives each case's ratio to an earlier run and flags slowdowns", "[integration][bench]") {
    ScratchDir dir("bench-compare");
    // Two earlier results for the same case: one far faster than any real run (so this run is
    // flagged as more than 20% slower) and one far slower (so it is not).
    write_text(dir / "fast.json", R"({"cases": [{"case": "tiny-edge-fast", "wall_seconds": 1e-6}]})");
    write_text(dir / "slow.json", R"({"cases": [{"case": "tiny-edge-fast", "wall_seconds": 1e6}]})");
    const auto flagged = run_bench("--cases tiny-edge-fast --repeat 1 --json " + shell_quote(dir / "a.json") +
                                   " --compare " + shell_quote(dir / "fast.json"));
    INFO(describe(flagged));
    REQUIRE(flagged.exit_code == 0);
    CHECK_THAT(flagged.out, Contains("compared with " + dir / "fast.json") && Contains("SLOWER by more than 20%"));
    CHECK(load_json(dir / "a.json")["compared_with"]["cases"][0]["slower"] == true);
    const auto fine = run_bench("--cases tiny-edge-fast --repeat 1 --json " + shell_quote(dir / "b.json") +
                                " --compare " + shell_quote(dir / "slow.json"));
    INFO(describe(fine));
    REQUIRE(fine.exit_code == 0);
    CHECK_THAT(fine.out, Contains("tiny-edge-fast") && !Contains("SLOWER"));
    CHECK(load_json(dir / "b.json")["compared_with"]["cases"][0]["slower"] == false);
}

TEST_CASE("bench/run's decoder set lists its cases and its 70B-style model builds its graph", "[integration][bench]") {
    const auto r = run_bench("--set llm --cases no-such-case");
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Contains("llama8b-p128-g8064") && Contains("llama70b-p2048-g128"));
    ScratchDir dir("bench-llm");
    // The model reads and its graph builds (whether it runs on Server depends on the decoder's
    // weight slicing; that is what the case measures).
    const auto v = run_acceltran({"analyze", "--model", std::string(ACCELTRAN_SOURCE_DIR) +
                                  "/bench/models/llama-70b-style.yaml", "--seq", "16", "--batch", "1"}, dir);
    INFO(describe(v));
    CHECK(v.exit_code == 0);
    CHECK_THAT(v.out, Contains("llama-70b-style"));
}

TEST_CASE("bench/run rejects an unknown case with the list of known ones", "[integration][bench]") {
    const auto r = run_bench("--cases no-such-case");
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Contains("no-such-case"));
    CHECK_THAT(r.out, Contains("base-server-fast"));
}

TEST_CASE("bench/run documents --peer and refuses a directory that is not the original", "[integration][bench]") {
    const auto help = run_bench("--help");
    INFO(describe(help));
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Contains("--peer DIR"));
    CHECK_THAT(help.out, Contains("jha-lab/acceltran"));

    ScratchDir dir("bench-peer");
    const std::string missing = dir / "no-such-checkout";
    const auto r = run_bench("--cases none --peer " + shell_quote(missing));
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Contains("--peer " + missing + ": no such directory"));
    CHECK_THAT(r.out, !Contains("peer: ours run"));  // refused before anything ran

    // An existing directory without the original's run_simulator.py and src/simulator.py.
    const auto not_original = run_bench("--cases none --peer " + shell_quote(dir.path().string()));
    INFO(describe(not_original));
    CHECK(not_original.exit_code == 2);
    CHECK_THAT(not_original.out, Contains("not a checkout of the original AccelTran simulator"));
}

TEST_CASE("bench/run's mapper set times acceltran map and reports mappings per second", "[integration][bench]") {
    ScratchDir dir("bench-mapper");
    const std::string json_path = dir / "mapper.json";
    const auto r = run_bench("--set mapper --cases map-tiny-edge-exhaustive --json " + shell_quote(json_path));
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("mappings/s") && Contains("map-tiny-edge-exhaustive"));
    const auto j = load_json(json_path);
    REQUIRE(j["cases"].size() == 1);
    const auto& row = j["cases"][0];
    CHECK(row["evaluated"].get<double>() > 0);
    CHECK(row["mappings_per_second"].get<double>() ==
          Approx(row["evaluated"].get<double>() / row["search_seconds"].get<double>()));
    CHECK(j["failures"].empty());
}
