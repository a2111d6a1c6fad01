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

TEST_CASE("acceltran map then run --mapping: BERT-Base on Edge is no worse in EDP than the default mapping",
          "[integration][mapping][unsanitized]") {
    ScratchDir dir("map-then-run");
    const auto map = run_acceltran({"map", "--model", "bert-base", "--accel", "acceltran-edge", "--objective", "edp",
                                    "--search", "heuristic", "--out", dir / "map"},
                                   dir);
    INFO(describe(map));
    REQUIRE(map.exit_code == 0);
    const auto edp = [&](const std::string& name, const std::vector<std::string>& extra) {
        std::vector<std::string> args = {"run", "--model", "bert-base", "--accel", "acceltran-edge", "--detail",
                                         "fast", "-q", "--out", dir / name};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = run_acceltran(args, dir);
        INFO(describe(r));
        REQUIRE(r.exit_code == 0);
        // The mapper's own file replays without complaint (it once drew a warning per blocked op
        // for its derived double_buffering).
        CHECK(r.err.find("warning") == std::string::npos);
        const auto s = load_json(dir / (name + "/summary.json"));
        return s["cycles"].get<double>() * s["energy_j"].get<double>();
    };
    const double default_edp = edp("default", {});
    const double mapped_edp = edp("mapped", {"--mapping", dir / "map/mapping.yaml"});
    INFO("default EDP " << default_edp << ", mapped EDP " << mapped_edp);
    CHECK(mapped_edp <= default_edp);
}
