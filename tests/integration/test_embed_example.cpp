// examples/embed built against the installed package, as an embedding program would be, and run:
// it must give the same cycles and energy as `acceltran run` on the same model and design point,
// since both go through Simulation (docs/architecture.md, "Layers").
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <string>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;

TEST_CASE("the embedding example builds against the installed package and matches acceltran run",
          "[unsanitized][integration][install][embed]") {
    ScratchDir dir("embed");
    const std::string prefix = dir / "prefix", build = dir / "build";
    auto r = install_and_build_example("embed", prefix, build);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    REQUIRE(fs::exists(prefix + "/include/acceltran/modules/simulation/simulation.h"));

    r = run_shell("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 " + shell_quote(build + "/embed_bert_tiny") + " 2>&1");
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    double cycles = 0, latency_us = 0, energy_uj = 0;
    REQUIRE(std::sscanf(r.out.c_str(), "bert-tiny on acceltran-edge: %lf cycles, %lf us, %lf uJ per sequence",
                        &cycles, &latency_us, &energy_uj) == 3);

    const auto cli = run_acceltran({"run", "--model", "bert-tiny", "--accel", "acceltran-edge", "--out", dir / "run",
                                    "--quiet"},
                                   dir);
    INFO(describe(cli));
    REQUIRE(cli.exit_code == 0);
    const auto summary = load_json(dir / "run/summary.json");
    // The example prints cycles as a whole number and energy to 1 nJ (%.0f, %.3f uJ): the
    // tolerances are half of those printed units, nothing more.
    CHECK(std::abs(cycles - summary["cycles"].get<double>()) <= 0.5);
    CHECK(std::abs(energy_uj - summary["energy_j_per_seq"].get<double>() * 1e6) <= 0.0005);
    CHECK_THAT(r.out, Catch::Contains("MAC-lane utilization") && Catch::Contains("peak power"));
}
