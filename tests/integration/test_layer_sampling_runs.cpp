// Layer sampling (docs/model-reference.md §6b) through the binary: a run that simulates three
// layers per phase against the same run of every layer, the default that samples only models
// deeper than any shipped one, and the settings that are refused.
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Matchers::Contains;

namespace {

// GPT-2 on Edge, prompt 64 and 64 generated tokens with every step simulated: the KV cache
// outgrows the 4 MiB activation buffer during the generation, so the planner evicts some
// layers' segments and not others', and the layers of a step are not exact repeats of each other.
const std::vector<std::string> kLayeredGeneration = {"-q", "--detail", "fast", "--model", "gpt2", "--accel", "acceltran-edge",
                                                     "--prompt-len", "64", "--gen-len", "64", "--batch", "1",
                                                     "--simulated-steps", "0"};

// How far the sampled run may be from the exact one (docs/model-reference.md §6b): 3 of 12
// layers, measured +0.29 % cycles and time per token, +0.28 % energy, -0.56 % prefill energy,
// +0.29 % main-memory reads, -0.04 % time to first token; the bound is about twice the largest.
constexpr double kLayerTolerance = 0.01;


}  // namespace

TEST_CASE("a run of three layers per phase matches simulating every layer within the stated tolerance", "[unsanitized][integration][layer_sampling]") {
    ScratchDir dir("layer-sampled");
    const auto exact = run_summary(dir, "exact", kLayeredGeneration, {"--simulated-layers", "0"});
    const auto sampled = run_summary(dir, "sampled", kLayeredGeneration, {"--simulated-layers", "3"});
    CHECK_FALSE(exact.contains("layers"));
    REQUIRE(sampled.contains("layers"));
    CHECK(sampled["layers"]["count"] == 12);
    CHECK(sampled["layers"]["simulated_per_phase"] == 3);
    CHECK(sampled["layers"]["phases"] == 65);  // the prefill and 64 steps
    for (const char* figure : {"/cycles", "/energy_j", "/generation/time_to_first_token_s",
                               "/generation/time_per_output_token_s", "/generation/prefill_energy_j",
                               "/generation/decode_energy_j", "/bytes/main_memory/read",
                               "/units/mac_lane/busy_unit_cycles", "/units/softmax/busy_unit_cycles",
                               "/units/layernorm/busy_unit_cycles", "/program/jobs"}) {
        const nlohmann::json::json_pointer p(figure);
        INFO(figure << ": exact " << exact[p] << ", sampled " << sampled[p]);
        CHECK(relative_difference(sampled[p].get<double>(), exact[p].get<double>()) < kLayerTolerance);
    }
    // What the program tallies is counted, not extrapolated: every entry retires.
    for (const char* figure : {"/macs/total", "/program/tile_ops", "/program/entries", "/program/loads",
                               "/generation/kv_cache_main_memory_bytes"}) {
        const nlohmann::json::json_pointer p(figure);
        INFO(figure);
        CHECK(sampled[p] == exact[p]);
    }
    // The phases still add up to the run.
    const auto& g = sampled["generation"];
    double sum = g["time_to_first_token_s"].get<double>();
    for (const auto& t : g["time_per_output_token_by_step_s"]) sum += t.get<double>();
    CHECK(sum == Approx(sampled["seconds"].get<double>()).epsilon(1e-4));
    CHECK(g["prefill_energy_j"].get<double>() + g["decode_energy_j"].get<double>() ==
          Approx(sampled["energy_j"].get<double>()).epsilon(1e-9));
    // ops.csv lists the simulated ops only: none of layers 3 to 11.
    const std::string ops = read_text(dir / "sampled/ops.csv");
    CHECK_THAT(ops, Contains("l2.") && !Contains(".l3.") && !Contains(".l11."));
}

TEST_CASE("an encoder whose layers repeat exactly gives the exact run's figures from three of its layers", "[integration][layer_sampling]") {
    // BERT-Medium on Edge at the full level: eight identical layers, nothing evicted between them.
    ScratchDir dir("layer-sampled-encoder");
    const std::vector<std::string> base = {"-q", "--model", "bert-medium", "--accel", "acceltran-edge", "--batch", "1"};
    const auto exact = run_summary(dir, "exact", base, {"--simulated-layers", "0"});
    const auto sampled = run_summary(dir, "sampled", base, {"--simulated-layers", "3"});
    for (const char* figure : {"/cycles", "/energy_j", "/bytes/main_memory/read", "/bytes/main_memory/write",
                               "/units/mac_lane/busy_unit_cycles", "/program/jobs", "/program/tile_ops"}) {
        const nlohmann::json::json_pointer p(figure);
        INFO(figure << ": exact " << exact[p] << ", sampled " << sampled[p]);
        // Sums of the same per-layer figures in another order: equal to rounding.
        CHECK(sampled[p].get<double>() == Approx(exact[p].get<double>()).epsilon(1e-9));
    }
}

TEST_CASE("by default only a model deeper than any shipped one is layer-sampled, and the summary says so", "[integration][layer_sampling]") {
    ScratchDir dir("layer-sampling-default");
    const std::string deep = dir.write("deep.yaml", "name: deep-tiny\nfamily: bert\nvocab_size: 1000\nmax_positions: 128\n"
                                                    "activation: gelu\nlayers: 49\nhidden: 64\nheads: 2\nffn: 128\n");
    const std::vector<std::string> base = {"-q", "--detail", "fast", "--accel", "acceltran-edge", "--seq", "32", "--batch", "1"};
    const auto sampled = run_summary(dir, "deep", base, {"--model", deep});
    REQUIRE(sampled.contains("layers"));
    CHECK(sampled["layers"]["count"] == 49);
    CHECK(sampled["layers"]["simulated_per_phase"] == 3);
    const auto all = run_summary(dir, "deep-all", base, {"--model", deep, "--simulated-layers", "0"});
    CHECK_FALSE(all.contains("layers"));
    CHECK(sampled["cycles"].get<double>() == Approx(all["cycles"].get<double>()).epsilon(0.01));
    const auto shipped = run_summary(dir, "gpt2-xl", base, {"--model", "gpt2-xl"});
    CHECK_FALSE(shipped.contains("layers"));  // 48 layers: every one simulated
    // The printed summary names the sample.
    const auto printed = run_into(dir, "deep-printed", {"--detail", "fast", "--accel", "acceltran-edge", "--seq", "32",
                                                        "--batch", "1", "--model", deep}, {});
    CHECK(printed.exit_code == 0);
    CHECK_THAT(printed.out, Contains("layers simulated") && Contains("3 of 49 per phase"));
}

TEST_CASE("acceltran run refuses a layer sample it cannot take, with the reason", "[integration][layer_sampling]") {
    ScratchDir dir("layer-sampling-errors");
    const std::vector<std::string> base = {"-q", "--model", "bert-mini", "--accel", "acceltran-edge"};
    for (const char* bad : {"1", "-3", "two", "2.5"}) {
        const auto r = run_into(dir, "bad", base, {"--simulated-layers", bad});
        INFO(bad << ": " << describe(r));
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Contains("--simulated-layers"));
    }
    const auto functional = run_into(dir, "functional", base, {"--simulated-layers", "2", "--functional"});
    INFO(describe(functional));
    CHECK(functional.exit_code == 2);
    CHECK_THAT(functional.err, Contains("--simulated-layers 0"));
    CHECK_FALSE(fs::exists(dir / "bad"));
}
