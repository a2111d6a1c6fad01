// The compatibility options of the original simulator's units and energy accounting
// (mac_tile_cycles, duplicate_issue, softmax_all_units, spread_k_tiles, main_memory_energy,
// buffer_leakage_while_loading, no_operand_read_energy, control_modules_off; docs/validation.md
// §7.5), each alone on BERT-Nano on AccelTran-Edge: it changes what it says, by the figure worked
// out by hand below, and nothing else. Defaults are guarded by the golden runs (test_golden.cpp).
//
// BERT-Nano at sequence 128, batch 4 (scripts/original/models/bert-nano.json: one layer, h = 32,
// two 16-wide heads, FFN 64), 1 x 16 x 16 tiles, densities 0.5: every matmul tile is a full
// 16 x 16 x 16 one. Per op (tile steps, k included):
//   ffn.h1  (4·128 x 32) x (32 x 64): 4·8·4·2 = 256 steps      ffn.out: 4·8·2·4 = 256 steps
//   ffn.gelu1 (4, 128, 64): 4·8·4 = 128 tiles of 1 cycle       attn.ln, ffn.ln (4, 128, 32): 64 tiles each
// A full matmul tile takes 16³·0.5·0.5/16 = 64 cycles by default, a layer-norm tile
// ceil(1·(16+16)·0.5) = 16.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "modules/power/technology.h"
#include "tests/integration/csv_table.h"
#include "tests/integration/integration_support.h"

using namespace acceltran::testing;

namespace {

const std::string kUnitsNano = std::string(ACCELTRAN_SOURCE_DIR) + "/scripts/original/models/bert-nano.json";
const std::vector<std::string> kUnitsBase = {"--model", kUnitsNano, "--accel", "acceltran-edge", "--force", "-q"};
const std::string kUnitsConfigs = std::string(ACCELTRAN_SOURCE_DIR) + "/configs";

// The default run and the run with `option` on, as summary.json objects.
struct OptionPair {
    nlohmann::json plain, option;
};

OptionPair run_pair(const std::string& option, const std::vector<std::string>& extra = {}) {
    ScratchDir dir("compat-" + option);
    const auto plain = run_into(dir, "plain", kUnitsBase, extra);
    std::vector<std::string> with = extra;
    with.insert(with.end(), {"--compat", option});
    const auto on = run_into(dir, "option", kUnitsBase, with);
    INFO(describe(plain) << describe(on));
    REQUIRE(plain.exit_code == 0);
    REQUIRE(on.exit_code == 0);
    OptionPair p{load_json(dir / "plain/summary.json"), load_json(dir / "option/summary.json")};
    REQUIRE(p.option["accelerator"]["compat"] == std::vector<std::string>{option});
    // Traffic and work never change with these options.
    CHECK(p.option["bytes"] == p.plain["bytes"]);
    CHECK(p.option["macs"] == p.plain["macs"]);
    return p;
}

double busy(const nlohmann::json& s, const char* kind) { return s["op_kinds"][kind]["busy_unit_cycles"].get<double>(); }
double energy(const nlohmann::json& s, const char* part) { return s["energy_breakdown_j"][part].get<double>(); }
double buffer_energy(const nlohmann::json& s, const char* buffer) {
    return s["energy_breakdown_j"]["buffers"][buffer].get<double>();
}

// Energy parts an energy-only option leaves alone, and the run's timing.
void check_time_and_units_unchanged(const OptionPair& p) {
    CHECK(p.option["cycles"] == p.plain["cycles"]);
    CHECK(p.option["units"] == p.plain["units"]);
    for (const char* part : {"mac_lanes", "softmax", "layernorm"}) CHECK(energy(p.option, part) == energy(p.plain, part));
}

}  // namespace

