// `acceltran map` (testbenches/cli/map_command.cpp, docs/mapping.md §7): BERT-Tiny on Edge at a
// small sequence; mapping.yaml lists every op of the default mapping with its best tile and loop
// order, mapspace.json the search statistics; bad arguments are refused with the usage exit code.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Matchers::Contains;

namespace {

std::vector<std::string> mapper_args(const std::string& out, std::vector<std::string> extra) {
    std::vector<std::string> a{"map", "--model", "bert-tiny", "--accel", "acceltran-edge", "--seq", "64",
                               "--batch", "2", "--check", "none", "--out", out};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

}  // namespace

TEST_CASE("acceltran map writes the best mapping per op and the mapspace statistics", "[integration][mapper]") {
    ScratchDir dir("mapper");
    const std::string out = dir / "mapped";
    const auto r = run_acceltran(mapper_args(out, {"--search", "random", "--budget", "3000", "--seed", "5"}), dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("mappings/s") && Contains(out));

    // Every op of the default mapping, in order, with a tile, an order and its stationary operand.
    const auto rerun = run_acceltran({"run", "--model", "bert-tiny", "--accel", "acceltran-edge", "--seq", "64",
                                      "--batch", "2", "--write-mapping", "--quiet", "--out", dir / "default"},
                                     dir);
    REQUIRE(rerun.exit_code == 0);
    const YAML::Node mapped = YAML::LoadFile(out + "/mapping.yaml");
    const YAML::Node reference = YAML::LoadFile(dir / "default/mapping.yaml");
    REQUIRE(mapped["ops"].size() == reference["ops"].size());
    for (std::size_t i = 0; i < mapped["ops"].size(); ++i) {
        const YAML::Node op = mapped["ops"][i];
        INFO(op["op"].as<std::string>());
        CHECK(op["op"].as<std::string>() == reference["ops"][i]["op"].as<std::string>());
        CHECK(op["memory_block"].as<std::string>() == reference["ops"][i]["memory_block"].as<std::string>());
        CHECK(op["buffer_tile"]["x"].as<int>() >= 4);
        CHECK(op["loop_order"].as<std::string>().size() == 7);
        CHECK(op["stationary"]);
    }

    const nlohmann::json space = nlohmann::json::parse(read_text(out + "/mapspace.json"));
    CHECK(space["model"] == "bert-tiny");
    CHECK(space["search"] == "random");
    // Identical ops are searched once: BERT-Tiny's two layers share every shape.
    std::size_t ops = 0;
    for (const auto& s : space["shapes"]) {
        INFO(s.dump());
        ops += s["ops"].size();
        CHECK(s["evaluated"].get<std::uint64_t>() == std::min<std::uint64_t>(3000, s["mapspace_size"]));
        REQUIRE(s["best"].is_object());
        CHECK(s["p10_relative"].get<double>() >= 1.0);
        CHECK(s["median_relative"].get<double>() >= s["p10_relative"].get<double>());
        CHECK(s["within_3x_share"].get<double>() > 0);
        // The best is no worse than the design point's own mapping, which is in every mapspace.
        CHECK(s["best"]["cost"]["edp_js"].get<double>() <= s["design_mapping"]["edp_js"].get<double>());
    }
    CHECK(ops == mapped["ops"].size());
    CHECK(space["shapes"].size() * 2 <= ops);

    // The same seed gives the same file; an existing directory needs --force.
    const auto again = run_acceltran(mapper_args(out, {"--search", "random", "--budget", "3000", "--seed", "5"}), dir);
    CHECK(again.exit_code == 2);
    const auto forced =
        run_acceltran(mapper_args(out, {"--search", "random", "--budget", "3000", "--seed", "5", "--force"}), dir);
    REQUIRE(forced.exit_code == 0);
    CHECK(YAML::Dump(YAML::LoadFile(out + "/mapping.yaml")) == YAML::Dump(mapped));
}

TEST_CASE("acceltran map refuses bad arguments", "[integration][mapper]") {
    ScratchDir dir("mapper-bad");
    const auto objective = run_acceltran(mapper_args(dir / "a", {"--objective", "speed"}), dir);
    CHECK(objective.exit_code == 2);
    CHECK_THAT(objective.err, Contains("--objective") && Contains("edp"));
    const auto search = run_acceltran(mapper_args(dir / "b", {"--search", "greedy"}), dir);
    CHECK(search.exit_code == 2);
    CHECK_THAT(search.err, Contains("--search"));
    const auto budget = run_acceltran(mapper_args(dir / "c", {"--budget", "0"}), dir);
    CHECK(budget.exit_code == 2);
    const auto model = run_acceltran({"map", "--model", "no-such-model", "--accel", "acceltran-edge", "--out",
                                      dir / "d"},
                                     dir);
    CHECK(model.exit_code == 3);
    CHECK_THAT(model.err, Contains("no-such-model"));
    CHECK_FALSE(fs::exists(dir / "d"));
    // A generation's lengths and steps are checked as `acceltran run` checks them.
    const auto length = run_acceltran({"map", "--model", "gpt2", "--accel", "acceltran-edge", "--gen-len", "-1",
                                       "--out", dir / "e"},
                                      dir);
    CHECK(length.exit_code == 2);
    CHECK_THAT(length.err, Contains("--gen-len"));
    const auto steps = run_acceltran({"map", "--model", "gpt2", "--accel", "acceltran-edge", "--gen-len", "32",
                                      "--simulated-steps", "1", "--out", dir / "f"},
                                     dir);
    CHECK(steps.exit_code == 2);
    CHECK_THAT(steps.err, Contains("--simulated-steps"));
    CHECK_FALSE(fs::exists(dir / "e"));
    CHECK_FALSE(fs::exists(dir / "f"));
}
