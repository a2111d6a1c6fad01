// Layer sampling (docs/model-reference.md §6b): how many layers a setting simulates, which
// models may be sampled, and which program entries are marked repeated (the owner rule of
// ops.csv, the write-back of a graph output kept).
#include <catch2/catch.hpp>

#include <string>

#include "core/accelerator_config.h"
#include "core/errors.h"
#include "modules/accelerator.h"
#include "tests/source_tree.h"
#include "workloads/buffer_planner.h"
#include "workloads/graph_builder.h"
#include "workloads/layer_sampling.h"
#include "workloads/model_spec.h"
#include "workloads/tiled_program.h"

using namespace acceltran;
using namespace acceltran::workloads;
using acceltran::testing::kConfigs;
using Catch::Matchers::Contains;

namespace {

ModelSpec uniform_encoder(int layers) {
    ModelSpec m;
    m.name = "uniform";
    set_uniform_layers(m, layers, 128, 2, 0, 512);
    return m;
}

}  // namespace

TEST_CASE("the layers simulated per phase follow the setting, auto sampling only deep uniform models", "[unit][layer_sampling]") {
    CHECK(sampled_layer_count(uniform_encoder(12), 0) == 0);
    CHECK(sampled_layer_count(uniform_encoder(12), 3) == 3);
    CHECK(sampled_layer_count(uniform_encoder(12), 12) == 0);  // covers every layer
    CHECK(sampled_layer_count(uniform_encoder(12), 40) == 0);
    CHECK(sampled_layer_count(uniform_encoder(kAutoLayerSamplingAbove), kAutoLayerSampling) == 0);
    CHECK(sampled_layer_count(uniform_encoder(kAutoLayerSamplingAbove + 1), kAutoLayerSampling) == kAutoSimulatedLayers);
    CHECK_THROWS_AS(sampled_layer_count(uniform_encoder(12), 1), UsageError);
    CHECK_THROWS_AS(sampled_layer_count(uniform_encoder(12), -2), UsageError);
}

TEST_CASE("a model whose layers differ in shape is refused a layer sample and never sampled by default", "[unit][layer_sampling]") {
    ModelSpec m = uniform_encoder(60);
    m.layers[7].ffn = {1024};
    CHECK_FALSE(identical_layers(m));
    CHECK(sampled_layer_count(m, kAutoLayerSampling) == 0);
    CHECK(sampled_layer_count(m, 0) == 0);
    CHECK_THROWS_WITH(sampled_layer_count(m, 4), Contains("model 'uniform'") && Contains("layer 7 differs from layer 0") &&
                                                      Contains("--simulated-layers 0"));
    ModelSpec heads = uniform_encoder(5);
    heads.layers[3].heads[1].width = 32;
    CHECK_THROWS_WITH(sampled_layer_count(heads, 2), Contains("layer 3 differs"));
}

TEST_CASE("the entries owned by layers past the sample are marked repeated, the graph output's write-back is not", "[unit][layer_sampling]") {
    const ModelSpec model = uniform_encoder(6);
    const OpGraph graph = build_op_graph(model, 64, 1, compile_options(load_accelerator("acceltran-edge", kConfigs)));
    TiledProgram program = compile_program(graph, compile_options(load_accelerator("acceltran-edge", kConfigs)));
    const std::uint64_t marked = mark_repeated_layers(program, 2);
    const std::vector<int> owner = entry_owner_ops(program);
    std::uint64_t counted = 0, outputs = 0;
    for (std::size_t e = 0; e < program.entries.size(); ++e) {
        const ProgramEntry& entry = program.entries[e];
        const Op& op = graph.ops[std::size_t(owner[e])];
        const bool output = entry.kind == EntryKind::Store && graph.consumers[std::size_t(entry.tensor)].empty();
        INFO("entry " << e << " owned by " << op.name);
        CHECK(entry.repeated == (!output && op.layer >= 2));
        counted += entry.repeated ? 1 : 0;
        outputs += output ? 1 : 0;
        if (entry.kind == EntryKind::Compute) CHECK(owner[e] == entry.op);
    }
    CHECK(marked == counted);
    CHECK(outputs >= 1);  // the last layer's result is written back, and stays simulated
    // Four of the six layers are repeats: more than half of the compute entries.
    std::uint64_t compute = 0, repeated_compute = 0;
    for (const auto& entry : program.entries)
        if (entry.kind == EntryKind::Compute) {
            ++compute;
            repeated_compute += entry.repeated ? 1 : 0;
        }
    CHECK(repeated_compute * 2 > compute);
    CHECK(mark_repeated_layers(program, 6) == 0);  // a sample of every layer repeats none
}