TEST_CASE("compat mac_tile_cycles: matmul tiles take 128 cycles instead of 64, the rest of the work is unchanged",
          "[integration][compat]") {
    const auto p = run_pair("mac_tile_cycles");
    // ceil(16³/16·0.5) = 128 against 16³·0.5·0.5/16 = 64: exactly twice, tile by tile.
    CHECK(busy(p.option, "matmul") == 2 * busy(p.plain, "matmul"));
    for (const char* kind : {"softmax", "layernorm", "gelu", "add"}) CHECK(busy(p.option, kind) == busy(p.plain, kind));
    // MAC-lane energy follows the lane's busy cycles (the idle cycle after each tile is free).
    const double lane_ratio = p.option["units"]["mac_lane"]["busy_unit_cycles"].get<double>() /
                              p.plain["units"]["mac_lane"]["busy_unit_cycles"].get<double>();
    CHECK(energy(p.option, "mac_lanes") / energy(p.plain, "mac_lanes") == Approx(lane_ratio).epsilon(1e-12));
    CHECK(energy(p.option, "softmax") == energy(p.plain, "softmax"));
    CHECK(p.option["cycles"].get<double>() > p.plain["cycles"].get<double>());
}

TEST_CASE("compat duplicate_issue: every 8th tile of the FFN matmuls, the activation and the layer-norms runs twice",
          "[integration][compat]") {
    const auto p = run_pair("duplicate_issue");
    // Tiles at steps 8, 16, ... of a grouped op run again: 256 steps give 31 each for ffn.h1 and
    // ffn.out (62 x 64 cycles), 128 give 15 for the GELU (15 x 1), 64 give 7 each for attn.ln
    // and ffn.ln, plus the run's last tile (ffn.ln's) once more: 15 x 16 cycles. The
    // original issues 84 extra MAC-lane and 15 extra layer-norm tiles on its own BERT-Nano
    // (scripts/original/run-original --account; its extra 7 MAC-lane issues come from the
    // activation it puts after ffn.out, which BERT has not).
    CHECK(busy(p.option, "matmul") - busy(p.plain, "matmul") == 62 * 64);
    CHECK(busy(p.option, "gelu") - busy(p.plain, "gelu") == 15 * 1);
    CHECK(busy(p.option, "layernorm") - busy(p.plain, "layernorm") == 15 * 16);
    CHECK(busy(p.option, "softmax") == busy(p.plain, "softmax"));
    CHECK(busy(p.option, "add") == busy(p.plain, "add"));
    CHECK(p.option["units"]["mac_lane"]["tiles"] == p.plain["units"]["mac_lane"]["tiles"]);
}

TEST_CASE("compat softmax_all_units: a softmax tile occupies and charges the 4 softmax units of its PE",
          "[integration][compat]") {
    const auto p = run_pair("softmax_all_units");
    CHECK(busy(p.option, "softmax") == 4 * busy(p.plain, "softmax"));
    CHECK(energy(p.option, "softmax") == Approx(4 * energy(p.plain, "softmax")).epsilon(1e-12));
    for (const char* kind : {"matmul", "layernorm", "gelu", "add"}) CHECK(busy(p.option, kind) == busy(p.plain, kind));
}

TEST_CASE("compat main_memory_energy: elements x (1 - s_w) / 64 blocks per load, charged twice, writes free",
          "[integration][compat]") {
    const auto p = run_pair("main_memory_energy");
    check_time_and_units_unchanged(p);
    // Loads: 8,192 weight elements and 20,480 embedding-row elements (B·S + S rows of 32).
    const auto tech = acceltran::power::load_technology("14nm", kUnitsConfigs);
    const double e_block = tech.main_memory_access_nj("lpddr3", 32, 2, 1) * 1e-9;
    CHECK(energy(p.option, "main_memory") == Approx(2 * e_block * (8192 + 20480) * 0.5 / 64).epsilon(1e-12));
    // By default: every byte moved, 39,424 read and 22,528 written.
    CHECK(energy(p.plain, "main_memory") == Approx(e_block * (39424 + 22528) / 64.0).epsilon(1e-12));
    for (const char* b : {"activation", "weight", "mask"}) CHECK(buffer_energy(p.option, b) == buffer_energy(p.plain, b));
}

