// Pluggable models through the acceltran binary: `acceltran list`, model selection in the
// accelerator YAML and its errors, what switching a model does to a BERT-Tiny run, the plug-in
// loader's refusals (exit code 3, docs/cli.md), and the whole out-of-tree path: install into a
// temporary prefix, build examples/buffer-plugin against it, run BERT-Tiny with the plug-in, and
// sweep a design space that selects the plug-in's model (`acceltran sweep --plugin`).
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/plugin_api.h"
#include "tests/integration/integration_support.h"
#include "tests/source_tree.h"

using namespace acceltran::testing;
using nlohmann::json;
using acceltran::testing::kSourceDir;

namespace {

const std::string kEdge = read_text(kSourceDir + "/configs/accelerators/acceltran-edge.yaml");

// acceltran-edge.yaml with `from` replaced by `to` (each must occur once).
std::string edge_with(const std::vector<std::pair<std::string, std::string>>& edits) {
    std::string text = kEdge;
    for (const auto& e : edits) {
        const auto at = text.find(e.first);
        REQUIRE(at != std::string::npos);
        REQUIRE(text.find(e.first, at + 1) == std::string::npos);
        text.replace(at, e.first.size(), e.second);
    }
    return text;
}

// Runs BERT-Tiny (seq 128, batch 4: the golden run) on `yaml`; returns summary.json.
json run_bert_tiny(const ScratchDir& dir, const std::string& name, const std::string& yaml,
                   const std::vector<std::string>& extra = {}) {
    const std::string accel = dir / (name + ".yaml");
    write_text(accel, yaml);
    std::vector<std::string> args = {"run", "--model", "bert-tiny", "--accel", accel, "--out", dir / name, "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_acceltran(args, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    return load_json(dir / (name + "/summary.json"));
}

void check_same_bytes(const json& a, const json& b) {
    // A timing model changes when bytes move, never which bytes move.
    CHECK(a["bytes"] == b["bytes"]);
    CHECK(a["program"]["tile_ops"] == b["program"]["tile_ops"]);
}

// acceltran-edge.yaml with every buffer on the example plug-in's throttled_sram at `efficiency`.
std::string edge_throttled(const std::string& efficiency) {
    const std::string model = "{model: throttled_sram, efficiency: " + efficiency + ",";
    return edge_with({{"activation: {model: sram,", "activation: " + model},
                      {"weight:     {model: sram,", "weight:     " + model},
                      {"mask:       {model: sram,", "mask:       " + model}});
}

// The example plug-in built out of tree, as a user would: the already-built tree installed into
// a temporary prefix (no rebuild), then only examples/buffer-plugin built against it.
struct ExamplePlugin {
    std::string acceltran;  // the installed executable, the one the plug-in was built against
    std::string library;    // libthrottled_sram.so
};

ExamplePlugin build_example_plugin(const ScratchDir& dir) {
    const std::string prefix = dir / "prefix", build = dir / "build";
    const auto r = install_and_build_example("buffer-plugin", prefix, build);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    REQUIRE(fs::exists(prefix + "/lib/cmake/AccelTranSC/AccelTranSCConfig.cmake"));
    REQUIRE(fs::exists(prefix + "/include/acceltran/core/plugin_api.h"));
    ExamplePlugin p{prefix + "/bin/acceltran", build + "/libthrottled_sram.so"};
    REQUIRE(fs::exists(p.library));
    return p;
}

// Runs the installed `acceltran` with `args` (each quoted); stderr goes to stdout.
CommandResult run_installed(const ExamplePlugin& p, const std::vector<std::string>& args) {
    std::string cmd = "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 " + shell_quote(p.acceltran);
    for (const auto& a : args) cmd += " " + shell_quote(a);
    return run_shell(cmd + " 2>&1");
}

}  // namespace

TEST_CASE("acceltran list shows the built-in buffer and memory models with their parameters", "[integration][plugins]") {
    ScratchDir dir("plugins-list");
    const auto r = run_acceltran({"list"}, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    for (const char* s : {"buffer models", "memory models", "  ideal  ", "  sram  ", "  banked_sram  ",
                          "  double_buffered  ", "  fixed_bandwidth  ", "  dram  ", "block_bytes (integer 1..1048576, default 64)",
                          "preset (lpddr3-1600|hbm2|rram-m3d, default lpddr3-1600)", "page_policy (open|closed, default open)"})
        CHECK(r.out.find(s) != std::string::npos);
}

TEST_CASE("an unknown model or model parameter in the YAML is a located input error (exit 3)", "[integration][plugins]") {
    ScratchDir dir("plugins-bad-model");
    const std::string bad = dir / "bad.yaml";
    write_text(bad, edge_with({{"activation: {model: sram,", "activation: {model: sramm,"}}));
    auto r = run_acceltran({"validate", "--accel", bad}, dir);
    INFO(describe(r));
    CHECK(r.exit_code == 3);
    // file:line:column, the line being the one of the activation buffer in the shipped file.
    const std::string text = read_text(bad);
    const auto line = 1 + std::count(text.begin(), text.begin() + std::ptrdiff_t(text.find("activation: {model: sramm,")), '\n');
    CHECK(r.err.find(bad + ":" + std::to_string(line) + ":") != std::string::npos);
    CHECK(r.err.find("buffers.activation.model: unknown buffer model 'sramm' (did you mean 'sram'?)") != std::string::npos);
    CHECK(r.err.find("ideal, sram, banked_sram, double_buffered") != std::string::npos);

    write_text(bad, edge_with({{"  model: fixed_bandwidth", "  model: dram\n  preset: lpddr3-1600\n  trcd: 18"}}));
    r = run_acceltran({"validate", "--accel", bad}, dir);
    INFO(describe(r));
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("main_memory: unknown key 'trcd'; allowed keys: type,") != std::string::npos);
    CHECK(r.err.find("preset, dram_channels") != std::string::npos);  // the model's own parameters are listed
}

TEST_CASE("plug-in loading refuses a missing file, a non-library, a library without entry points and an ABI mismatch",
          "[integration][plugins]") {
    ScratchDir dir("plugins-refused");
    auto refused = [&](const std::string& plugin, const std::string& message) {
        const auto r = run_acceltran({"list", "--plugin", plugin}, dir);
        INFO(describe(r));
        CHECK(r.exit_code == 3);
        CHECK(r.err.find("plug-in '" + plugin + "'") != std::string::npos);
        CHECK(r.err.find(message) != std::string::npos);
    };
    refused(dir / "missing.so", "no such file");
    write_text(dir / "text.so", "not a shared object\n");
    refused(dir / "text.so", "not a shared object (no ELF signature");  // refused before dlopen maps it
    // A real shared object that is no plug-in: the SystemC kernel library's neighbour, libm.
    const auto libm = run_shell("for f in /lib/x86_64-linux-gnu/libm.so.6 /usr/lib/x86_64-linux-gnu/libm.so.6 "
                                "/lib64/libm.so.6; do [ -f $f ] && echo $f && break; done");
    std::string path = libm.out.substr(0, libm.out.find('\n'));
    if (!path.empty()) refused(path, "not an AccelTran-SC plug-in");
    refused(ACCELTRAN_OLD_ABI_PLUGIN, "built for plug-in ABI version " + std::to_string(acceltran::kPluginAbiVersion + 1000) +
                                          ", but this acceltran");
}

TEST_CASE("switching the buffer and memory models changes a BERT-Tiny run the way the models predict",
          "[integration][plugins][slow]") {
    ScratchDir dir("plugins-switch");
    const json sram = run_bert_tiny(dir, "sram", kEdge);
    // ideal buffers: unlimited bandwidth can only remove waiting, and their ports are never busy.
    const json ideal = run_bert_tiny(dir, "ideal", edge_with({{"activation: {model: sram,", "activation: {model: ideal,"},
                                                              {"weight:     {model: sram,", "weight:     {model: ideal,"},
                                                              {"mask:       {model: sram,", "mask:       {model: ideal,"}}));
    check_same_bytes(sram, ideal);
    CHECK(ideal["cycles"].get<double>() <= sram["cycles"].get<double>());
    CHECK(ideal["buffers"]["activation"]["busy_cycles"].get<double>() == 0);
    CHECK(ideal["accelerator"]["buffers"]["activation"]["model"] == "ideal");

    // DRAM behind the same 25.6 GB/s peak (LPDDR3-1600, 4 x32 channels): bytes unchanged, the
    // row buffers report hits and misses, refresh ran, and the run can never beat the bound
    // main-memory bytes / peak bytes per cycle.
    const json dram = run_bert_tiny(dir, "dram", edge_with({{"  model: fixed_bandwidth", "  model: dram\n  preset: lpddr3-1600"}}));
    check_same_bytes(sram, dram);
    const json& counters = dram["main_memory"]["model_counters"];
    CHECK(counters["row_hits"].get<double>() > 0);
    CHECK(counters["row_misses"].get<double>() + counters["row_conflicts"].get<double>() > 0);
    CHECK(counters["refreshes"].get<double>() > 0);
    const double bytes = dram["bytes"]["main_memory"]["read"].get<double>() + dram["bytes"]["main_memory"]["write"].get<double>();
    const double peak_bytes_per_cycle = 25.6e9 / 700e6;
    CHECK(dram["cycles"].get<double>() >= bytes / peak_bytes_per_cycle);

    // A quarter of the channels (6.4 GB/s): every transfer takes longer, so the run does too.
    const json narrow = run_bert_tiny(
        dir, "dram1", edge_with({{"  model: fixed_bandwidth", "  model: dram\n  preset: lpddr3-1600\n  dram_channels: 1"}}));
    check_same_bytes(sram, narrow);
    CHECK(narrow["cycles"].get<double>() > dram["cycles"].get<double>());
    CHECK(narrow["cycles"].get<double>() >= bytes / (peak_bytes_per_cycle / 4));
}

TEST_CASE("the example plug-in builds out of tree against an installed AccelTran-SC and runs BERT-Tiny",
          "[integration][plugins][install][slow]") {
    ScratchDir dir("plugins-install");
    const ExamplePlugin example = build_example_plugin(dir);
    const std::string& plugin = example.library;

    auto r = run_installed(example, {"list", "--plugin", plugin});
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("throttled_sram  example plug-in") != std::string::npos);
    CHECK(r.out.find("[plug-in " + plugin + "]") != std::string::npos);
    CHECK(r.out.find("efficiency (number 0.01..1, default 0.5)") != std::string::npos);

