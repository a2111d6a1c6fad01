// summary.json's op_kinds: the compute units' busy time by op kind must add up to the busy time
// of the unit classes, at both detail levels, and count every compute op once.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;

namespace {

void check_op_kinds(const std::string& detail) {
    ScratchDir dir("op-kinds-" + detail);
    const auto r = run_into(dir, "run", {"--model", "bert-tiny", "--seq", "32", "--batch", "2", "--detail", detail,
                                         "--quiet"},
                            {});
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    const auto s = load_json(dir / "run/summary.json");
    REQUIRE(s.contains("op_kinds"));
    double kinds_busy = 0, units_busy = 0;
    std::uint64_t ops = 0;
    for (const auto& [kind, v] : s["op_kinds"].items()) {
        INFO(kind);
        CHECK(v["busy_unit_cycles"].get<double>() > 0);
        kinds_busy += v["busy_unit_cycles"].get<double>();
        ops += v["ops"].get<std::uint64_t>();
    }
    for (const char* c : {"mac_lane", "softmax", "layernorm"}) units_busy += s["units"][c]["busy_unit_cycles"].get<double>();
    // The same tile intervals summed in two orders (per kind here, per unit in the modules):
    // equal up to rounding of the doubles, far below one cycle in millions.
    CHECK(std::abs(kinds_busy - units_busy) <= 1e-9 * units_busy);
    // BERT-Tiny, 2 layers: every compute entry of the program is one op of some kind.
    CHECK(ops == s["program"]["entries"].get<std::uint64_t>() - s["program"]["loads"].get<std::uint64_t>() -
                     s["program"]["spills"].get<std::uint64_t>() - s["program"]["stores"].get<std::uint64_t>());
    for (const char* kind : {"matmul", "softmax", "layernorm", "gelu", "add"}) CHECK(s["op_kinds"].contains(kind));
}

}  // namespace

TEST_CASE("op_kinds adds up to the unit classes' busy time at the full detail level", "[integration][summary]") {
    check_op_kinds("full");
}

TEST_CASE("op_kinds adds up to the unit classes' busy time at the fast detail level", "[integration][summary]") {
    check_op_kinds("fast");
}