TEST_CASE("compat buffer_leakage_while_loading: buffers leak while a load into them is in flight",
          "[integration][compat]") {
    const auto p = run_pair("buffer_leakage_while_loading");
    check_time_and_units_unchanged(p);
    CHECK(energy(p.option, "main_memory") == energy(p.plain, "main_memory"));
    // The weight and mask buffers receive loads whose main-memory time exceeds their own port
    // time; the activation buffer receives the embedding rows.
    for (const char* b : {"activation", "weight", "mask"}) CHECK(buffer_energy(p.option, b) > buffer_energy(p.plain, b));
    // Only gated leakage moves: without power gating a buffer leaks for the whole run anyway.
    const auto ungated = run_pair("buffer_leakage_while_loading", {"--set", "power.gating=false"});
    CHECK(ungated.option["energy_j"] == ungated.plain["energy_j"]);
}

TEST_CASE("compat no_operand_read_energy: buffer access energy only for what the units write",
          "[integration][compat]") {
    const auto p = run_pair("no_operand_read_energy");
    check_time_and_units_unchanged(p);
    CHECK(energy(p.option, "main_memory") == energy(p.plain, "main_memory"));
    // The units never write the weight buffer: its 348,160 bytes of operand reads and the
    // 15,360 bytes the DMA loads into it are no longer charged (8 MiB: E_block · √8).
    const auto tech = acceltran::power::load_technology("14nm", kUnitsConfigs);
    const double e_weight = tech.buffer("weight").access_energy_nj_for(8) * 1e-9;
    CHECK(buffer_energy(p.plain, "weight") - buffer_energy(p.option, "weight") ==
          Approx(e_weight * (348160 + 15360) / 64.0).epsilon(1e-9));
    for (const char* b : {"activation", "mask"}) CHECK(buffer_energy(p.option, b) < buffer_energy(p.plain, b));
}

TEST_CASE("compat control_modules_off: no dataflow, DMA-interface, FIFO or sparsity energy", "[integration][compat]") {
    const auto p = run_pair("control_modules_off");
    check_time_and_units_unchanged(p);
    for (const char* part : {"dataflow", "dma", "fifo", "sparsity"}) {
        CHECK(energy(p.plain, part) > 0);
        CHECK(energy(p.option, part) == 0);
    }
    CHECK(energy(p.option, "main_memory") == energy(p.plain, "main_memory"));
    for (const char* b : {"activation", "weight", "mask"}) CHECK(buffer_energy(p.option, b) == buffer_energy(p.plain, b));
}

TEST_CASE("compat energy options: timeline periods and ops still add up to the run's energy", "[integration][compat]") {
    ScratchDir dir("compat-energy-parts");
    const auto r = run_into(dir, "all", kUnitsBase,
                            {"--compat", "main_memory_energy,buffer_leakage_while_loading,no_operand_read_energy,"
                                         "control_modules_off,softmax_all_units"});
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    const double total = load_json(dir / "all/summary.json")["energy_j"].get<double>();
    for (const char* file : {"all/timeline.csv", "all/ops.csv"}) {
        const auto csv = read_csv(dir / file);
        double sum = 0;
        for (std::size_t i = 0; i < csv.rows.size(); ++i) sum += csv.number(i, "energy_j");
        // The files print 9 significant digits per row.
        CHECK(sum == Approx(total).epsilon(1e-8));
    }
}

TEST_CASE("compat unit and energy options: a compat block in the accelerator YAML equals --compat", "[integration][compat]") {
    ScratchDir dir("compat-yaml");
    std::ifstream edge(kUnitsConfigs + "/accelerators/acceltran-edge.yaml");
    REQUIRE(edge);
    std::ostringstream yaml;
    yaml << edge.rdbuf()
         << "\ncompat: {mac_tile_cycles: true, duplicate_issue: true, softmax_all_units: true, main_memory_energy: true,"
            " buffer_leakage_while_loading: true, no_operand_read_energy: true, control_modules_off: true}\n";
    const std::string file = dir.write("edge-compat.yaml", yaml.str());
    const std::vector<std::string> names = {"mac_tile_cycles",        "duplicate_issue",
                                            "softmax_all_units",      "main_memory_energy",
                                            "buffer_leakage_while_loading", "no_operand_read_energy",
                                            "control_modules_off"};
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ",") + n;
    const auto from_yaml = run_summary(dir, "yaml", {"--model", kUnitsNano, "--accel", file, "--force", "-q"}, {});
    const auto from_cli = run_summary(dir, "cli", kUnitsBase, {"--compat", list});
    CHECK(from_yaml["accelerator"]["compat"] == names);
    CHECK(from_cli["accelerator"]["compat"] == names);
    CHECK(from_yaml["cycles"] == from_cli["cycles"]);
    CHECK(from_yaml["energy_breakdown_j"] == from_cli["energy_breakdown_j"]);
    CHECK(from_yaml["units"] == from_cli["units"]);
}

