// Energy against hand calculation, one module class at a time, on AccelTran-Edge with the 14 nm
// table (figures from the original simulator's constants.yaml, typed here independently of the YAML).
// Edge: 700 MHz, GELU lanes with 16 MACs, 1x16x16 tiles, 4/8/1 MiB buffers, LP-DDR3 32x2x1.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/accelerator_config.h"
#include "modules/power/energy_model.h"
#include "modules/power/technology.h"
#include "tests/source_tree.h"

using namespace acceltran;
using namespace acceltran::power;
using acceltran::testing::kConfigs;

namespace {

constexpr double kHz = 700e6;
// Relative tolerance: the only error is double rounding of a handful of operations.
constexpr double kEps = 1e-12;

struct Fixture {
    AcceleratorConfig config = load_accelerator("acceltran-edge", kConfigs);
    Technology tech = load_technology("14nm", kConfigs);
};

}  // namespace

TEST_CASE("energy: one matmul tile on a MAC lane, its FIFO and sparsity units", "[energy]") {
    Fixture f;
    RunActivity a;
    a.cycles = 1000;
    a.lane_busy_unit_cycles = 64;  // ceil(4096 MACs x 0.5 x 0.5 / 16)
    a.pre_sparsity_tiles = 1;
    a.post_sparsity_tiles = 1;
    const EnergyBreakdown e = energy(f.config, f.tech, a);
    // Lane 16 MACs GELU: 5.1955 mW dynamic, 0.3189685 mW leakage, both for the 64 busy cycles
    // (power-gated when idle).
    CHECK(e.mac_lanes.dynamic == Approx(5.1955e-3 * 64 / kHz).epsilon(kEps));
    CHECK(e.mac_lanes.leakage == Approx(0.3189685e-3 * 64 / kHz).epsilon(kEps));
    // FIFO 0.0563909 / 0.0140774 mW while its lane works.
    CHECK(e.fifo.total() == Approx((0.0563909e-3 + 0.0140774e-3) * 64 / kHz).epsilon(kEps));
    // Pre-sparsity 0.2852968 + 0.1507329 mW and post-sparsity 0.2613971 + 0.0324301 mW, one cycle each.
    CHECK(e.sparsity.total() ==
          Approx((0.2852968e-3 + 0.1507329e-3 + 0.2613971e-3 + 0.0324301e-3) / kHz).epsilon(kEps));
}

TEST_CASE("energy: one softmax tile and one layer-norm tile", "[energy]") {
    Fixture f;
    RunActivity a;
    a.cycles = 1000;
    a.softmax_busy_unit_cycles = 128;   // ceil(16 x 16 x 0.5)
    a.layernorm_busy_unit_cycles = 16;  // ceil(1 x (16 + 16) x 0.5)
    const EnergyBreakdown e = energy(f.config, f.tech, a);
    // Softmax tile 16: 34.6343 / 2.6696 mW; layer-norm tile 16: 43.8378 / 2.5753 mW.
    CHECK(e.softmax.total() == Approx((34.6343e-3 + 2.6696e-3) * 128 / kHz).epsilon(kEps));
    CHECK(e.layernorm.total() == Approx((43.8378e-3 + 2.5753e-3) * 16 / kHz).epsilon(kEps));
    CHECK(e.mac_lanes.total() == 0);  // idle lanes are gated: nothing
}

TEST_CASE("energy: one buffer load from main memory", "[energy]") {
    Fixture f;
    RunActivity a;
    a.cycles = 1000;
    // A 640-byte tensor and its 64-byte mask: read from main memory, written to the buffers.
    a.memory_bytes = 640 + 64;
    a.buffer_bytes[0] = 640;
    a.buffer_bytes[2] = 64;
    a.buffer_busy_cycles[0] = 640.0 / 4096;  // 64 banks x 64 bytes per cycle
    a.buffer_busy_cycles[2] = 64.0 / 1024;   // 16 banks x 64 bytes
    const EnergyBreakdown e = energy(f.config, f.tech, a);
    // LP-DDR3 32x2x1: 13.43777522 nJ per 64-byte block; 704 bytes = 11 blocks.
    CHECK(e.main_memory.total() == Approx(11 * 13.43777522e-9).epsilon(kEps));
    // Activation buffer (4 MiB): 0.079275099 nJ x sqrt(4) per block, 10 blocks; leakage
    // 247.918667 mW/MiB x 4 MiB while the port works.
    CHECK(e.buffers[0].dynamic == Approx(10 * 0.079275099e-9 * 2).epsilon(kEps));
    CHECK(e.buffers[0].leakage == Approx(247.918667e-3 * 4 * (640.0 / 4096) / kHz).epsilon(kEps));
    // Mask buffer (1 MiB): 0.08200675 nJ per block, one block; 238.196 mW/MiB.
    CHECK(e.buffers[2].dynamic == Approx(0.08200675e-9).epsilon(kEps));
    CHECK(e.buffers[2].leakage == Approx(238.196e-3 * 1 * (64.0 / 1024) / kHz).epsilon(kEps));
    CHECK(e.buffers[1].total() == 0);
}

