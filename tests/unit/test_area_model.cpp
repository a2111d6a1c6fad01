#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "core/accelerator_config.h"
#include "core/errors.h"
#include "modules/power/area_model.h"
#include "modules/power/technology.h"
#include "tests/source_tree.h"

using namespace acceltran;
using namespace acceltran::power;
using acceltran::testing::kConfigs;

namespace {

const std::string kTechFile = kConfigs + "/technology/14nm.yaml";

std::string shipped_text() {
    std::ifstream in(kTechFile, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The shipped table with the first occurrence of `from` replaced by `to`.
std::string edited(const std::string& from, const std::string& to) {
    std::string text = shipped_text();
    auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    return text.replace(pos, from.size(), to);
}

std::string parse_error(const std::string& text) {
    try {
        parse_technology(text, "bad.yaml");
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

std::string area_error(const std::vector<std::string>& overrides) {
    AcceleratorConfig c = load_accelerator("acceltran-edge", kConfigs, overrides);
    Technology t = load_technology(c.technology, kConfigs);
    try {
        area(c, t);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

bool close(double a, double b, double rel = 1e-9) { return std::fabs(a - b) <= rel * std::fabs(b); }

}  // namespace

// Hand calculation, 14 nm figures of the original simulator's
// simulator/constants/constants.yaml (github.com/jha-lab/acceltran) (µm²):
//   per MAC lane: A_lane(gelu, 16) + A_pre + A_post + A_fifo
//     = 9418.667591 + 6216.896914 + 1181.201447 + 484.379110 = 17301.145062
//   Edge (64 PEs, 16 lanes, 4 softmax, 1 LN, tile_x 16; buffers 4 / 8 / 1 MB):
//     64 × [16 × 17301.145062 + 4 × 87573.326116 + 75946.982008 + 144.636242 + 81104.126482]
//       = 64 × [276818.320992 + 350293.304464 + 157195.744732] = 64 × 784307.370188
//       = 50,195,671.692032
//     + 303305.83 × 4 + 294100.83 × 8 + 302565.0 × 1 = 1,213,223.32 + 2,352,806.64 + 302,565.0
//       = 3,868,594.96
//     = 54,064,266.652032 µm² = 54.064 mm² (the original prints 54.064)
//   Server (512 PEs, 32 lanes, 32 softmax, 1 LN, tile_x 16; buffers 32 / 64 / 8 MB):
//     512 × [32 × 17301.145062 + 32 × 87573.326116 + 75946.982008 + 144.636242 + 81104.126482]
//       = 512 × [553636.641984 + 2802346.435712 + 157195.744732] = 512 × 3513178.822428
//       = 1,798,747,557.083136
//     + 303305.83 × 32 + 294100.83 × 64 + 302565.0 × 8 = 9,705,786.56 + 18,822,453.12 + 2,420,520.0
//       = 30,948,759.68
//     = 1,829,696,316.763136 µm² = 1,829.696 mm² (the original prints 1,829.696)
// Tolerance 1e-9 relative: only floating-point rounding separates the model from these sums.
TEST_CASE("area: AccelTran-Edge matches the hand calculation", "[area]") {
    AcceleratorConfig c = load_accelerator("acceltran-edge", kConfigs);
    Technology t = load_technology(c.technology, kConfigs);
    AreaBreakdown a = area(c, t);
    CHECK(close(a.total, 54.064266652032));
    CHECK(close(a.mac_lanes, 64 * 16 * 9418.667591 / 1e6));
    CHECK(close(a.sparsity, 64 * 16 * (6216.896914 + 1181.201447) / 1e6));
    CHECK(close(a.fifo, 64 * 16 * 484.379110 / 1e6));
    CHECK(close(a.softmax, 64 * 4 * 87573.326116 / 1e6));
    CHECK(close(a.layernorm, 64 * 81104.126482 / 1e6));
    CHECK(close(a.dataflow, 64 * 75946.982008 / 1e6));
    CHECK(close(a.dma, 64 * 144.636242 / 1e6));
    CHECK(close(a.buffers.activation, 303305.83 * 4 / 1e6));
    CHECK(close(a.buffers.weight, 294100.83 * 8 / 1e6));
    CHECK(close(a.buffers.mask, 302565.0 * 1 / 1e6));
}

TEST_CASE("area: AccelTran-Server matches the hand calculation", "[area]") {
    AcceleratorConfig c = load_accelerator("acceltran-server", kConfigs);
    Technology t = load_technology(c.technology, kConfigs);
    AreaBreakdown a = area(c, t);
    CHECK(close(a.total, 1829.696316763136));
    CHECK(close(a.softmax, 512 * 32 * 87573.326116 / 1e6));
    CHECK(close(a.buffers.weight, 294100.83 * 64 / 1e6));
}

TEST_CASE("area: the breakdown and its JSON sum to the total", "[area]") {
    for (const char* name : {"acceltran-edge", "acceltran-server"}) {
        AcceleratorConfig c = load_accelerator(name, kConfigs);
        AreaBreakdown a = area(c, load_technology("14nm", kConfigs));
        double sum = a.mac_lanes + a.sparsity + a.fifo + a.softmax + a.layernorm + a.dataflow +
                     a.dma + a.buffers.activation + a.buffers.weight + a.buffers.mask;
        CHECK(close(sum, a.total, 1e-12));
        nlohmann::json j = to_json(a);
        double json_sum = 0;
        for (const auto& [key, value] : j.items()) {
            if (key == "total") continue;
            if (value.is_object())
                for (const auto& [k, v] : value.items()) json_sum += v.get<double>();
            else
                json_sum += value.get<double>();
        }
        CHECK(j.at("total").get<double>() == a.total);
        CHECK(j.at("buffers").at("mask").get<double>() == a.buffers.mask);
        CHECK(close(json_sum, a.total, 1e-12));
    }
}

TEST_CASE("area: the 14 nm technology table holds the original's figures", "[area][technology]") {
    Technology t = load_technology("14nm", kConfigs);
    CHECK(t.name == "14nm");
    CHECK(t.source == kTechFile);
    CHECK(t.clock_mhz == 700);
    CHECK(t.mac_lane("relu", 1).area_um2 == 597.964253);
    CHECK(t.mac_lane("gelu", 16).dynamic_mw == 5.1955);
    CHECK(t.softmax(32).dynamic_mw == 131.2602298481);
    CHECK(t.layernorm(8).leakage_mw == 0.6594879);
    CHECK(t.stochastic_rounding().area_um2 == 79.043665);
    CHECK(t.buffer("weight").leakage_mw_per_mb == 210.40467);
    CHECK(close(t.buffer("activation").access_energy_nj_for(4), 2 * 0.079275099));
    CHECK(t.buffer_block_bytes == 64);
    CHECK(t.main_memory_block_bytes == 64);
    CHECK(t.main_memory_energy_nj.size() == 11);
    // The shipped design points: Edge is LP-DDR3 32/2/1, Server RRAM 32/2/1.
    CHECK(t.main_memory_access_nj("lpddr3", 32, 2, 1) == 13.43777522);
    CHECK(t.main_memory_access_nj("rram", 32, 2, 1) == 8.63281599);
    CHECK(t.main_memory_access_nj("hbm2", 32, 1, 4) == 26.5569841);
    // A path works as well as a shipped name.
    CHECK(load_technology(kTechFile, kConfigs).name == "14nm");
}

TEST_CASE("area: technology file errors name the place and the fix", "[area][technology]") {
    std::string text = shipped_text();
    // Line (1-based) of the top-level `fifo:` key in the shipped file.
    auto line_of = [&](const std::string& needle) {
        auto pos = text.find("\n" + needle);
        REQUIRE(pos != std::string::npos);
        return std::count(text.begin(), text.begin() + pos + 1, '\n') + 1;
    };
    CHECK_THAT(parse_error(edited("\nfifo:", "\nfifoo:")),
               Catch::Contains("bad.yaml:" + std::to_string(line_of("fifo:")) +
                               ":1: top level: unknown key 'fifoo' (did you mean 'fifo'?)"));
    CHECK_THAT(parse_error(edited("leakage_mw: 0.0140774", "leakage_mv: 0.0140774")),
               Catch::Contains("fifo: unknown key 'leakage_mv' (did you mean 'leakage_mw'?)"));
    CHECK_THAT(parse_error(edited("area_um2: 484.379110", "area_um2: -484.379110")),
               Catch::Contains("fifo.area_um2: expected a number of at least 0, found '-484.379110'"));
    CHECK_THAT(parse_error(edited("\n  gelu:", "\n  gleu:")),
               Catch::Contains("mac_lane: unknown key 'gleu' (did you mean 'gelu'?)"));
    CHECK_THAT(parse_error(edited("  8:  {area_um2: 22008", "  eight:  {area_um2: 22008")),
               Catch::Contains("softmax.eight: expected a positive integer key (tile size)"));
    CHECK_THAT(parse_error(edited("dram_32_2_1:", "ddr_32_2_1:")),
               Catch::Contains("main_memory.access_energy_nj.ddr_32_2_1: expected a key "
                               "<type>_<banks>_<ranks>_<channels>"));
    CHECK_THAT(parse_error(edited("\ndma:", "\n#dma:")),
               Catch::Contains("top level: missing required key 'dma'"));
}

TEST_CASE("area: a configuration the table cannot answer is an InputError", "[area][technology]") {
    CHECK_THAT(area_error({"pe.macs_per_lane=4"}),
               Catch::Contains(kTechFile + ": technology '14nm' has no gelu MAC lane with 4 MACs "
                               "per lane; mac_lane.gelu has MACs per lane: 1, 16"));
    CHECK_THAT(area_error({"tiling.tile=[1, 64, 64]"}),
               Catch::Contains(kTechFile + ": technology '14nm' has no softmax module for tile "
                               "size 64; softmax has tile sizes: 8, 16, 32"));
    CHECK(area_error({"pe.nonlinearity=relu", "pe.macs_per_lane=1"}).empty());

    Technology t = load_technology("14nm", kConfigs);
    try {
        t.main_memory_access_nj("lpddr3", 64, 2, 1);
        FAIL("no error");
    } catch (const InputError& e) {
        CHECK_THAT(e.what(), Catch::Contains(kTechFile) &&
                                 Catch::Contains("no main-memory energy for lpddr3 with 64 banks, "
                                                 "2 ranks, 1 channels (key dram_64_2_1)") &&
                                 Catch::Contains("has: dram_16_2_2, dram_16_4_1, dram_32_2_1, "
                                                 "dram_8_2_4"));
    }
    CHECK_THROWS_AS(t.buffer("scratch"), InputError);
}

TEST_CASE("area: an unknown technology name lists the shipped ones", "[area][technology]") {
    try {
        load_technology("14mn", kConfigs);
        FAIL("no error");
    } catch (const InputError& e) {
        CHECK_THAT(e.what(), Catch::Contains("unknown technology '14mn' (did you mean '14nm'?)") &&
                                 Catch::Contains("shipped: 14nm"));
    }
}
