// The breakdown by op class (modules/simulation/op_class_breakdown.*) from OpAccounting's
// critical-path split, on a hand-built program fed a fabricated event stream, and the interval
// union it measures computing time with (interval_union.*). Expected figures worked out by hand
// in the comments.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "core/csv_table.h"
#include "modules/simulation/interval_union.h"
#include "modules/simulation/op_accounting.h"
#include "modules/simulation/op_class_breakdown.h"

using namespace acceltran;
using workloads::EntryKind;
using workloads::OpKind;
using workloads::UnitClass;

namespace {

// input -> op 0 (matmul) -> t1 -> op 1 (gelu) -> t2, as entries: load t0, compute op 0,
// compute op 1, store t2.
struct TwoOpProgram {
    workloads::OpGraph graph;
    workloads::TiledProgram program;

    TwoOpProgram() {
        graph.tensors.resize(3);
        graph.producer = {-1, 0, 1};
        graph.ops.resize(2);
        graph.ops[0].id = 0;
        graph.ops[0].kind = OpKind::MatMul;
        graph.ops[0].a_inputs = {0};
        graph.ops[0].output = 1;
        graph.ops[1].id = 1;
        graph.ops[1].kind = OpKind::Gelu;
        graph.ops[1].a_inputs = {1};
        graph.ops[1].output = 2;
        program.graph = &graph;
        program.entries.resize(4);
        program.entries[0].kind = EntryKind::Load;
        program.entries[0].tensor = 0;
        program.entries[1].op = 0;
        program.entries[2].op = 1;
        program.entries[2].unit = UnitClass::Softmax;
        program.entries[3].kind = EntryKind::Store;
        program.entries[3].tensor = 2;
    }
};

activity::TileEvent tile(std::uint32_t entry, int unit, double start, double end, double conversion) {
    activity::TileEvent t;
    t.unit_class = entry == 1 ? UnitClass::MacLane : UnitClass::Softmax;
    t.unit = unit;
    t.entry = entry;
    t.start = start;
    t.end = end;
    t.conversion_cycles = conversion;
    return t;
}

}  // namespace

TEST_CASE("OpClassBreakdown: critical cycles split into the op's class, dequantization and data movement",
          "[simulation][op_classes]") {
    TwoOpProgram p;
    OpAccounting accounting(p.program);
    // Tiles arrive out of time order, as reservations ahead of time do.
    // gelu: busy 20 + 20 = 40 cycles, 5 + 15 = 20 of them converting: conversion share 0.5.
    accounting.on_tile(tile(2, 0, 60, 80, 15));
    // matmul on two lanes: busy in [10,20) and [25,40) (the second lane's tile lies inside).
    accounting.on_tile(tile(1, 1, 30, 35, 0));
    accounting.on_tile(tile(1, 0, 25, 40, 0));
    accounting.on_tile(tile(1, 0, 10, 20, 0));
    accounting.on_tile(tile(2, 1, 40, 60, 5));
    accounting.on_retire(0, 10, 1, 4);  // the load: [0,10) charged to the matmul, nothing computing
    accounting.on_retire(1, 40, 2, 4);  // [10,40) to the matmul: 25 computing, 5 waiting in [20,25)
    accounting.on_retire(2, 80, 3, 4);  // [40,80) to the gelu: 40 computing, half of it converting
    accounting.on_retire(3, 100, 4, 4); // the store: [80,100) to the gelu (its producer), nothing computing

    const auto split = accounting.critical_split();
    REQUIRE(split.size() == 2);
    CHECK(split[0].critical == 40);
    CHECK(split[0].computing == 25);
    CHECK(split[0].conversion_share == 0);
    CHECK(split[1].critical == 60);
    CHECK(split[1].computing == 40);
    CHECK(split[1].conversion_share == 0.5);

    const OpClassBreakdown classes(p.graph, split, 1000);  // 1 GHz: a cycle is a nanosecond
    CHECK(classes.cycles(OpClass::MatMul) == 25);
    CHECK(classes.cycles(OpClass::Gelu) == 20);
    CHECK(classes.cycles(OpClass::Dequantization) == 20);
    CHECK(classes.cycles(OpClass::DataMovement) == 10 + 5 + 20);
    CHECK(classes.cycles(OpClass::Softmax) == 0);
    CHECK(classes.total_cycles() == 100);
    CHECK(classes.share(OpClass::DataMovement) == 0.35);

    const nlohmann::json j = classes.to_json();
    CHECK(j.size() == std::size_t(kOpClassCount));
    CHECK(j["gelu"]["cycles"] == 20.0);
    CHECK(j["matmul"]["share"] == 0.25);
    // op_classes.csv: every class in OpClass order; 17 digits read back to the same doubles.
    std::ostringstream text;
    classes.write_csv(text);
    const CsvTable csv = CsvTable::parse(text.str(), "op_classes.csv");
    REQUIRE(csv.header() == std::vector<std::string>{"class", "cycles", "seconds", "share"});
    REQUIRE(csv.rows().size() == std::size_t(kOpClassCount));
    CHECK(csv.rows()[0] == std::vector<std::string>{"matmul", "25", "2.4999999999999999e-08", "0.25"});
    for (int c = 0; c < kOpClassCount; ++c) {
        const auto& row = csv.rows()[std::size_t(c)];
        CHECK(row[0] == to_string(OpClass(c)));
        CHECK(std::stod(row[1]) == classes.cycles(OpClass(c)));
        CHECK(std::stod(row[2]) == classes.cycles(OpClass(c)) / 1e9);
        CHECK(std::stod(row[3]) == classes.share(OpClass(c)));
    }
}

TEST_CASE("OpClassBreakdown: op kinds map to the survey's classes, RMSNorm with LayerNorm",
          "[simulation][op_classes]") {
    CHECK(OpClassBreakdown::class_of(OpKind::MatMul) == OpClass::MatMul);
    CHECK(OpClassBreakdown::class_of(OpKind::Gelu) == OpClass::Gelu);
    CHECK(OpClassBreakdown::class_of(OpKind::Softmax) == OpClass::Softmax);
    CHECK(OpClassBreakdown::class_of(OpKind::LayerNorm) == OpClass::LayerNorm);
    CHECK(OpClassBreakdown::class_of(OpKind::RmsNorm) == OpClass::LayerNorm);
    CHECK(OpClassBreakdown::class_of(OpKind::Add) == OpClass::ResidualAdd);
    CHECK(OpClassBreakdown::class_of(OpKind::SwiGlu) == OpClass::SwiGlu);
    CHECK(OpClassBreakdown::class_of(OpKind::Rotary) == OpClass::Rotary);
}

TEST_CASE("IntervalUnion: intervals added in any order cover the spans once, through its merges",
          "[simulation][op_classes]") {
    IntervalUnion u;
    // 200 intervals [i, i + 3) for even i in [0, 400), backwards: their union is [0, 401), and
    // enough of them to merge several times on the way.
    for (int i = 398; i >= 0; i -= 2) u.add(i, i + 3);
    u.add(500, 500);  // empty: ignored
    u.add(450, 460);
    // [100,200) inside, [395,455) covers 6 + 5, [470,480) none: 100 + 11.
    CHECK(u.covered({{100, 200}, {395, 455}, {470, 480}}) == 111);
    CHECK(u.covered({}) == 0);
}
