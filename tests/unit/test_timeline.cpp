// The activity timeline (modules/trace/timeline.*): intervals spread over sample periods in
// proportion to their overlap, adaptive widening that keeps sums, occupancy peaks per period.
// Every expected figure is worked out by hand in the comments.
#include <catch2/catch.hpp>

#include "core/errors.h"
#include "modules/trace/timeline.h"

using namespace acceltran;
using namespace acceltran::trace;
using namespace acceltran::activity;
using workloads::BufferKind;
using workloads::UnitClass;

namespace {
TileEvent lane_tile(double start, double end) {
    TileEvent t;
    t.unit_class = UnitClass::MacLane;
    t.start = start;
    t.end = end;
    t.pre_sparsity_tiles = 1;
    t.post_sparsity_tiles = 1;
    return t;
}
}  // namespace

TEST_CASE("Timeline: a fixed period spreads a tile's busy cycles over the periods it overlaps", "[trace][timeline]") {
    Timeline t(10);
    t.on_tile(lane_tile(5, 25));  // 5 cycles in [0,10), 10 in [10,20), 5 in [20,30)
    const auto s = t.samples(30);
    REQUIRE(s.size() == 3);
    CHECK(s[0].activity.lane_busy_unit_cycles == Approx(5));
    CHECK(s[1].activity.lane_busy_unit_cycles == Approx(10));
    CHECK(s[2].activity.lane_busy_unit_cycles == Approx(5));
    // The pre-sparsity tile counts where the tile starts, the post-sparsity one where it ends.
    CHECK(s[0].activity.pre_sparsity_tiles == 1);
    CHECK(s[2].activity.post_sparsity_tiles == 1);
    CHECK(s[1].activity.pre_sparsity_tiles + s[1].activity.post_sparsity_tiles == 0);
    for (const auto& x : s) CHECK(x.activity.cycles == 10);
}

TEST_CASE("Timeline: port bytes follow the busy cycles, and the last period ends with the run", "[trace][timeline]") {
    Timeline t(8);
    // 64 bytes over [6, 10): 2 cycles (32 bytes) in the first period, 2 in the second.
    t.on_port_busy(Port::WeightBuffer, 6, 10, 64);
    t.on_port_busy(Port::MainMemory, 0, 4, 100);
    t.on_dma_transfer(0, 0, 2, 12);
    const auto s = t.samples(12);  // periods [0,8) and [8,12)
    REQUIRE(s.size() == 2);
    CHECK(s[1].cycles == 4);
    CHECK(s[1].activity.cycles == 4);
    CHECK(s[0].activity.buffer_bytes[int(BufferKind::Weight)] == Approx(32));
    CHECK(s[1].activity.buffer_bytes[int(BufferKind::Weight)] == Approx(32));
    CHECK(s[0].activity.buffer_busy_cycles[int(BufferKind::Weight)] == Approx(2));
    CHECK(s[0].activity.memory_bytes == Approx(100));
    CHECK(s[0].memory_busy_cycles == Approx(4));
    CHECK(s[0].dma_busy_channel_cycles == Approx(6));
    CHECK(s[1].dma_busy_channel_cycles == Approx(4));
}

TEST_CASE("Timeline: activity reported past the end of the run stays in the last period", "[trace][timeline]") {
    Timeline t(10);
    t.on_tile(lane_tile(15, 35));
    const auto s = t.samples(20);  // two periods; 15 of the 20 busy cycles lie past cycle 20
    REQUIRE(s.size() == 2);
    CHECK(s[1].activity.lane_busy_unit_cycles == Approx(20));
}

TEST_CASE("Timeline: the adaptive period doubles to stay within kMaxSamples and keeps every sum", "[trace][timeline]") {
    Timeline t;  // adaptive, starts at one cycle
    double busy = 0;
    // One-cycle tiles every 3 cycles up to cycle 30000: 10000 busy cycles.
    for (int i = 0; i < 10000; ++i) {
        t.on_tile(lane_tile(3.0 * i, 3.0 * i + 1));
        busy += 1;
    }
    // 30000 cycles in at most 4096 periods: the period doubles from 1 to 8 (30000/4 = 7500 > 4096,
    // 30000/8 = 3750 <= 4096).
    CHECK(t.sample_cycles() == 8);
    const auto s = t.samples(30000);
    CHECK(s.size() == 3750);
    CHECK(s.size() <= Timeline::kMaxSamples);
    CHECK(s.size() > Timeline::kMaxSamples / 2);
    double sum = 0;
    std::uint64_t pre = 0;
    for (const auto& x : s) {
        sum += x.activity.lane_busy_unit_cycles;
        pre += x.activity.pre_sparsity_tiles;
    }
    CHECK(sum == Approx(busy).epsilon(1e-12));
    CHECK(pre == 10000);
    // A period of 8 cycles holds the tiles starting at 8k, 8k+3 and 8k+6 (when k is a multiple of 3
    // the pattern shifts): never more than 3 busy cycles.
    for (const auto& x : s) CHECK(x.activity.lane_busy_unit_cycles <= 3 + 1e-9);
}

TEST_CASE("Timeline: occupancy is the highest level reached in each period, carried across quiet ones",
          "[trace][timeline]") {
    Timeline t(10);
    t.on_occupancy(BufferKind::Activation, 2, 100);
    t.on_occupancy(BufferKind::Activation, 4, 300);
    t.on_occupancy(BufferKind::Activation, 6, 50);
    t.on_occupancy(BufferKind::Activation, 25, 0);
    const auto s = t.samples(40);
    REQUIRE(s.size() == 4);
    CHECK(s[0].peak_occupancy[0] == 300);  // rose to 300 then fell to 50 within [0,10)
    CHECK(s[1].peak_occupancy[0] == 50);   // nothing happened: the level carried in
    CHECK(s[2].peak_occupancy[0] == 50);   // 50 until cycle 25, then 0
    CHECK(s[3].peak_occupancy[0] == 0);
    CHECK(s[0].peak_occupancy[1] == 0);
}

TEST_CASE("Timeline: a fixed period stops at kMaxFixedSamples rows instead of growing without bound",
          "[trace][timeline]") {
    // One-cycle periods. A run that ends past the last allowed row is refused by samples() (a
    // SimulationError naming the limit and the smallest period that fits), before the rows are
    // allocated; activity past it is dropped while the run goes (never thrown from the SystemC
    // threads that report it), and the run is refused all the same.
    const double limit = double(Timeline::kMaxFixedSamples);
    Timeline t(1);
    t.on_port_busy(Port::MainMemory, 0, 4096, 64);
    CHECK(t.samples(4096).size() == 4096);
    CHECK_THROWS_WITH(t.samples(2 * limit + 1), Catch::Contains("gives 2097153 rows") &&
                                                   Catch::Contains("above the limit of 1048576") &&
                                                   Catch::Contains("give --sample-cycles 3 or more"));
    Timeline past(1);
    // 1e9 cycles of activity: ends in the last row instead of a billion rows.
    CHECK_NOTHROW(past.on_port_busy(Port::MainMemory, 0, 1e9, 64));
    CHECK_THROWS_AS(past.samples(4096), SimulationError);
    // The adaptive timeline widens its period instead: no limit on the run's length.
    Timeline adaptive;
    CHECK_NOTHROW(adaptive.on_port_busy(Port::MainMemory, 0, 10 * limit, 64));
}
