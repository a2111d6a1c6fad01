// MappingCheck (docs/mapping.md §7.1) against stand-ins for `acceltran run`: shell scripts that
// write a summary.json with figures chosen by the test, so that the keep-or-drop rule is tested on
// known numbers (the integration test in test_map_then_run.cpp runs the real model).
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>

#include <sys/stat.h>

#include "explore/mapping_check.h"
#include "explore/model_mapper.h"
#include "modules/power/technology.h"
#include "tests/integration/integration_support.h"
#include "tests/unit/shipped_design.h"
#include "workloads/mapping_plan.h"

using namespace acceltran;
using namespace acceltran::explore;
using acceltran::testing::kConfigs;
using acceltran::testing::kModelsDir;
using acceltran::testing::ScratchDir;

namespace {

// A stand-in `acceltran run`: writes --out DIR/summary.json with `cycles_rule` (shell code that
// sets $c from the mapping file $map), energy 1 J and 1 s; `refuse` instead fails as a refused
// input does.
std::string mapcheck_stand_in(const ScratchDir& dir, const std::string& cycles_rule, bool refuse = false) {
    std::string script = "#!/bin/sh\nout=; map=\nwhile [ $# -gt 0 ]; do\n  case \"$1\" in\n"
                         "    --out) out=\"$2\"; shift;;\n    --mapping) map=\"$2\"; shift;;\n  esac\n  shift\ndone\n";
    if (refuse)
        script += "echo 'acceltran run: stand-in refuses this model' >&2\nexit 3\n";
    else
        script += cycles_rule + "\nmkdir -p \"$out\"\n"
                  "printf '{\"cycles\": %s, \"energy_j\": 1.0, \"seconds\": 1.0}\\n' \"$c\" > \"$out/summary.json\"\n";
    const std::string path = dir.write("acceltran-stand-in", script);
    ::chmod(path.c_str(), 0755);
    return path;
}

struct MapcheckSetup {
    AcceleratorConfig edge = load_accelerator("acceltran-edge", kConfigs);
    workloads::CompileOptions options = compile_options(edge);
    workloads::OpGraph graph = workloads::build_op_graph(workloads::load_model("bert-tiny", kModelsDir), 64, 2, options);
    power::Technology technology = power::load_technology(edge.technology, kConfigs);
    OpCostModel cost{edge, technology};
    MapspaceSearch search{cost, Objective::Latency, SearchKind::Random, 500, 3};

    std::size_t changing(const ModelMapper& m) const {
        std::size_t n = 0;
        for (std::size_t s = 0; s < m.shapes().size(); ++s) n += m.shapes()[s].result.found && m.changes(s) ? 1 : 0;
        return n;
    }
};

std::string mapcheck_ops_yaml(const ModelMapper& m) {
    std::ostringstream out;
    m.write_yaml(out, "");
    return out.str().substr(out.str().find("ops:"));
}

std::string mapcheck_derived_yaml(const MapcheckSetup& s) {
    std::ostringstream out;
    workloads::MappingPlan::derive(s.graph, s.options).write_yaml(out, "");
    return out.str().substr(out.str().find("ops:"));
}

}  // namespace

TEST_CASE("MappingCheck keeps a choice only when the run improves on the best so far", "[mapping][check]") {
    ScratchDir dir("mapping-check");
    MapcheckSetup setup;
    ModelMapper mapper(setup.graph, setup.options, setup.cost, setup.search);
    const std::size_t tried = setup.changing(mapper);
    REQUIRE(tried >= 2);  // BERT-Tiny at 64 x 2: several shapes whose best is not the derived mapping
    std::size_t chosen_fusions = 0;
    for (const auto& f : mapper.fusions()) chosen_fusions += f.chosen ? 1 : 0;

    SECTION("the derived mapping at 1000 cycles and every trial at 500: the first is kept, the ties after it are not") {
        const std::string binary = mapcheck_stand_in(dir, "if grep -q '(derived)' \"$map\"; then c=1000; else c=500; fi");
        MappingCheck check(binary, {}, Objective::Latency, dir / "scratch");
        std::ostringstream report;
        REQUIRE(check.run(mapper, report) == 0);
        REQUIRE(check.trials().size() == 1 + tried + chosen_fusions);
        CHECK(check.trials()[0].what == "derived");
        CHECK(check.trials()[0].cycles == 1000);
        CHECK(check.trials()[1].kept);
        for (std::size_t i = 2; i < check.trials().size(); ++i) CHECK_FALSE(check.trials()[i].kept);
        std::size_t used = 0;  // shapes whose choice is in the mapping (the others were never tried)
        for (const auto& s : mapper.shapes()) used += s.used ? 1 : 0;
        CHECK(used == 1);
        const nlohmann::json json = check.json();
        CHECK(json["derived"]["cycles"] == 1000);
        CHECK(json["mapped"]["cycles"] == 500);
        CHECK_THAT(report.str(), Catch::Contains("1 of " + std::to_string(tried + chosen_fusions) + " choices kept"));
        // The scratch files of the trials are gone.
        CHECK(std::filesystem::is_empty(dir / "scratch"));
    }
    SECTION("every run alike: nothing is kept and the mapping written is the derived one") {
        const std::string binary = mapcheck_stand_in(dir, "c=700");
        MappingCheck check(binary, {}, Objective::Latency, dir / "scratch");
        std::ostringstream report;
        REQUIRE(check.run(mapper, report) == 0);
        for (std::size_t i = 1; i < check.trials().size(); ++i) CHECK_FALSE(check.trials()[i].kept);
        CHECK(mapcheck_ops_yaml(mapper) == mapcheck_derived_yaml(setup));
        CHECK(check.json()["mapped"]["cycles"] == 700);
    }
    SECTION("a derived mapping that does not run: the choices are written unchecked, and the report says why") {
        std::ostringstream unchecked;
        mapper.write_yaml(unchecked, "");
        const std::string binary = mapcheck_stand_in(dir, "", true);
        MappingCheck check(binary, {}, Objective::Latency, dir / "scratch");
        std::ostringstream report;
        REQUIRE(check.run(mapper, report) == 0);
        CHECK_THAT(report.str(), Catch::Contains("not checked on the TLM model") &&
                                     Catch::Contains("stand-in refuses this model"));
        std::ostringstream written;
        mapper.write_yaml(written, "");
        CHECK(written.str() == unchecked.str());
        CHECK(check.json()["trials"][0]["error"].get<std::string>().find("stand-in refuses") != std::string::npos);
        CHECK_FALSE(check.json().contains("mapped"));
    }
}

TEST_CASE("ModelMapper with every choice out writes the mapping the compiler derives", "[mapping][check]") {
    MapcheckSetup setup;
    ModelMapper mapper(setup.graph, setup.options, setup.cost, setup.search);
    const std::string chosen = mapcheck_ops_yaml(mapper);
    CHECK(chosen != mapcheck_derived_yaml(setup));
    for (std::size_t s = 0; s < mapper.shapes().size(); ++s) mapper.use_shape(s, false);
    for (std::size_t f = 0; f < mapper.fusions().size(); ++f) mapper.use_fusion(f, false);
    CHECK(mapcheck_ops_yaml(mapper) == mapcheck_derived_yaml(setup));
    // And back: the same choices as before.
    for (std::size_t s = 0; s < mapper.shapes().size(); ++s) mapper.use_shape(s, true);
    for (std::size_t f = 0; f < mapper.fusions().size(); ++f) mapper.use_fusion(f, true);
    CHECK(mapcheck_ops_yaml(mapper) == chosen);
}
