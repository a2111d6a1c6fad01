// Testbench for BurstLog and burst_stall_cycles (core/burst_log.h): plain C++, no SystemC kernel.
// The stall formula is checked against what it stands for at the full detail level: DMA bursts
// reserved on a buffer's BandwidthPort first (the DMA issues a transfer's bursts at its start),
// then a pipeline of tiles, each reading its operand on the same port when the tile before it
// starts, as ProcessingElement::run_tile does.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/bandwidth_port.h"
#include "core/burst_log.h"

using acceltran::BandwidthPort;
using acceltran::BurstLog;
using acceltran::burst_stall_cycles;

TEST_CASE("BurstLog counts the bursts that start inside a window", "[modules][burst_log]") {
    BurstLog log;
    log.add(100, 10, 5);  // bursts at 100, 110, 120, 130, 140
    log.add(125, 0, 1);   // one burst at 125
    CHECK(log.count(0, 100) == 0);
    CHECK(log.count(0, 100.5) == 1);
    CHECK(log.count(100, 130) == 4);   // 100, 110, 120 and 125
    CHECK(log.count(105, 141) == 5);   // 110, 120, 125, 130, 140
    CHECK(log.count(140, 1000) == 1);
    CHECK(log.count(141, 1000) == 0);
    CHECK(log.count(130, 130) == 0);   // an empty window
    log.forget_before(126);            // the first run still ends at 140: kept
    CHECK(log.records() == 2);
    log.forget_before(141);
    CHECK(log.records() == 0);
    CHECK(log.count(0, 1000) == 0);
}

TEST_CASE("burst_stall_cycles: a read's stall averaged over the burst's phase against the tiles",
          "[modules][burst_log]") {
    // X = 64 + 4 + 1 - 16 = 53 >= tile - read = 12: (4·53 + 53·12 - 12²/2) / 16 = 776 / 16.
    CHECK(burst_stall_cycles(64, 4, 1, 16) == Approx(48.5));
    // 0 < X = 15 + 4 + 1 - 16 = 4 < 12: (4·4 + 4²/2) / 16 = 1.5.
    CHECK(burst_stall_cycles(15, 4, 1, 16) == Approx(1.5));
    // X = 8 + 4 + 1 - 16 < 0: a burst inside a tile's slack never stalls.
    CHECK(burst_stall_cycles(8, 4, 1, 16) == 0);
    CHECK(burst_stall_cycles(64, 4, 1, 0) == 0);
}

namespace {

// Tiles of 16 cycles, each reading 256 bytes on a port of 64 bytes per cycle (latency 1) when the
// tile before it starts, as ProcessingElement::run_tile does, behind `bursts` DMA bursts of
// `burst_bytes` reserved first. A stall realigns the tiles to the burst that caused it, so burst
// j starts 300 cycles plus a uniform random part of one tile period after burst j − 1: its phase
// against the tiles is uniform and independent of the phase before. Returns the stall per burst.
double simulated_stall_per_burst(double burst_bytes, int bursts, unsigned seed) {
    const double tile = 16;
    std::mt19937 random(seed);
    std::uniform_real_distribution<double> phase(0, tile);
    BandwidthPort port(64, 1);
    double at = 50;
    for (int j = 0; j < bursts; ++j) {
        if (j > 0) at += 300 + phase(random);
        port.reserve(at, std::uint64_t(burst_bytes), 0);
    }
    const int tiles = int((at + 200) / tile);
    double start = 0;  // the first tile's operands are in
    for (int k = 1; k < tiles; ++k) {
        const double ready = port.reserve(start, 256, start);
        start = std::max(start + tile, ready);
    }
    return (start - (tiles - 1) * tile) / bursts;
}

}  // namespace

TEST_CASE("burst_stall_cycles matches a tile pipeline reading behind DMA bursts on one port",
          "[modules][burst_log]") {
    // 20 runs of 400 bursts each: the formula must lie within 4 standard errors of the runs' mean
    // (the standard error estimated from the 20 run means).
    for (const double burst_bytes : {4096.0, 1280.0, 1000.0, 640.0}) {
        const int runs = 20;
        double sum = 0, sum_sq = 0;
        for (int r = 0; r < runs; ++r) {
            const double m = simulated_stall_per_burst(burst_bytes, 400, 1000u + unsigned(r));
            sum += m;
            sum_sq += m * m;
        }
        const double mean = sum / runs;
        const double error = std::sqrt(std::max(0.0, sum_sq / runs - mean * mean) / (runs - 1));
        const double formula = burst_stall_cycles(burst_bytes / 64, 4, 1, 16);
        INFO("burst " << burst_bytes << " B: simulated " << mean << " +- " << error << ", formula " << formula);
        CHECK(std::abs(mean - formula) <= 4 * error + 1e-9);
        if (burst_bytes == 640.0) CHECK(mean == 0);  // X = 10 + 4 + 1 - 16 < 0
    }
}
