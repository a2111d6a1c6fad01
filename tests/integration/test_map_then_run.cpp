// Issue 19's end-to-end check: `acceltran map` searches each op's mapspace with the analytic
// cost model and `acceltran run --mapping` replays its mapping.yaml through the TLM model. On
// BERT-Base on AccelTran-Edge (fast level) the mapped run must be no worse than the default
// mapping in the objective the mapper optimised (EDP: cycles x energy), both measured by the
// simulator, not by the cost model.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;

namespace {

// EDP (cycles x energy) of `acceltran run --detail fast -q --out DIR/name` with `args`, as the
// simulator measures it; the mapper's own file must replay without a warning (it once drew one per
// blocked op for its derived double_buffering).
double map_then_run_edp(const ScratchDir& dir, const std::string& name, const std::vector<std::string>& args) {
    std::vector<std::string> all = {"run", "--detail", "fast", "-q", "--out", dir / name};
    all.insert(all.end(), args.begin(), args.end());
    const auto r = run_acceltran(all, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("warning") == std::string::npos);
    const auto s = load_json(dir / (name + "/summary.json"));
    return s["cycles"].get<double>() * s["energy_j"].get<double>();
}

}  // namespace

TEST_CASE("acceltran map then run --mapping: BERT-Base on Edge is no worse in EDP than the default mapping",
          "[integration][mapping][unsanitized]") {
    ScratchDir dir("map-then-run");
    const auto map = run_acceltran({"map", "--model", "bert-base", "--accel", "acceltran-edge", "--objective", "edp",
                                    "--search", "heuristic", "--out", dir / "map"},
                                   dir);
    INFO(describe(map));
    REQUIRE(map.exit_code == 0);
    const std::vector<std::string> point = {"--model", "bert-base", "--accel", "acceltran-edge"};
    std::vector<std::string> mapped = point;
    mapped.insert(mapped.end(), {"--mapping", dir / "map/mapping.yaml"});
    const double default_edp = map_then_run_edp(dir, "default", point);
    const double mapped_edp = map_then_run_edp(dir, "mapped", mapped);
    INFO("default EDP " << default_edp << ", mapped EDP " << mapped_edp);
    CHECK(mapped_edp <= default_edp);
}

// The same for a decoder's generation: `acceltran map --prompt-len P --gen-len G` maps the ops of
// the graph `acceltran run` builds for the same lengths and decode steps (docs/mapping.md §7).
// GPT-2 on Edge with main memory at 2,560 GB/s, so that the mapping, not the weights' stream,
// sets the time.
TEST_CASE("acceltran map then run --mapping: a GPT-2 generation is no worse in EDP than the default mapping",
          "[integration][mapping][generation]") {
    ScratchDir dir("map-then-run-generation");
    std::string edge = read_text(std::string(ACCELTRAN_SOURCE_DIR) + "/configs/accelerators/acceltran-edge.yaml");
    const std::string key = "bandwidth_gbps: 25.6";
    REQUIRE(edge.find(key) != std::string::npos);
    edge.replace(edge.find(key), key.size(), "bandwidth_gbps: 2560");
    const std::string accel = dir.write("edge-fast-memory.yaml", edge);
    const std::vector<std::string> shape = {"--model", "gpt2", "--accel", accel, "--prompt-len", "32", "--gen-len", "8",
                                            "--batch", "1"};
    std::vector<std::string> map_args = {"map", "--search", "heuristic", "--budget", "2000", "--out", dir / "map"};
    map_args.insert(map_args.end(), shape.begin(), shape.end());
    const auto map = run_acceltran(map_args, dir);
    INFO(describe(map));
    REQUIRE(map.exit_code == 0);
    const auto space = load_json(dir / "map/mapspace.json");
    CHECK(space["prompt_len"] == 32);
    CHECK(space["gen_len"] == 8);
    const std::string mapping = read_text(dir / "map/mapping.yaml");
    CHECK(mapping.find("op: prefill.l0.attn.q") != std::string::npos);
    CHECK(mapping.find("op: decode8.l0.ffn.h1") != std::string::npos);
    std::vector<std::string> mapped = shape;
    mapped.insert(mapped.end(), {"--mapping", dir / "map/mapping.yaml"});
    const double default_edp = map_then_run_edp(dir, "default", shape);
    const double mapped_edp = map_then_run_edp(dir, "mapped", mapped);
    INFO("default EDP " << default_edp << ", mapped EDP " << mapped_edp);
    CHECK(mapped_edp <= default_edp);
    // An encoder does not generate: the same refusal as `acceltran run`'s.
    const auto encoder = run_acceltran({"map", "--model", "bert-tiny", "--accel", "acceltran-edge", "--gen-len", "4",
                                        "--out", dir / "encoder"},
                                       dir);
    CHECK(encoder.exit_code == 3);
    CHECK(encoder.err.find("encoder") != std::string::npos);
}