TEST_CASE("compat energy options refuse a sampled generation, whose skipped steps they would not count",
          "[integration][compat]") {
    ScratchDir dir("compat-sampled");
    // 32 generated tokens with the default 16 simulated steps: a sampled generation.
    const auto r = run_into(dir, "gpt2", {"--model", "gpt2", "--accel", "acceltran-edge", "--prompt-len", "8",
                                          "--gen-len", "32", "--batch", "1", "--force", "-q"},
                            {"--compat", "main_memory_energy"});
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Matchers::Contains("raise --simulated-steps to --gen-len"));
}

TEST_CASE("compat options refuse the Gemmini-style template, whose units the original does not have", "[integration][compat]") {
    ScratchDir dir("compat-gemmini");
    const auto r = run_into(dir, "gemmini", {"--model", kUnitsNano, "--accel", "gemmini-transformer", "--force", "-q"},
                            {"--compat", "softmax_all_units"});
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Matchers::Contains("apply to the AccelTran template only"));
}

TEST_CASE("compat spread_k_tiles: lanes a matmul's outputs leave idle take parts of their k steps", "[integration][compat]") {
    ScratchDir dir("compat-spread-k");
    const auto plain = run_into(dir, "plain", kUnitsBase, {});
    const auto on = run_into(dir, "option", kUnitsBase, {"--compat", "spread_k_tiles"});
    INFO(describe(plain) << describe(on));
    REQUIRE(plain.exit_code == 0);
    REQUIRE(on.exit_code == 0);
    const auto p = load_json(dir / "plain/summary.json"), s = load_json(dir / "option/summary.json");
    // The same tiles, each as long: only who runs them changes.
    CHECK(s["units"] == p["units"]);
    CHECK(s["macs"] == p["macs"]);
    CHECK(s["bytes"]["main_memory"] == p["bytes"]["main_memory"]);
    // On Edge's 1,024 lanes every matmul of BERT-Nano has fewer output tiles than lanes; those
    // with k steps split them into min(k steps, 1,024 / outputs) parts: Q, K, V and the output
    // projection 64 outputs x 2 parts, the context 64 x 8, FFN h1 128 x 2, FFN out 64 x 4 (the
    // scores have one k step). Jobs: 1,024 more; every part boundary parks and reloads one dense
    // 16 x 16 partial sum of 20-bit words (640 bytes): 4·64·1 + 64·7 + 128·1 + 64·3 = 1,024 of them.
    CHECK(s["program"]["jobs"].get<double>() - p["program"]["jobs"].get<double>() == 1024);
    const double psums = 1024.0 * 16 * 16 * 20 / 8;
    CHECK(s["bytes"]["activation_buffer"]["read"].get<double>() - p["bytes"]["activation_buffer"]["read"].get<double>() ==
          psums);
    CHECK(s["bytes"]["activation_buffer"]["write"].get<double>() - p["bytes"]["activation_buffer"]["write"].get<double>() ==
          psums);
    CHECK(s["cycles"].get<double>() < p["cycles"].get<double>());

    // Values cannot be computed that way: a functional run refuses it.
    const auto functional = run_into(dir, "functional", kUnitsBase, {"--compat", "spread_k_tiles", "--functional"});
    CHECK(functional.exit_code == 2);
    CHECK_THAT(functional.err, Catch::Contains("spread_k_tiles"));
}
