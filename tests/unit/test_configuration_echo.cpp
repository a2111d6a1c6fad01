// summary.json's configuration echo (modules/simulation/run_summary.h): main memory's parameters
// are shown with the figures its model runs with (MemoryModel::effective_parameters), not the 0
// that means "the preset's", for the built-in dram and for any other memory model alike.
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/accelerator_config.h"
#include "core/config_node.h"
#include "core/memory_model.h"
#include "core/model_registry.h"
#include "modules/memory/dram_memory_model.h"
#include "modules/simulation/run_summary.h"

using namespace acceltran;

namespace {

AcceleratorConfig echo_config(const std::string& main_memory) {
    ConfigNode root = ConfigNode::load_string("name: t\nbuffers:\n  activation: {size_mb: 1}\n  weight: {size_mb: 1}\n"
                                              "  mask: {size_mb: 1}\nmain_memory: " + main_memory + "\n",
                                              "echo.yaml");
    return parse_accelerator(root.yaml(), "echo.yaml");
}

// A memory model with a preset of its own, as a plug-in could have: `lanes: 0` means 8.
class PresetEchoMemory : public MemoryModel {
public:
    PresetEchoMemory(const ModelContext&, const ModelParameters& p)
        : lanes_(p.integer("lanes") == 0 ? 8 : p.integer("lanes")) {}
    double access(const AccessRequest& r) override { return r.arrival + 1; }
    ModelStats stats() const override { return {}; }
    double peak_bytes_per_cycle() const override { return double(lanes_); }
    std::vector<std::pair<std::string, double>> effective_parameters() const override {
        return {{"lanes", double(lanes_)}, {"undeclared", 1}};
    }

private:
    std::int64_t lanes_;
};

}  // namespace

TEST_CASE("the main-memory echo shows the dram preset's figures for parameters left to it", "[unit][echo][dram]") {
    const nlohmann::json m =
        accelerator_json(echo_config("{model: dram, preset: hbm2, trcd_ns: 20}"))["main_memory"];
    const DramTiming hbm2 = dram_preset("hbm2");
    CHECK(m["preset"] == "hbm2");
    CHECK(m["trcd_ns"].get<double>() == 20);  // given: as given
    CHECK(m["trp_ns"].get<double>() == hbm2.trp_ns);
    CHECK(m["dram_channels"].get<double>() == hbm2.channels);
    CHECK(m["data_rate_mtps"].get<double>() == hbm2.data_rate_mtps);
    CHECK(m["trefi_ns"].get<double>() == hbm2.trefi_ns);
    // The shared keys are the YAML's own (the dram model does not read them).
    CHECK(m["bandwidth_gbps"].get<double>() > 0);
}

TEST_CASE("the main-memory echo asks any memory model for its effective parameters", "[unit][echo]") {
    ModelRegistry::instance().add(memory_model_entry<PresetEchoMemory>(
        "preset_echo", "test model with a preset",
        {ParameterSpec::integer("lanes", 0, 0, 64, "lanes (0: the preset's 8)"),
         ParameterSpec::integer("width", 4, 1, 64, "width")}));
    nlohmann::json m = accelerator_json(echo_config("{model: preset_echo, width: 16}"))["main_memory"];
    CHECK(m["lanes"].get<double>() == 8);
    CHECK(m["width"].get<double>() == 16);
    CHECK_FALSE(m.contains("undeclared"));  // only declared parameters are echoed
    m = accelerator_json(echo_config("{model: preset_echo, lanes: 2}"))["main_memory"];
    CHECK(m["lanes"].get<double>() == 2);
    // A model that reports nothing (fixed_bandwidth) is echoed as configured.
    m = accelerator_json(echo_config("{model: fixed_bandwidth, bandwidth_gbps: 12.5}"))["main_memory"];
    CHECK(m["model"] == "fixed_bandwidth");
    CHECK(m["bandwidth_gbps"].get<double>() == 12.5);
}