    // BERT-Tiny with every buffer at a quarter of its bandwidth: same bytes, more cycles.
    const std::string accel = dir / "throttled.yaml";
    write_text(accel, edge_throttled("0.25"));
    auto run = [&](const std::string& out, const std::string& accel_file, bool with_plugin) {
        std::vector<std::string> args = {"run", "--model", "bert-tiny", "--accel", accel_file, "--out", out, "--quiet"};
        if (with_plugin) args.insert(args.end(), {"--plugin", plugin});
        return run_installed(example, args);
    };
    r = run(dir / "throttled", accel, true);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    const json throttled = load_json(dir / "throttled/summary.json");
    CHECK(throttled["accelerator"]["buffers"]["weight"]["model"] == "throttled_sram");
    CHECK(throttled["accelerator"]["buffers"]["weight"]["efficiency"] == 0.25);
    CHECK(throttled["buffers"]["weight"]["model_counters"]["accesses"].get<double>() > 0);
    // The plug-in is one of the run's inputs (docs/outputs.md, provenance).
    const json& inputs = throttled["provenance"]["inputs"];
    CHECK(std::any_of(inputs.begin(), inputs.end(), [&](const json& i) {
        return i["kind"] == "a plug-in" && i["path"] == fs::absolute(plugin).lexically_normal().string();
    }));
    r = run(dir / "baseline", kSourceDir + "/configs/accelerators/acceltran-edge.yaml", false);
    REQUIRE(r.exit_code == 0);
    const json baseline = load_json(dir / "baseline/summary.json");
    check_same_bytes(baseline, throttled);
    CHECK(throttled["cycles"].get<double>() > baseline["cycles"].get<double>());

