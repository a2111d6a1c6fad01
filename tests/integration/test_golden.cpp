// Golden regression: reruns the runs recorded in tests/golden/*.json with the CLI and compares
// the figures they hold. The simulation is deterministic, so integers (bytes, program counts,
// dense MACs) must match exactly; cycles and effectual MACs are doubles and get a relative 1e-9,
// which only absorbs the printing of doubles. How to update a golden file when a change is
// intended: tests/golden/README.md.
#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using nlohmann::json;

namespace {

const std::string kGoldenDir = std::string(ACCELTRAN_SOURCE_DIR) + "/tests/golden";

// The figures every golden file must hold (so that a truncated file cannot pass vacuously):
// JSON pointers into summary.json, and whether they are compared exactly.
struct Figure {
    const char* pointer;
    bool exact;
};
const Figure kFigures[] = {
    {"/cycles", false},
    {"/bytes/main_memory/read", true},
    {"/bytes/main_memory/write", true},
    {"/bytes/activation_buffer/read", true},
    {"/bytes/activation_buffer/write", true},
    {"/bytes/weight_buffer/read", true},
    {"/bytes/weight_buffer/write", true},
    {"/bytes/mask_buffer/read", true},
    {"/bytes/mask_buffer/write", true},
    {"/program/tile_ops", true},
    {"/program/loads", true},
    {"/program/spills", true},
    {"/program/stores", true},
    {"/macs/total", true},
    {"/macs/effectual", false},
};

std::string show(const json& v) { return v.dump(); }

void check_golden(const std::string& model, const std::string& accel) {
    const std::string golden_path = kGoldenDir + "/" + model + "_" + accel + ".json";
    const json golden = load_json(golden_path);
    REQUIRE(golden["model"] == model);
    REQUIRE(golden["accelerator"] == accel);

    ScratchDir dir("golden-" + accel);
    // Exactly the command the failure message and the README tell a developer to run.
    const auto r = run_acceltran({"run", "--model", model, "--accel", accel, "--out", dir / "run", "--quiet"}, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    const json run = load_json(dir / "run/summary.json");

    std::vector<std::string> diffs;
    if (run["model"]["seq"] != golden["seq"] || run["model"]["batch"] != golden["batch"])
        diffs.push_back("the default run shape changed: seq " + show(run["model"]["seq"]) + ", batch " +
                        show(run["model"]["batch"]) + " (golden: seq " + show(golden["seq"]) + ", batch " +
                        show(golden["batch"]) + ")");
    for (const Figure& f : kFigures) {
        const json::json_pointer p(f.pointer);
        if (!golden.contains(p)) {
            diffs.push_back(std::string(f.pointer) + ": missing from the golden file");
            continue;
        }
        if (!run.contains(p)) {
            diffs.push_back(std::string(f.pointer) + ": missing from summary.json");
            continue;
        }
        const json& want = golden.at(p);
        const json& got = run.at(p);
        bool same;
        if (f.exact) {
            same = want.is_number_integer() && got.is_number_integer() &&
                   want.get<std::uint64_t>() == got.get<std::uint64_t>();
        } else {
            const double w = want.get<double>(), g = got.get<double>();
            same = std::abs(g - w) <= 1e-9 * std::max(std::abs(w), std::abs(g));
        }
        if (!same) {
            std::ostringstream d;
            d.precision(17);
            d << f.pointer << ": golden " << show(want) << ", now " << show(got);
            if (want.is_number() && got.is_number() && want.get<double>() != 0)
                d << " (" << std::showpos << 100.0 * (got.get<double>() / want.get<double>() - 1.0) << " %)";
            diffs.push_back(d.str());
        }
    }
    if (!diffs.empty()) {
        std::ostringstream msg;
        msg << model << " on " << accel << " no longer matches " << golden_path << ":\n";
        for (const auto& d : diffs) msg << "  " << d << "\n";
        msg << "If the change is intended, regenerate with the command\n"
            << "  build/bin/acceltran run --model " << model << " --accel " << accel << " --out DIR\n"
            << "and update the golden file from DIR/summary.json (tests/golden/README.md shows how), giving the\n"
            << "reason for the new values in the commit message. If it is not intended, it is a regression.";
        FAIL(msg.str());
    }
}

}  // namespace

TEST_CASE("golden: BERT-Tiny on AccelTran-Edge matches tests/golden/bert-tiny_acceltran-edge.json",
          "[integration][golden]") {
    check_golden("bert-tiny", "acceltran-edge");
}

TEST_CASE("golden: BERT-Tiny on AccelTran-Server matches tests/golden/bert-tiny_acceltran-server.json",
          "[integration][golden]") {
    check_golden("bert-tiny", "acceltran-server");
}
