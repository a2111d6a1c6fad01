// Issue 19's end-to-end check: `acceltran map` searches each op's mapspace with the analytic
// cost model and `acceltran run --mapping` replays its mapping.yaml through the TLM model. On
// BERT-Base on AccelTran-Edge (fast level) the mapped run must be no worse than the default
// mapping in the objective the mapper optimised (EDP: cycles x energy), both measured by the
// simulator, not by the cost model. These cases map with `--check none`, so that they test the
// cost model's own choices: the check on the TLM model (last case) makes them hold by construction.
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
                                    "--search", "heuristic", "--check", "none", "--out", dir / "map"},
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
    std::vector<std::string> map_args = {"map", "--search", "heuristic", "--budget", "2000", "--check", "none",
                                         "--out", dir / "map"};
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

// The check on the TLM model (docs/mapping.md §7.1). On BERT-Base on AccelTran-Server the cost
// model's choices, each priced on its op's own buffers, make the whole run far worse (at
// f867f84: 77 % more EDP, 12 spills): together they take buffer room the planner needs. With the
// check, each shape's choice is kept only when a fast-level run of the whole model with it is
// better, starting from the derived mapping, which is the run without a mapping file.
TEST_CASE("acceltran map's check on the TLM model keeps only choices that make the whole run better",
          "[integration][mapping][unsanitized]") {
    ScratchDir dir("map-check");
    const std::vector<std::string> point = {"--model", "bert-base", "--accel", "acceltran-server"};
    auto map_with = [&](const std::string& check, const std::string& out) {
        std::vector<std::string> args = {"map", "--check", check, "--out", dir / out};
        args.insert(args.end(), point.begin(), point.end());
        const auto r = run_acceltran(args, dir);
        INFO(describe(r));
        REQUIRE(r.exit_code == 0);
        return r;
    };
    auto edp_with = [&](const std::string& mapping, const std::string& name) {
        std::vector<std::string> args = point;
        if (!mapping.empty()) args.insert(args.end(), {"--mapping", mapping});
        return map_then_run_edp(dir, name, args);
    };
    const double default_edp = edp_with("", "default");
    map_with("none", "unchecked");
    const double unchecked_edp = edp_with(dir / "unchecked/mapping.yaml", "unchecked-run");
    INFO("default EDP " << default_edp << ", unchecked " << unchecked_edp);
    // What the check is for: without it this mapping is worse than none.
    CHECK(unchecked_edp > default_edp);

    const auto checked = map_with("tlm", "checked");
    CHECK_THAT(checked.out, Catch::Contains("checked on the TLM model"));
    const double checked_edp = edp_with(dir / "checked/mapping.yaml", "checked-run");
    INFO("checked " << checked_edp);
    CHECK(checked_edp <= default_edp);
    CHECK(checked_edp < unchecked_edp);

    // mapspace.json records the trials: the derived mapping's run is the run without a mapping
    // file, and the kept mapping's run is the one `run --mapping` repeats, figure for figure.
    const auto check = load_json(dir / "checked/mapspace.json")["check"];
    REQUIRE(check.is_object());
    CHECK(check["trials"][0]["what"] == "derived");
    const auto summary_of = [&](const std::string& name) { return load_json(dir / (name + "/summary.json")); };
    CHECK(check["derived"]["cycles"].get<double>() == summary_of("default")["cycles"].get<double>());
    CHECK(check["derived"]["energy_j"].get<double>() == summary_of("default")["energy_j"].get<double>());
    CHECK(check["mapped"]["cycles"].get<double>() == summary_of("checked-run")["cycles"].get<double>());
    CHECK(check["mapped"]["energy_j"].get<double>() == summary_of("checked-run")["energy_j"].get<double>());
    // Every trial after the first either improved on the best so far or was dropped.
    double best = check["trials"][0]["objective"].get<double>();
    std::size_t dropped = 0;
    for (std::size_t i = 1; i < check["trials"].size(); ++i) {
        const auto& t = check["trials"][i];
        INFO(t.dump());
        if (t["kept"].get<bool>()) {
            CHECK(t["objective"].get<double>() < best);
            best = t["objective"].get<double>();
        } else {
            ++dropped;
        }
    }
    CHECK(dropped > 0);
    CHECK(check["mapped"]["objective"].get<double>() == best);

    // A bad choice of check is a usage error, and nothing is written.
    const auto bad = run_acceltran({"map", "--model", "bert-tiny", "--accel", "acceltran-edge", "--check", "sim",
                                    "--out", dir / "bad"},
                                   dir);
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.err, Catch::Contains("--check"));
    CHECK_FALSE(fs::exists(dir / "bad"));
}
