#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/accelerator_config.h"
#include "core/config_node.h"
#include "core/errors.h"
#include "tests/integration/integration_support.h"
#include "tests/source_tree.h"
#include "tests/unit/minimal_accelerator.h"

namespace fs = std::filesystem;
using namespace acceltran;
using acceltran::testing::ScratchDir;
using acceltran::testing::kConfigs;
using acceltran::testing::kSourceDir;
using acceltran::testing::kMinimalAccelerator;

namespace {

// Loads `text` as an accelerator file and returns the InputError message ("" if none).
std::string accelerator_input_error(const std::string& text) {
    ScratchDir dir;
    std::string file = dir.write("bad.yaml", text);
    try {
        load_accelerator(file, kConfigs);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("AccelTran-Edge loads with the values of config_tiny.yaml", "[config]") {
    AcceleratorConfig c = load_accelerator("acceltran-edge", kConfigs);
    CHECK(c.name == "acceltran-edge");
    CHECK(c.source == kConfigs + "/accelerators/acceltran-edge.yaml");
    CHECK(c.clock_mhz == 700);
    CHECK(c.technology == "14nm");
    CHECK(c.pes == 64);
    CHECK(c.lanes_per_pe == 16);
    CHECK(c.macs_per_lane == 16);
    CHECK(c.softmax_per_pe == 4);
    CHECK(c.layernorm_per_pe == 1);
    CHECK(c.nonlinearity == "gelu");
    CHECK((c.tile_b == 1 && c.tile_x == 16 && c.tile_y == 16));
    CHECK(c.loop_order.str() == "b_i_j_k");
    CHECK(c.element_bits() == 20);
    CHECK(c.activation_sparsity == 0.5);
    CHECK(c.weight_sparsity == 0.5);

    CHECK(c.activation_buffer.name == "activation");
    CHECK(c.activation_buffer.size_mb == 4);
    CHECK(c.weight_buffer.size_mb == 8);
    CHECK(c.mask_buffer.size_mb == 1);
    CHECK(c.activation_buffer.capacity_bytes() == 4u << 20);
    // One 64-byte bank per 64 KiB of capacity.
    CHECK(c.activation_buffer.banks == 64);
    CHECK(c.weight_buffer.banks == 128);
    CHECK(c.mask_buffer.banks == 16);
    CHECK(c.weight_buffer.bytes_per_cycle() == 128 * 64);

    CHECK(c.main_memory.model == "fixed_bandwidth");
    CHECK(c.main_memory.type == "lpddr3");
    CHECK(c.main_memory.bandwidth_gbps == 25.6);
    CHECK(c.main_memory.latency_ns == 50);
    CHECK((c.main_memory.banks == 32 && c.main_memory.ranks == 2 && c.main_memory.channels == 1));
    CHECK(c.dma.channels == 2);
    CHECK(c.dma.burst_bytes == 4096);

    CHECK(c.mac_lanes() == 1024);
    CHECK(c.mac_lanes() * c.macs_per_lane == 16384);
    CHECK(c.softmax_units() == 256);
    CHECK(c.layernorm_units() == 64);
    // 25.6e9 B/s / 700e6 cycles/s = 256/7 B/cycle.
    CHECK(c.memory_bytes_per_cycle() == Approx(256.0 / 7.0));
    CHECK(c.memory_bytes_per_cycle() == Approx(36.571).epsilon(1e-4));
    CHECK(c.resolved["pe"]["count"].as<int>() == 64);
}

TEST_CASE("AccelTran-Server loads with the values of config_base.yaml", "[config]") {
    AcceleratorConfig c = load_accelerator("acceltran-server", kConfigs);
    CHECK(c.name == "acceltran-server");
    CHECK(c.pes == 512);
    CHECK(c.lanes_per_pe == 32);
    CHECK(c.macs_per_lane == 16);
    CHECK(c.softmax_per_pe == 32);
    CHECK(c.layernorm_per_pe == 1);
    CHECK((c.tile_b == 1 && c.tile_x == 16 && c.tile_y == 16));
    CHECK(c.loop_order.str() == "b_i_j_k");
    CHECK(c.activation_buffer.size_mb == 32);
    CHECK(c.weight_buffer.size_mb == 64);
    CHECK(c.mask_buffer.size_mb == 8);
    CHECK(c.activation_buffer.banks == 512);
    CHECK(c.weight_buffer.banks == 1024);
    CHECK(c.mask_buffer.banks == 128);
    CHECK(c.main_memory.type == "rram");
    CHECK(c.main_memory.bandwidth_gbps == 256);
    CHECK(c.main_memory.latency_ns == 30);
    CHECK((c.main_memory.banks == 32 && c.main_memory.ranks == 2 && c.main_memory.channels == 1));
    CHECK(c.dma.channels == 8);

    CHECK(c.mac_lanes() == 16384);
    CHECK(c.mac_lanes() * c.macs_per_lane == 262144);
    CHECK(c.softmax_units() == 16384);
    // 256e9 B/s / 700e6 cycles/s = 2560/7 B/cycle.
    CHECK(c.memory_bytes_per_cycle() == Approx(2560.0 / 7.0));
}

TEST_CASE("shipped accelerators are listed sorted", "[config]") {
    CHECK(shipped_accelerators(kConfigs) ==
          std::vector<std::string>{"acceltran-edge", "acceltran-server", "gemmini-baseline", "gemmini-rebalanced",
                                   "gemmini-transformer", "survey-analytic"});
    CHECK(shipped_accelerators("/nonexistent").empty());
}

TEST_CASE("overrides change values before validation", "[config]") {
    AcceleratorConfig c =
        load_accelerator("acceltran-edge", kConfigs, {"pe.count=128", "buffers.weight.size_mb=16"});
    CHECK(c.pes == 128);
    CHECK(c.weight_buffer.size_mb == 16);
    CHECK(c.mac_lanes() == 2048);
    CHECK(c.resolved["pe"]["count"].as<int>() == 128);
    CHECK(c.resolved["buffers"]["weight"]["size_mb"].as<double>() == 16);

    SECTION("a mapping value replaces a whole section") {
        AcceleratorConfig m = load_accelerator("acceltran-edge", kConfigs,
                                               {"buffers.mask={size_mb: 2, banks: 32}"});
        CHECK(m.mask_buffer.size_mb == 2);
        CHECK(m.mask_buffer.banks == 32);
        CHECK(m.mask_buffer.bank_width_bytes == 64);
    }
    SECTION("a bad path is a usage error with a suggestion") {
        try {
            load_accelerator("acceltran-edge", kConfigs, {"pe.cuont=128"});
            FAIL("no error");
        } catch (const UsageError& e) {
            CHECK_THAT(e.what(), Catch::Contains("no key 'pe.cuont'") &&
                                     Catch::Contains("did you mean 'count'?"));
        }
    }
    SECTION("a bad value names the file but no position inside it") {
        try {
            load_accelerator("acceltran-edge", kConfigs, {"pe.count=0"});
            FAIL("no error");
        } catch (const InputError& e) {
            CHECK(std::string(e.what()) ==
                  kConfigs + "/accelerators/acceltran-edge.yaml: pe.count: expected an integer "
                             "from 1 to 1048576, found '0'");
        }
    }
}

TEST_CASE("a minimal file takes the defaults", "[config]") {
    AcceleratorConfig c = parse_accelerator(YAML::Load(kMinimalAccelerator), "mem.yaml");
    AcceleratorConfig d;
    CHECK(c.source == "mem.yaml");
    CHECK(c.pes == d.pes);
    CHECK(c.clock_mhz == d.clock_mhz);
    CHECK(c.loop_order == d.loop_order);
    CHECK(c.main_memory.bandwidth_gbps == d.main_memory.bandwidth_gbps);
    CHECK(c.mask_buffer.banks == 64);
    CHECK(c.resolved.IsMap());
    CHECK_FALSE(c.resolved["pe"].IsDefined());
}

TEST_CASE("bad accelerator files are rejected with located messages", "[config]") {
    SECTION("unknown key, with suggestion and file:line:col") {
        ScratchDir dir;
        std::string file = dir.write("typo.yaml", kMinimalAccelerator + "pe:\n  cuont: 64\n");
        try {
            load_accelerator(file, kConfigs);
            FAIL("no error");
        } catch (const InputError& e) {
            CHECK_THAT(e.what(), Catch::StartsWith(file + ":7:3: pe: unknown key 'cuont' "
                                                          "(did you mean 'count'?)"));
            CHECK_THAT(e.what(), Catch::Contains("allowed keys: count, lanes_per_pe"));
        }
    }
    SECTION("unknown top-level key") {
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "clock_mzh: 700\n"),
                   Catch::Contains(":6:1: top level: unknown key 'clock_mzh' "
                                   "(did you mean 'clock_mhz'?)"));
    }
    SECTION("wrong type") {
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "pe:\n  count: many\n"),
                   Catch::Contains(":7:10: pe.count: expected an integer, found 'many'"));
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "pe: 64\n"),
                   Catch::Contains("pe: expected a mapping, found '64'"));
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "clock_mhz: [700]\n"),
                   Catch::Contains("clock_mhz: expected a number, found a list"));
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "pe: {lanes_per_pe: 16.5}\n"),
                   Catch::Contains("pe.lanes_per_pe: expected an integer, found '16.5'"));
    }
    SECTION("zero PEs") {
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "pe: {count: 0}\n"),
                   Catch::Contains("pe.count: expected an integer from 1 to 1048576, found '0'"));
    }
    SECTION("sparsity of 1.0") {
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "sparsity: {activation: 1.0}\n"),
                   Catch::Contains("sparsity.activation: expected a fraction in [0, 1), "
                                   "found '1.0'"));
    }
    SECTION("loop order that is not a permutation") {
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "tiling: {loop_order: b_i_i_k}\n"),
                   Catch::Contains("tiling.loop_order: expected a permutation of the loops b, i, "
                                   "j, k joined with '_' (such as 'b_i_j_k'), found 'b_i_i_k'"));
        CHECK(accelerator_input_error(kMinimalAccelerator + "tiling: {loop_order: k_j_b_i}\n").empty());
        CHECK_FALSE(accelerator_input_error(kMinimalAccelerator + "tiling: {loop_order: bijk}\n").empty());
    }
    SECTION("tile of 2 entries") {
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "tiling: {tile: [16, 16]}\n"),
                   Catch::Contains("tiling.tile: expected a list of 3 integers [b, x, y], "
                                   "found 2 entries"));
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "tiling: {tile: 16}\n"),
                   Catch::Contains("tiling.tile: expected a list, found '16'"));
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "tiling: {tile: [1, 16, 2048]}\n"),
                   Catch::Contains("tiling.tile[2]: expected an integer from 1 to 1024"));
    }
    SECTION("tile larger than a buffer") {
        // A 1x16x16 tile of 20-bit words is 640 bytes; 0.0005 MiB is 524 bytes.
        CHECK_THAT(accelerator_input_error("name: t\nbuffers:\n  activation: {size_mb: 0.0005}\n"
                               "  weight: {size_mb: 8}\n  mask: {size_mb: 1}\n"),
                   Catch::Contains(":3:25: buffers.activation.size_mb: the activation buffer "
                                   "(524 bytes) cannot hold one 1x16x16 tile of dense data "
                                   "(640 bytes)"));
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "tiling: {tile: [1024, 1024, 1024]}\n"),
                   Catch::Contains("the activation buffer"));
    }
    SECTION("other ranges and choices") {
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "numerics: {int_bits: 0}\n"),
                   Catch::Contains("numerics.int_bits: expected an integer from 1 to 32"));
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "clock_mhz: 0\n"),
                   Catch::Contains("clock_mhz: expected a number greater than 0 and at most "
                                   "100000, found '0'"));
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "main_memory: {type: hbm}\n"),
                   Catch::Contains("main_memory.type: expected one of lpddr3, hbm2, rram "
                                   "(did you mean 'hbm2'?)"));
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "main_memory: {model: dramsim}\n"),
                   Catch::Contains("main_memory.model: unknown memory model 'dramsim'; registered memory "
                                   "models: fixed_bandwidth, dram"));
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "main_memory: {latency_ns: -1}\n"),
                   Catch::Contains("main_memory.latency_ns: expected a number of at least 0"));
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "main_memory: {bandwidth_gbps: .inf}\n"),
                   Catch::Contains("main_memory.bandwidth_gbps: expected a number"));
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "pe: {nonlinearity: silu}\n"),
                   Catch::Contains("pe.nonlinearity: expected one of gelu, relu"));
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "dma: {burst_bytes: 2000000}\n"),
                   Catch::Contains("dma.burst_bytes: expected an integer from 1 to 1048576"));
        CHECK_THAT(accelerator_input_error("name: t\nbuffers:\n  activation: {size_mb: 4, model: dram}\n"
                               "  weight: {size_mb: 8}\n  mask: {size_mb: 1}\n"),
                   Catch::Contains("buffers.activation.model: unknown buffer model 'dram' (did you mean "
                                   "'sram'?); registered buffer models: ideal, sram, banked_sram"));
        CHECK_THAT(accelerator_input_error("name: t\nbuffers:\n  activation: {size_mb: 100000}\n"
                               "  weight: {size_mb: 8}\n  mask: {size_mb: 1}\n"),
                   Catch::Contains("buffers.activation.size_mb: expected a number greater than 0 "
                                   "and at most 65536"));
    }
    SECTION("missing required keys") {
        CHECK_THAT(accelerator_input_error("buffers: {activation: {size_mb: 4}}\n"),
                   Catch::Contains("top level: missing required key 'name'"));
        CHECK_THAT(accelerator_input_error("name: t\n"),
                   Catch::Contains("top level: missing required key 'buffers'"));
        CHECK_THAT(accelerator_input_error("name: t\nbuffers:\n  activation: {size_mb: 4}\n"
                               "  weight: {size_mb: 8}\n  mask: {banks: 4}\n"),
                   Catch::Contains("buffers.mask: missing required key 'size_mb'"));
    }
    SECTION("duplicate key") {
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "pe:\n  count: 64\n  count: 128\n"),
                   Catch::Contains(":8:3: pe: duplicate key 'count'"));
    }
    SECTION("malformed YAML") {
        CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "pe: {count: 64\n"), Catch::Contains("malformed YAML"));
    }
    SECTION("empty file") {
        CHECK_THAT(accelerator_input_error(""), Catch::Contains("top level: expected a mapping, found nothing"));
    }
    SECTION("a file with NUL bytes") {
        CHECK_THAT(accelerator_input_error(std::string("name: t\0\0\n", 10)),
                   Catch::Contains("expected a YAML text file, found binary data"));
    }
}

