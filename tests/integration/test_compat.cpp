// The compatibility options (docs/validation.md §7.5), each on BERT-Nano on AccelTran-Edge: it
// changes what it says and nothing else, and no default result depends on it (the golden runs
// check the defaults; test_golden.cpp). The original simulator's own figures for this model and
// configuration, for the ladder: 15,046 cycles and 262,639.1 nJ per batch of 4, from
// scripts/original/run-original on its bert_nano.json and config_tiny.yaml, commit ea7ba16
// (docs/validation.md §7.2).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Matchers::Contains;

namespace {

const std::string kNano = std::string(ACCELTRAN_SOURCE_DIR) + "/scripts/original/models/bert-nano.json";
const std::vector<std::string> kBase = {"--model", kNano, "--accel", "acceltran-edge", "--force", "-q"};

}  // namespace

TEST_CASE("compat bandwidth_units moves data at the original's rate and masks beside it", "[integration][compat]") {
    ScratchDir dir("compat");
    const auto plain = run_into(dir, "plain", kBase, {});
    const auto units = run_into(dir, "units", kBase, {"--compat", "bandwidth_units"});
    INFO(describe(plain) << describe(units));
    REQUIRE(plain.exit_code == 0);
    REQUIRE(units.exit_code == 0);
    const auto p = load_json(dir / "plain/summary.json");
    const auto u = load_json(dir / "units/summary.json");
    CHECK_FALSE(p["accelerator"].contains("compat"));
    CHECK(u["accelerator"]["compat"] == std::vector<std::string>{"bandwidth_units"});

    // The same traffic and work; only main-memory time changes.
    CHECK(u["bytes"] == p["bytes"]);
    CHECK(u["units"] == p["units"]);
    CHECK(u["energy_breakdown_j"]["main_memory"] == p["energy_breakdown_j"]["main_memory"]);
    CHECK(u["cycles"].get<double>() < p["cycles"].get<double>());

    // BERT-Nano moves 39,424 bytes in (weights 8,192 and embedding rows 20,480 elements: 35,840 data
    // bytes at density 0.5 and 20 bits, 3,584 mask bytes) and 22,528 out (16,384 elements: 20,480
    // data, 2,048 mask). By default the port carries all of it at 25.6e9/700e6 bytes per cycle;
    // with the option, the data at 2.684x that and the masks on a port of their own.
    const double nominal = 25.6e9 / 700e6;
    const double factor = double(1 << 30) / 1e9 * 20 / 8;
    REQUIRE(p["bytes"]["main_memory"]["read"] == 39424);
    REQUIRE(p["bytes"]["main_memory"]["write"] == 22528);
    const auto busy = [](const nlohmann::json& s) {
        return s["utilization"]["main_memory"].get<double>() * s["cycles"].get<double>();
    };
    CHECK(busy(p) == Approx((39424.0 + 22528.0) / nominal).epsilon(1e-6));
    CHECK(busy(u) == Approx((35840.0 + 20480.0) / (nominal * factor)).epsilon(1e-6));
}

TEST_CASE("acceltran run --compat refuses an unknown option and names the known ones", "[integration][compat]") {
    ScratchDir dir("compat-bad");
    const auto r = run_into(dir, "bad", kBase, {"--compat", "embedding"});
    INFO(describe(r));
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Contains("--compat: unknown option 'embedding'"));
    CHECK_THAT(r.err, Contains("acceltran-py"));
}