TEST_CASE("energy: control modules are always on and gating off charges idle leakage", "[energy]") {
    Fixture f;
    RunActivity a;
    a.cycles = 1000;
    const EnergyBreakdown gated = energy(f.config, f.tech, a);
    // 64 PEs, each with a dataflow controller (11.3711 + 2.7312 mW) and a DMA interface
    // (0.0335287 + 0.0063819 mW), on for all 1000 cycles.
    CHECK(gated.dataflow.total() == Approx(64 * (11.3711e-3 + 2.7312e-3) * 1000 / kHz).epsilon(kEps));
    CHECK(gated.dma.total() == Approx(64 * (0.0335287e-3 + 0.0063819e-3) * 1000 / kHz).epsilon(kEps));
    CHECK(gated.mac_lanes.total() == 0);

    f.config.power_gating = false;
    const EnergyBreakdown ungated = energy(f.config, f.tech, a);
    // 1024 idle lanes leak 0.3189685 mW each for 1000 cycles; the 8 MiB weight buffer leaks
    // 210.40467 mW/MiB for the whole run.
    CHECK(ungated.mac_lanes.leakage == Approx(1024 * 0.3189685e-3 * 1000 / kHz).epsilon(kEps));
    CHECK(ungated.mac_lanes.dynamic == 0);
    CHECK(ungated.buffers[1].leakage == Approx(210.40467e-3 * 8 * 1000 / kHz).epsilon(kEps));
    CHECK(ungated.total() > gated.total());
}

TEST_CASE("energy: a buffer or memory model's own energy adds to the per-byte energy of its part", "[energy]") {
    // docs/plugins.md, "Energy": the two add up; nothing else changes.
    Fixture f;
    RunActivity a;
    a.cycles = 1000;
    a.buffer_bytes[0] = 640;
    a.memory_bytes = 640;
    const EnergyBreakdown base = energy(f.config, f.tech, a);
    a.buffer_model_energy_j[0] = 3e-9;
    a.memory_model_energy_j = 5e-9;
    const EnergyBreakdown with = energy(f.config, f.tech, a);
    CHECK(with.buffers[0].dynamic == Approx(base.buffers[0].dynamic + 3e-9).epsilon(kEps));
    CHECK(with.main_memory.dynamic == Approx(base.main_memory.dynamic + 5e-9).epsilon(kEps));
    CHECK(with.buffers[1].total() == base.buffers[1].total());
    CHECK(with.total() == Approx(base.total() + 8e-9).epsilon(kEps));
}

TEST_CASE("energy: main memory's per-byte energy falls on the bytes that reached the device", "[energy]") {
    // An L2 in front of DRAM (model-reference.md §8b) serves part of the traffic: the technology
    // table's main-memory energy is charged on memory_bytes x memory_device_share only.
    Fixture f;
    RunActivity a;
    a.cycles = 1000;
    a.memory_bytes = 6400;
    const EnergyBreakdown all = energy(f.config, f.tech, a);
    a.memory_device_share = 0.25;
    const EnergyBreakdown quarter = energy(f.config, f.tech, a);
    CHECK(all.main_memory.dynamic > 0);
    CHECK(quarter.main_memory.dynamic == Approx(all.main_memory.dynamic / 4).epsilon(kEps));
    CHECK(quarter.mac_lanes.total() == all.mac_lanes.total());
}
