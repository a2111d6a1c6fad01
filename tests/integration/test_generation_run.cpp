// Generation runs through the CLI (`acceltran run --prompt-len P --gen-len G`, docs/decoders.md):
// GPT-2 prefill and decode on both shipped accelerators report the generation figures; decode is
// memory-bound on AccelTran-Edge; a decode step costs what its main-memory bytes predict at the
// memory's bandwidth, so a longer KV cache that spills makes steps slower by its extra bytes,
// and a cache that fits on chip makes them faster. All with --detail fast (cycles within 0.5 % of
// full, tests/integration/test_detail_levels.cpp).
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;

namespace {

constexpr double kEdgeBandwidth = 25.6e9;  // bytes/s, configs/accelerators/acceltran-edge.yaml

nlohmann::json generate(const ScratchDir& dir, const std::string& name, const std::string& accel, int prompt,
                        int gen, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "-q", "--detail", "fast", "--model", "gpt2", "--accel", accel,
                                     "--prompt-len", std::to_string(prompt), "--gen-len", std::to_string(gen),
                                     "--batch", "1", "-o", dir / name};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_acceltran(args, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    return load_json(dir / (name + "/summary.json"));
}

double memory_bytes(const nlohmann::json& s) {
    return s["bytes"]["main_memory"]["read"].get<double>() + s["bytes"]["main_memory"]["write"].get<double>();
}

}  // namespace

TEST_CASE("GPT-2 prefill and decode run on Edge and Server and report the generation figures",
          "[integration][generation]") {
    ScratchDir dir("gen");
    for (const std::string accel : {"acceltran-edge", "acceltran-server"}) {
        INFO(accel);
        const auto s = generate(dir, accel, accel, 32, 4);
        const auto& g = s["generation"];
        CHECK(g["prompt_len"] == 32);
        CHECK(g["gen_len"] == 4);
        const double ttft = g["time_to_first_token_s"].get<double>();
        const double tpot = g["time_per_output_token_s"].get<double>();
        CHECK(ttft > 0);
        CHECK(tpot > 0);
        CHECK(g["time_per_output_token_by_step_s"].size() == 4);
        // The run is the prefill plus four steps.
        CHECK(ttft + 4 * tpot == Approx(s["seconds"].get<double>()).epsilon(1e-9));
        CHECK(g["tokens_per_s"].get<double>() == Approx(1 / tpot).epsilon(1e-9));
        // The phases' energies add up to the run's (the timeline's periods, §9c).
        CHECK(g["prefill_energy_j"].get<double>() + g["decode_energy_j"].get<double>() ==
              Approx(s["energy_j"].get<double>()).epsilon(1e-6));
        CHECK(g["energy_per_token_j"].get<double>() == Approx(g["decode_energy_j"].get<double>() / 4).epsilon(1e-12));
    }
    const auto edge = load_json(dir / "acceltran-edge/summary.json");
    // Decode streams every weight for one token: the memory port is nearly always busy and the
    // lanes nearly always idle (Kim et al. survey, Sec. 2.2, Figs. 4-6: about 2 FLOPs per byte).
    CHECK(edge["utilization"]["main_memory"].get<double>() > 0.9);
    CHECK(edge["utilization"]["mac_lane"].get<double>() < 0.05);
    const auto server = load_json(dir / "acceltran-server/summary.json");
    CHECK(server["generation"]["time_per_output_token_s"].get<double>() <
          edge["generation"]["time_per_output_token_s"].get<double>());
}

TEST_CASE("a GPT-2 decode step on Edge costs its main-memory bytes at the memory's bandwidth", "[unsanitized][integration][generation]") {
    // The third decode step is the difference between runs of 3 and 2 steps, in time and in bytes.
    ScratchDir dir("gen-step");
    double step_time[2], step_bytes[2];
    const int prompts[2] = {32, 256};
    for (int i = 0; i < 2; ++i) {
        const auto two = generate(dir, "p" + std::to_string(prompts[i]) + "-g2", "acceltran-edge", prompts[i], 2);
        const auto three = generate(dir, "p" + std::to_string(prompts[i]) + "-g3", "acceltran-edge", prompts[i], 3);
        step_time[i] = three["seconds"].get<double>() - two["seconds"].get<double>();
        step_bytes[i] = memory_bytes(three) - memory_bytes(two);
        INFO("prompt " << prompts[i] << ": step " << step_time[i] << " s, " << step_bytes[i] << " bytes");
        // Weights (and spilled cache) stream at 25.6 GB/s; buffer traffic and compute overlap it.
        // 3 %: measured 0.4 % (prompt 32) and 0.2 % (prompt 256).
        CHECK(step_time[i] == Approx(step_bytes[i] / kEdgeBandwidth).epsilon(0.03));
    }
    // At prompt 256 the cache (12 layers x 2 x 256 x 768 values) no longer fits beside the
    // weights and is reloaded: more bytes per step, and a slower step by about those bytes.
    CHECK(step_bytes[1] > step_bytes[0]);
    CHECK(step_time[1] > step_time[0]);
    // 25 %: the extra reloads overlap partly with the step's own weight stream (measured 9 %).
    CHECK(step_time[1] - step_time[0] == Approx((step_bytes[1] - step_bytes[0]) / kEdgeBandwidth).epsilon(0.25));
}

