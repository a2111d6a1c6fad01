// The analytic cost of a fused chain (OpCostModel::evaluate_fused, docs/mapping.md §11.3): the
// intermediate's main-memory traffic leaves the sum of the ops' costs, a whole producer changes
// nothing, and the consumers' compute joins the producer's block pipeline.
#include <catch2/catch.hpp>

#include <vector>

#include "core/accelerator_config.h"
#include "explore/op_cost_model.h"
#include "modules/power/technology.h"
#include "tests/unit/shipped_design.h"
#include "workloads/graph_builder.h"
#include "workloads/model_spec.h"

using namespace acceltran;
using namespace acceltran::explore;
using acceltran::testing::kConfigs;
using acceltran::testing::kModelsDir;

TEST_CASE("a fused Q x K^T and softmax costs the pair without the scores' traffic", "[fusion][cost_model]") {
    const AcceleratorConfig edge = load_accelerator("acceltran-edge", kConfigs);
    const OpCostModel model(edge, power::load_technology(edge.technology, kConfigs));
    const workloads::CompileOptions o = compile_options(edge);
    const workloads::OpGraph g = workloads::build_op_graph(workloads::load_model("bert-base", kModelsDir), 512, 1, o);
    const OpShape scores = OpShape::of(g, g.op("l0.attn.scores"), o);
    const OpShape probs = OpShape::of(g, g.op("l0.attn.probs"), o);
    MappingChoice m = model.default_choice();
    m.block = {1, 0, 0};  // one head per block, as the compiler's default at 512 (§9)
    MappingChoice c = model.default_choice();
    c.block = m.block;
    const OpCost p = model.evaluate(scores, m), s = model.evaluate(probs, c);
    REQUIRE(p.fits);
    REQUIRE(s.fits);
    REQUIRE(p.blocks == 12);
    const OpCost f = model.evaluate_fused(scores, m, {probs}, {model.default_choice()});
    REQUIRE(f.fits);
    // The scores' stores, and the softmax's spill and load of them, stay on chip: three times
    // the scores' bytes, each the size the producer stores. The probabilities (3,145,728 values:
    // 3.9 MB of data and 0.4 MB of masks) do not fit beside the blocks in Edge's 4 MiB activation
    // buffer, so they are still stored.
    CHECK(s.out_store_bytes > 4.0 * 1024 * 1024 - f.footprint[0]);
    CHECK(p.out_store_bytes > 0);
    CHECK(s.a_load_bytes == Approx(p.out_store_bytes));
    CHECK(f.memory_bytes == Approx(p.memory_bytes + s.memory_bytes - 3 * p.out_store_bytes));
    CHECK(f.busy_unit_cycles == Approx(p.busy_unit_cycles + s.busy_unit_cycles));
    CHECK(f.cycles < p.cycles + s.cycles);
    CHECK(f.energy_j < p.energy_j + s.energy_j);
    // Never faster than the producer alone.
    CHECK(f.cycles >= p.cycles - p.spill_cycles);

    // Whole (one block), the pair costs what the two ops cost.
    const OpCost pw = model.evaluate(scores, model.default_choice());
    const OpCost sw = model.evaluate(probs, model.default_choice());
    const OpCost fw = model.evaluate_fused(scores, model.default_choice(), {probs}, {model.default_choice()});
    if (pw.fits && sw.fits) {
        CHECK(fw.memory_bytes == Approx(pw.memory_bytes + sw.memory_bytes));
        CHECK(fw.cycles == Approx(pw.cycles + sw.cycles));
    }
}
