// The breakdown by op class (docs/outputs.md, op_classes) of a real run: summary.json's
// op_classes, op_classes.csv and the console line agree, the classes add up to the run, and on
// AccelTran (whose units convert nothing) there is no dequantization.
#include <catch2/catch.hpp>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/csv_table.h"
#include "modules/simulation/op_class_breakdown.h"
#include "modules/simulation/op_table.h"
#include "tests/integration/integration_support.h"

using namespace acceltran;
using namespace acceltran::testing;

namespace {

void check_op_classes(const std::vector<std::string>& detail) {
    ScratchDir dir("op-classes");
    std::vector<std::string> args{"run", "--model", "bert-tiny", "--accel", "acceltran-edge", "--out", dir / "run"};
    args.insert(args.end(), detail.begin(), detail.end());
    const auto r = run_acceltran(args, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    const nlohmann::json s = load_json(dir / "run/summary.json");
    const nlohmann::json& classes = s["op_classes"];
    REQUIRE(classes.size() == std::size_t(kOpClassCount));
    const OpTable ops = OpTable::read_csv(read_text(dir / "run/ops.csv"), dir / "run/ops.csv");

    double shares = 0, cycles = 0, largest = 0;
    std::string largest_class;  // of the classes of computing
    for (int c = 0; c < kOpClassCount; ++c) {
        const nlohmann::json& figures = classes[to_string(OpClass(c))];
        shares += figures["share"].get<double>();
        cycles += figures["cycles"].get<double>();
        CHECK(figures["cycles"].get<double>() >= 0);
        if (OpClass(c) != OpClass::DataMovement && figures["share"].get<double>() > largest) {
            largest = figures["share"].get<double>();
            largest_class = to_string(OpClass(c));
        }
    }
    // Each share is one division (half an ulp) and the sum adds one rounding per class.
    CHECK(std::abs(shares - 1) <= kOpClassCount * DBL_EPSILON);
    // The classes divide the ops' critical cycles, which partition the run: ops.csv's bound
    // (test_op_table.cpp) plus up to three roundings per op in the split (docs/outputs.md).
    const double run = s["cycles"].get<double>();
    const double entries = s["program"]["entries"].get<double>();
    const double rounding = (entries + 5 * double(ops.rows.size())) * DBL_EPSILON * run;
    CHECK(std::abs(cycles - run) <= rounding);
    CHECK(largest_class == "matmul");
    // While no unit holds a job and a transfer is in flight (memory-bound cycles), no tile of
    // the op holding the critical path computes either: that time is all data movement. This
    // run is memory-bound for almost half its cycles (its weights stream in while it computes
    // little), so data movement is near matmul's share here.
    CHECK(classes["data_movement"]["cycles"].get<double>() >= s["stalls"]["memory_bound_cycles"].get<double>() - rounding);
    CHECK(classes["dequantization"]["cycles"].get<double>() == 0);
    CHECK(classes["swiglu"]["cycles"].get<double>() == 0);
    // No class gets more than its ops' critical cycles.
    double matmul_critical = 0;
    for (const OpRow& row : ops.rows)
        if (row.kind == "matmul") matmul_critical += row.critical_cycles;
    CHECK(classes["matmul"]["cycles"].get<double>() <= matmul_critical);

    // op_classes.csv: the same figures, read back to the same doubles, and the seconds at the
    // run's clock.
    const CsvTable csv = CsvTable::parse(read_text(dir / "run/op_classes.csv"), dir / "run/op_classes.csv");
    REQUIRE(csv.header() == std::vector<std::string>{"class", "cycles", "seconds", "share"});
    REQUIRE(csv.rows().size() == std::size_t(kOpClassCount));
    const double hz = s["clock_mhz"].get<double>() * 1e6;
    for (int c = 0; c < kOpClassCount; ++c) {
        const auto& row = csv.rows()[std::size_t(c)];
        INFO(row[0]);
        CHECK(row[0] == to_string(OpClass(c)));
        CHECK(std::stod(row[1]) == classes[row[0]]["cycles"].get<double>());
        CHECK(std::stod(row[2]) == classes[row[0]]["cycles"].get<double>() / hz);
        CHECK(std::stod(row[3]) == classes[row[0]]["share"].get<double>());
    }
    // The console's line names the largest class with its share in percent.
    char matmul[64];
    std::snprintf(matmul, sizeof matmul, "matmul %.1f %%", 100 * classes["matmul"]["share"].get<double>());
    CHECK(r.out.find("time by op class") != std::string::npos);
    CHECK(r.out.find(matmul) != std::string::npos);
}

}  // namespace

TEST_CASE("op_classes of BERT-Tiny on Edge add up to the run, matmul first of the computing classes",
          "[integration][op_classes]") {
    check_op_classes({});
}

TEST_CASE("op_classes add up to the run at the fast detail level too", "[integration][op_classes]") {
    check_op_classes({"--detail", "fast"});
}