TEST_CASE("a KV cache that fits on chip makes GPT-2 decode faster than one that spills", "[integration][generation]") {
    ScratchDir dir("gen-fit");
    const auto spills = generate(dir, "spills", "acceltran-edge", 256, 2);
    const auto fits = generate(dir, "fits", "acceltran-edge", 256, 2, {"--set", "buffers.activation.size_mb=32"});
    CHECK(spills["generation"]["kv_cache_main_memory_bytes"].get<double>() > 0);
    CHECK(fits["generation"]["kv_cache_main_memory_bytes"].get<double>() <
          spills["generation"]["kv_cache_main_memory_bytes"].get<double>());
    CHECK(fits["generation"]["time_per_output_token_s"].get<double>() <
          spills["generation"]["time_per_output_token_s"].get<double>());
}

TEST_CASE("the 1B-class Llama-style model runs prefill and decode on Edge and Server", "[unsanitized][integration][generation]") {
    // Its FFN weights do not fit Edge's 8 MiB weight buffer whole: the graph builder slices them
    // (docs/decoders.md §2.1). Batch 1: at the defaults the prefill's attention scores need more
    // than Edge's 4 MiB activation buffer.
    ScratchDir dir("gen-llama");
    for (const std::string accel : {"acceltran-edge", "acceltran-server"}) {
        INFO(accel);
        const auto r = run_acceltran({"run", "-q", "--detail", "fast", "--model", "llama-1b", "--accel", accel,
                                      "--prompt-len", "32", "--gen-len", "2", "--batch", "1", "-o", dir / accel},
                                     dir);
        INFO(describe(r));
        REQUIRE(r.exit_code == 0);
        const auto s = load_json(dir / (accel + "/summary.json"));
        CHECK(s["generation"]["time_per_output_token_by_step_s"].size() == 2);
        CHECK(s["generation"]["time_to_first_token_s"].get<double>() > 0);
        // Decode streams the 1.24 B parameters for every token: memory-bound on both design points.
        CHECK(s["utilization"]["main_memory"].get<double>() > 0.9);
        CHECK(s["utilization"]["mac_lane"].get<double>() < 0.05);
    }
}

TEST_CASE("acceltran run --gen-len on an encoder is an input error naming the model", "[integration][generation]") {
    ScratchDir dir("gen-encoder");
    const auto r = run_acceltran({"run", "-q", "--model", "bert-tiny", "--gen-len", "4", "-o", dir / "out"}, dir);
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("model 'bert-tiny' is an encoder") != std::string::npos);
}

TEST_CASE("a generation that inherits the configured sparsity says so, and a dense one does not",
          "[integration][generation]") {
    ScratchDir dir("generation-sparsity-note");
    // --no-progress: a run that lasts over 10 s (sanitizers on a loaded machine) prints progress
    // lines on stderr even with -q, and this test reads stderr.
    const std::vector<std::string> base{"run", "--model", "gpt2", "--accel", "acceltran-edge", "--prompt-len", "8",
                                        "--gen-len", "2", "--detail", "fast", "-q", "--no-progress"};
    auto with = [&](std::vector<std::string> extra, const std::string& out) {
        std::vector<std::string> args = base;
        args.insert(args.end(), extra.begin(), extra.end());
        args.insert(args.end(), {"--out", dir / out});
        return run_acceltran(args, dir);
    };
    const auto inherited = with({}, "inherited");
    INFO(describe(inherited));
    REQUIRE(inherited.exit_code == 0);
    CHECK_THAT(inherited.err, Catch::Contains("note: this generation assumes the accelerator's configured sparsity "
                                              "(activation 50 %, weight 50 %") &&
                                  Catch::Contains("--set sparsity.activation=0 --set sparsity.weight=0"));
    const auto dense = with({"--set", "sparsity.activation=0", "--set", "sparsity.weight=0"}, "dense");
    INFO(describe(dense));
    REQUIRE(dense.exit_code == 0);
    CHECK(dense.err.empty());
    // The note is about a real difference: the dense decode takes longer per token.
    const double sparse_tpot = load_json(dir / "inherited/summary.json")["generation"]["time_per_output_token_s"];
    const double dense_tpot = load_json(dir / "dense/summary.json")["generation"]["time_per_output_token_s"];
    CHECK(dense_tpot > sparse_tpot);
    // --seq beside --gen-len would be ignored: refused, as a usage error.
    const auto both = run_acceltran({"run", "--model", "gpt2", "--seq", "64", "--gen-len", "2", "-q", "--out",
                                     dir / "both"}, dir);
    CHECK(both.exit_code == 2);
    CHECK_THAT(both.err, Catch::Contains("give either --seq or --prompt-len/--gen-len"));
    // An encoder pass is not a generation: no note.
    const auto encoder = run_acceltran({"run", "--model", "bert-tiny", "-q", "--out", dir / "encoder"}, dir);
    CHECK(encoder.exit_code == 0);
    CHECK(encoder.err.empty());
}