    // Without --plugin the same YAML names a model nobody registered: a located input error.
    r = run(dir / "unloaded", accel, false);
    INFO(describe(r));
    CHECK(r.exit_code == 3);
    CHECK(r.out.find("unknown buffer model 'throttled_sram'") != std::string::npos);
}

TEST_CASE("sweep with --plugin runs a space that selects the plug-in's model and refuses it without",
          "[integration][plugins][sweep][install]") {
    ScratchDir dir("plugins-sweep");
    const ExamplePlugin example = build_example_plugin(dir);
    // Two points: every buffer on throttled_sram, the weight buffer at a twentieth or all of its
    // bandwidth. The base and the values are checked in the sweep process, so it must load the
    // plug-in too; --detail fast keeps each point well under a second. (A quarter of the
    // bandwidth costs BERT-Tiny about 0.1 % of its cycles, less than the fast level may depart
    // from the full one, model-reference.md §6a; a twentieth makes the weight port the bottleneck.)
    write_text(dir / "throttled.yaml", edge_throttled("0.5"));
    const std::string space = dir / "space.yaml";
    write_text(space,
               "accelerator: throttled.yaml\n"
               "models: bert-tiny\n"
               "detail: fast\n"
               "parameters:\n"
               "  buffers.weight.efficiency: [0.05, 1]\n");
    const std::string out = dir / "sweep";
    auto r = run_installed(example, {"sweep", "--space", space, "--out", out, "--plugin", example.library, "--jobs", "2",
                                     "--no-plot", "--no-progress"});
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("2 points (2 ok, 0 failed)") != std::string::npos);

    // Each point's run loaded the plug-in (its absolute path is in the point's arguments, which
    // Slurm array tasks read as well) and ran on its model.
    const json sweep = load_json(out + "/sweep.json");
    REQUIRE(sweep["points"].size() == 2);
    std::map<std::string, double> cycles;
    for (const auto& p : sweep["points"]) {
        const auto args = p["args"].get<std::vector<std::string>>();
        const auto at = std::find(args.begin(), args.end(), "--plugin");
        REQUIRE(at != args.end());
        REQUIRE(at + 1 != args.end());
        CHECK(fs::path(*(at + 1)) == fs::absolute(example.library).lexically_normal());
        const std::string id = p["id"].get<std::string>();
        const json summary = load_json(out + "/points/" + id + "/summary.json");
        const json& weight = summary["accelerator"]["buffers"]["weight"];
        CHECK(weight["model"] == "throttled_sram");
        CHECK(summary["accelerator"]["buffers"]["activation"]["efficiency"] == 0.5);
        CHECK(summary["buffers"]["weight"]["model_counters"]["accesses"].get<double>() > 0);
        cycles[p["values"][0].get<std::string>()] = summary["cycles"].get<double>();
        CHECK(weight["efficiency"].get<double>() == std::stod(p["values"][0].get<std::string>()));
    }
    REQUIRE(cycles.size() == 2);
    CHECK(cycles["0.05"] > cycles["1"]);  // the narrower weight port takes longer

    // Without --plugin the space names a model nobody registered: refused before anything runs.
    const std::string refused = dir / "refused";
    r = run_installed(example, {"sweep", "--space", space, "--out", refused, "--no-plot"});
    INFO(describe(r));
    CHECK(r.exit_code == 3);
    CHECK(r.out.find("unknown buffer model 'throttled_sram'") != std::string::npos);
    CHECK(r.out.find("registered buffer models: ideal, sram, banked_sram, double_buffered") != std::string::npos);
    CHECK_FALSE(fs::exists(refused + "/sweep.json"));
}
