// The model registry (core/model_registry.h): built-ins, selection of a model per
// YAML slot with typed parameters and defaults, and the located errors for an unknown model,
// an unknown parameter or a bad value.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "core/buffer_model.h"
#include "core/accelerator_config.h"
#include "core/config_node.h"
#include "core/errors.h"
#include "core/model_registry.h"

using namespace acceltran;

namespace {

const std::string kHeader =
    "name: t\n"
    "buffers:\n";
const std::string kOtherBuffers =
    "  weight: {size_mb: 1}\n"
    "  mask: {size_mb: 1}\n";

AcceleratorConfig parse_text(const std::string& text) {
    ConfigNode root = ConfigNode::load_string(text, "test.yaml");
    return parse_accelerator(root.yaml(), "test.yaml");
}

std::string error_of(const std::string& text) {
    try {
        parse_text(text);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

bool has_name(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("ModelRegistry: the built-in buffer and memory models are registered", "[unit][model_registry]") {
    const ModelRegistry& r = ModelRegistry::instance();
    const auto buffers = r.names(ModelKind::Buffer), memories = r.names(ModelKind::Memory);
    for (const char* n : {"ideal", "sram", "banked_sram", "double_buffered"}) CHECK(has_name(buffers, n));
    for (const char* n : {"fixed_bandwidth", "dram", "l2_cache"}) CHECK(has_name(memories, n));
    CHECK(buffers.size() == 4);
    CHECK(memories.size() == 3);
    CHECK(r.find(ModelKind::Buffer, "dram") == nullptr);  // kinds are separate name spaces
    CHECK(r.find(ModelKind::Memory, "dram")->origin == "built-in");
}

TEST_CASE("ModelRegistry: a YAML slot selects a model and its parameters, the rest default", "[unit][model_registry]") {
    const AcceleratorConfig c = parse_text(kHeader +
                                           "  activation: {model: banked_sram, size_mb: 1, banks: 8, block_bytes: 128}\n" +
                                           kOtherBuffers +
                                           "main_memory: {model: dram, preset: hbm2, page_policy: closed, trcd_ns: 20}\n");
    CHECK(c.activation_buffer.model == "banked_sram");
    CHECK(c.activation_buffer.banks == 8);  // a shared geometry key
    CHECK(c.activation_buffer.model_parameters.integer("block_bytes") == 128);
    CHECK(c.activation_buffer.model_parameters.given("block_bytes"));
    CHECK(c.weight_buffer.model == "sram");  // the default model, with its defaults
    CHECK(c.weight_buffer.model_parameters.integer("ports") == 1);
    CHECK_FALSE(c.weight_buffer.model_parameters.given("ports"));
    CHECK(c.main_memory.model == "dram");
    CHECK(c.main_memory.model_parameters.text("preset") == "hbm2");
    CHECK(c.main_memory.model_parameters.text("page_policy") == "closed");
    CHECK(c.main_memory.model_parameters.number("trcd_ns") == 20);
    CHECK(c.main_memory.model_parameters.given("trcd_ns"));
    CHECK_FALSE(c.main_memory.model_parameters.given("trp_ns"));
}

TEST_CASE("ModelRegistry: an unknown model is a located error that lists the registered ones", "[unit][model_registry]") {
    const std::string e = error_of(kHeader + "  activation:\n    model: banked_sarm\n    size_mb: 1\n" + kOtherBuffers);
    INFO(e);
    CHECK(e.find("test.yaml:4:12") != std::string::npos);  // file:line:column of the value
    CHECK(e.find("buffers.activation.model") != std::string::npos);
    CHECK(e.find("unknown buffer model 'banked_sarm'") != std::string::npos);
    CHECK(e.find("did you mean 'banked_sram'") != std::string::npos);
    CHECK(e.find("ideal, sram, banked_sram, double_buffered") != std::string::npos);

    const std::string m = error_of(kHeader + "  activation: {size_mb: 1}\n" + kOtherBuffers + "main_memory: {model: hbm}\n");
    INFO(m);
    CHECK(m.find("unknown memory model 'hbm'") != std::string::npos);
    CHECK(m.find("fixed_bandwidth, dram") != std::string::npos);
}

TEST_CASE("ModelRegistry: a parameter the model does not have is an error listing what it has", "[unit][model_registry]") {
    // `ports` belongs to sram, not to banked_sram.
    const std::string e = error_of(kHeader + "  activation: {model: banked_sram, size_mb: 1, ports: 2}\n" + kOtherBuffers);
    INFO(e);
    CHECK(e.find("test.yaml:3:") != std::string::npos);
    CHECK(e.find("buffers.activation: unknown key 'ports'") != std::string::npos);
    CHECK(e.find("block_bytes") != std::string::npos);
    CHECK(e.find("size_mb") != std::string::npos);
}

TEST_CASE("ModelRegistry: a parameter value outside its range says what was expected and found", "[unit][model_registry]") {
    const std::string e = error_of(kHeader + "  activation: {model: sram, size_mb: 1, ports: 3}\n" + kOtherBuffers);
    INFO(e);
    CHECK(e.find("buffers.activation.ports: expected an integer from 1 to 2, found '3'") != std::string::npos);
    const std::string c = error_of(kHeader + "  activation: {size_mb: 1}\n" + kOtherBuffers +
                                   "main_memory: {model: dram, page_policy: half_open}\n");
    INFO(c);
    CHECK(c.find("main_memory.page_policy: expected one of open, closed") != std::string::npos);
    const std::string p = error_of(kHeader + "  activation: {size_mb: 1}\n" + kOtherBuffers +
                                   "main_memory: {model: dram, preset: ddr5}\n");
    CHECK(p.find("lpddr3-1600, hbm2, rram-m3d") != std::string::npos);
}

namespace {
class NullBuffer : public BufferModel {
public:
    NullBuffer(const ModelContext&, const ModelParameters&) {}
    double access(const AccessRequest& r) override { return r.arrival; }
    ModelStats stats() const override { return {}; }
    double peak_bytes_per_cycle() const override { return 1; }
};
}  // namespace

TEST_CASE("ModelRegistry: a duplicate name or a default outside its own range is refused at registration",
          "[unit][model_registry]") {
    ModelRegistry r;  // a private registry, not the process-wide one
    r.add(buffer_model_entry<NullBuffer>("null", "test", {}));
    CHECK_THROWS_WITH(r.add(buffer_model_entry<NullBuffer>("null", "again", {})),
                      Catch::Contains("already registered"));
    CHECK_THROWS_WITH(r.add(buffer_model_entry<NullBuffer>("bad", "test", {ParameterSpec::integer("n", 5, 1, 4, "n")})),
                      Catch::Contains("not a valid integer 1..4"));
    // A registered model is found and built with its defaults filled in.
    const ModelSelection s = r.defaults(ModelKind::Buffer, "null");
    CHECK(r.create(ModelKind::Buffer, s, ModelContext{})->access(AccessRequest{false, 0, 8, 3.0, 0}) == 3.0);
}