TEST_CASE("unknown accelerator names list the shipped ones", "[config]") {
    try {
        load_accelerator("acceltran-edg", kConfigs);
        FAIL("no error");
    } catch (const InputError& e) {
        CHECK_THAT(e.what(), Catch::StartsWith("unknown accelerator 'acceltran-edg' (did you mean "
                                               "'acceltran-edge'?); shipped: acceltran-edge, "
                                               "acceltran-server"));
    }
    try {
        load_accelerator("tpu", kConfigs);
        FAIL("no error");
    } catch (const InputError& e) {
        CHECK_THAT(e.what(), Catch::StartsWith("unknown accelerator 'tpu'; shipped: "
                                               "acceltran-edge, acceltran-server"));
    }
    CHECK_THROWS_AS(load_accelerator(kConfigs, kConfigs), InputError);
}

TEST_CASE("data_dir prefers the environment, else the source tree for a build tree's binary", "[config]") {
    const char* saved = std::getenv("ACCELTRAN_DATA_DIR");
    std::string saved_value = saved ? saved : "";
    setenv("ACCELTRAN_DATA_DIR", "/somewhere/else", 1);
    CHECK(data_dir() == "/somewhere/else");
    setenv("ACCELTRAN_DATA_DIR", "", 1);
    // The test binary runs from the build tree's bin/, which has no installation beside it.
    CHECK(data_dir() == kSourceDir);
    if (saved)
        setenv("ACCELTRAN_DATA_DIR", saved_value.c_str(), 1);
    else
        unsetenv("ACCELTRAN_DATA_DIR");
}

