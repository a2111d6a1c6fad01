// The Gemmini template end to end (docs/gemmini.md): each design point runs a small BERT
// through the CLI, the host CPU's de/quantization shows in the op-class breakdown, and the
// transformer-tuned design, which runs nothing on the CPU, is faster than the baseline.
#include <catch2/catch.hpp>

#include <sstream>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;

namespace {
nlohmann::json gemmini_run(const ScratchDir& dir, const std::string& accel) {
    return run_summary(dir, accel, {"--model", "bert-mini", "--seq", "64", "--batch", "1", "--accel", accel, "--quiet"},
                       {});
}
}  // namespace

TEST_CASE("Gemmini designs run BERT-Mini: CPU work and its conversions in the baseline, none in the tuned design",
          "[integration][gemmini]") {
    ScratchDir dir("gemmini-runs");
    const nlohmann::json base = gemmini_run(dir, "gemmini-baseline");
    const nlohmann::json rebalanced = gemmini_run(dir, "gemmini-rebalanced");
    const nlohmann::json tuned = gemmini_run(dir, "gemmini-transformer");
    const nlohmann::json analytic = gemmini_run(dir, "survey-analytic");
    // The baseline's CPU converts every input and output of its ops: a share of the time.
    CHECK(base["op_classes"]["dequantization"]["share"].get<double>() > 0.1);
    CHECK(base["units"]["layernorm"]["units"] == 0);  // no normalization unit: the CPU takes norms
    // No unit of the tuned design converts formats.
    CHECK(tuned["op_classes"]["dequantization"]["cycles"].get<double>() == 0);
    CHECK(tuned["cycles"].get<double>() < base["cycles"].get<double>());
    CHECK(analytic["cycles"].get<double>() < base["cycles"].get<double>());
    // Same array and CPU, so the same MACs; only the memories differ.
    CHECK(rebalanced["macs"]["total"] == base["macs"]["total"]);
    // Dense int8 data and no masks: nothing moves through the mask buffer.
    CHECK(base["bytes"]["mask_buffer"]["read"] == 0);
    CHECK(base["bytes"]["mask_buffer"]["write"] == 0);
}

TEST_CASE("acceltran map maps onto a Gemmini design, and its mapping runs", "[integration][gemmini][mapper]") {
    ScratchDir dir("gemmini-map");
    const auto map = run_acceltran({"map", "--model", "bert-mini", "--seq", "64", "--batch", "1", "--accel",
                                    "gemmini-transformer", "--check", "none", "--out", dir / "map"},
                                   dir);
    INFO(describe(map));
    REQUIRE(map.exit_code == 0);
    // Every searched shape found a mapping that fits the template's 64 kB and 256 kB memories.
    const nlohmann::json space = load_json(dir / "map/mapspace.json");
    for (const auto& shape : space["shapes"]) CHECK_FALSE(shape["best"].is_null());
    // Every tile the mapper chose is 16 wide: one weight block fills the array.
    std::istringstream mapping(read_text(dir / "map/mapping.yaml"));
    int tiles = 0;
    for (std::string line; std::getline(mapping, line);)
        if (line.find("buffer_tile:") != std::string::npos) {
            ++tiles;
            CHECK_THAT(line, Catch::Contains("y: 16}"));
        }
    CHECK(tiles > 0);
    const nlohmann::json mapped = run_summary(dir, "mapped", {"--model", "bert-mini", "--seq", "64", "--batch", "1", "--accel",
                                                              "gemmini-transformer", "--mapping", dir / "map/mapping.yaml",
                                                              "--quiet"},
                                              {});
    CHECK(mapped["cycles"].get<double>() > 0);
}

TEST_CASE("A Gemmini op that cannot fit names the accumulator and the key that sizes it", "[integration][gemmini]") {
    ScratchDir dir("gemmini-small");
    // 4 kB: the 64-row tiles fit (one 64 x 16 int8 tile is 1 kB) but no row of an attention
    // score block of BERT-Mini at sequence 512 with its operands does.
    const auto r = run_acceltran({"run", "--model", "bert-mini", "--seq", "512", "--batch", "1", "--accel",
                                  "gemmini-baseline", "--set", "buffers.accumulator.size_kb=4", "--quiet", "--out",
                                  dir / "out"},
                                 dir);
    INFO(describe(r));
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("accumulator buffer") && Catch::Contains("raise buffers.accumulator.size_kb"));
    CHECK_FALSE(fs::exists(dir / "out"));
}

TEST_CASE("The Gemmini template refuses the functional mode, naming why", "[integration][gemmini]") {
    ScratchDir dir("gemmini-functional");
    const auto r = run_acceltran({"run", "--model", "bert-tiny", "--accel", "gemmini-baseline", "--functional", "--quiet",
                                  "--out", dir / "out"},
                                 dir);
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("Gemmini design, which runs timing only"));
}
