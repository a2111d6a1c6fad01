// Per-op mappings (docs/mapping.md): the default mapping a compiled graph records, with today's
// weight slicing as its main-memory blocking, and the stationary operand its loop order implies.
#include <catch2/catch.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "core/accelerator_config.h"
#include "modules/accelerator.h"
#include "tests/unit/shipped_design.h"
#include "workloads/generation.h"
#include "workloads/graph_builder.h"
#include "workloads/mapping_plan.h"
#include "workloads/model_spec.h"

using namespace acceltran;
using namespace acceltran::workloads;
using acceltran::testing::kConfigs;
using acceltran::testing::kModelsDir;
using acceltran::testing::shipped;

TEST_CASE("a graph that fits maps every op whole, one mapping per op", "[mapping]") {
    const CompileOptions o = shipped("acceltran-edge");
    const OpGraph g = build_op_graph(load_model("bert-tiny", kModelsDir), 128, 4, o);
    const MappingPlan plan = MappingPlan::derive(g, o);
    REQUIRE(plan.ops().size() == g.ops.size());
    for (std::size_t i = 0; i < g.ops.size(); ++i) {
        const OpMapping& m = plan.ops()[i];
        INFO(g.ops[i].name);
        CHECK(m.op() == g.ops[i].name);
        CHECK(m.memory_block().kind == WeightSplit::Kind::Whole);
        CHECK_FALSE(m.double_buffered());
        CHECK(m.buffer_tile().x == o.tile.x);
        CHECK(m.loop_order() == o.loop_order);
    }
    CHECK(plan.of("l0.attn.probs").stationary() == OpMapping::Stationary::None);
    CHECK_THROWS_AS(plan.of("l0.nonexistent"), std::out_of_range);
}

TEST_CASE("the stationary operand is the one the innermost loop leaves alone", "[mapping]") {
    const auto stationary = [](const char* order, bool batched) {
        return OpMapping("mm", OpKind::MatMul, batched, WeightSplit{}, false, TileShape{}, LoopOrder::parse(order))
            .stationary();
    };
    CHECK(stationary("b_i_j_k", false) == OpMapping::Stationary::Output);
    CHECK(stationary("b_i_k_j", false) == OpMapping::Stationary::Input);
    CHECK(stationary("b_k_j_i", false) == OpMapping::Stationary::Weight);
    CHECK(stationary("i_j_k_b", false) == OpMapping::Stationary::Weight);
    CHECK(stationary("i_j_k_b", true) == OpMapping::Stationary::None);
}

TEST_CASE("llama-1b on Edge: weight slicing is the main-memory blocking of its mappings", "[mapping][generation]") {
    // The slices test_weight_slicing derives by hand: gate/up in six column blocks (1376, 1376,
    // then 1360 four times), down in six depth groups of one gate slice each, the LM head in 79
    // column blocks; every block fits twice.
    const CompileOptions o = shipped("acceltran-edge");
    GenerationOptions run;
    run.prompt_len = 32;
    run.gen_len = 4;
    run.buffers = o;
    const OpGraph g = build_generation_graph(load_model("llama-1b", kModelsDir), run);
    const MappingPlan plan = MappingPlan::derive(g, o);
    for (const std::string step : {"prefill.", "decode4."}) {
        INFO(step);
        const OpMapping& gate = plan.of(step + "l0.ffn.gate");
        CHECK(gate.memory_block().kind == WeightSplit::Kind::Columns);
        CHECK(gate.memory_block().sizes == std::vector<std::int64_t>{1376, 1376, 1360, 1360, 1360, 1360});
        CHECK(gate.double_buffered());
        CHECK(plan.of(step + "l0.ffn.swiglu").memory_block().sizes == gate.memory_block().sizes);
        const OpMapping& down = plan.of(step + "l3.ffn.down");
        CHECK(down.memory_block().kind == WeightSplit::Kind::Depth);
        CHECK(down.memory_block().sizes == gate.memory_block().sizes);
        CHECK(down.memory_block().parts == std::vector<std::size_t>(6, 1));
        CHECK(down.double_buffered());
        CHECK(plan.of(step + "lm_head").memory_block().sizes.size() == 79);
        CHECK(plan.of(step + "l0.attn.q").memory_block().kind == WeightSplit::Kind::Whole);
        // The adds accumulating the depth groups belong to the down projection's mapping.
        CHECK_THROWS_AS(plan.of(step + "l3.ffn.down.sum1"), std::out_of_range);
    }
    std::ostringstream yaml;
    plan.write_yaml(yaml, "default");
    CHECK(yaml.str().find("  - op: prefill.l3.ffn.down\n    memory_block: depth [1376, 1376, 1360, 1360, 1360, 1360]\n"
                          "    depth_parts: [1, 1, 1, 1, 1, 1]\n    double_buffering: true\n") != std::string::npos);
}