TEST_CASE("compat options are off by default and set by a compat block or by name", "[config][compat]") {
    AcceleratorConfig edge = load_accelerator("acceltran-edge", kConfigs);
    CHECK_FALSE(edge.compat.any());
    CHECK(edge.compat.enabled().empty());
    CHECK(edge.memory_port_bytes_per_cycle() == edge.memory_bytes_per_cycle());

    AcceleratorConfig c = parse_accelerator(YAML::Load(kMinimalAccelerator + "compat: {bandwidth_units: true}\n"), "c.yaml");
    CHECK(c.compat.bandwidth_units);
    CHECK(c.compat.enabled() == std::vector<std::string>{"bandwidth_units"});
    // The original's factor (2^30/1e9)·(20/8) on the nominal 25.6 GB/s at 700 MHz: 785.365 "bits"
    // per cycle in its constants.yaml, i.e. 98.17 bytes per cycle.
    CHECK(c.memory_bytes_per_cycle() == Approx(36.5714).epsilon(1e-5));
    CHECK(c.memory_port_bytes_per_cycle() / c.memory_bytes_per_cycle() == Approx(2.684355).epsilon(1e-6));
    CHECK(c.memory_port_bytes_per_cycle() * 8 == Approx(785.365).epsilon(1e-6));

    CompatConfig by_name;
    enable_compat(by_name, "bandwidth_units");
    CHECK(by_name.bandwidth_units);
    // The memory options of the ladder, each alone by name and all of them in a compat block,
    // listed in ladder order whatever the order given.
    for (const std::string name : {"embedding_table", "batched_weights", "no_result_store", "in_order_memory"}) {
        CompatConfig one;
        enable_compat(one, name);
        CHECK(one.enabled() == std::vector<std::string>{name});
    }
    AcceleratorConfig memory = parse_accelerator(
        YAML::Load(kMinimalAccelerator + "compat: {in_order_memory: true, no_result_store: true, batched_weights: true, "
                                         "embedding_table: true, bandwidth_units: false}\n"),
        "m.yaml");
    CHECK(memory.compat.enabled() ==
          std::vector<std::string>{"embedding_table", "batched_weights", "no_result_store", "in_order_memory"});
    CompatConfig all;
    enable_compat(all, kCompatAll);
    CHECK(all.enabled() == compat_option_names());

    CompatConfig bad;
    CHECK_THROWS_WITH(enable_compat(bad, "bandwidth_unit"),
                      Catch::Contains("unknown option 'bandwidth_unit' (did you mean 'bandwidth_units'?)") &&
                          Catch::Contains("acceltran-py"));
    CHECK_THROWS_AS(enable_compat(bad, ""), UsageError);
    CHECK_THAT(accelerator_input_error(kMinimalAccelerator + "compat: {bandwith_units: true}\n"),
               Catch::Contains("compat: unknown key 'bandwith_units' (did you mean 'bandwidth_units'?)"));
}
