// The analytic cost of a fused chain (OpCostModel::evaluate_fused, docs/mapping.md §11.3): the
// intermediate's main-memory traffic leaves the sum of the ops' costs, a whole producer changes
// nothing, and the consumers run after the producer's blocks, wave by wave.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "core/accelerator_config.h"
#include "explore/op_cost_model.h"
#include "modules/power/technology.h"
#include "tests/unit/shipped_design.h"
#include "workloads/generation.h"
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

TEST_CASE("a chain apart loads a blocked producer's output, and a stored-along output costs its reload", "[fusion][cost_model]") {
    const AcceleratorConfig edge = load_accelerator("acceltran-edge", kConfigs);
    const OpCostModel model(edge, power::load_technology(edge.technology, kConfigs));
    const workloads::CompileOptions o = compile_options(edge);
    const workloads::OpGraph g = workloads::build_op_graph(workloads::load_model("bert-base", kModelsDir), 512, 1, o);
    const OpShape out = OpShape::of(g, g.op("l0.attn.out"), o);
    const OpShape add = OpShape::of(g, g.op("l0.attn.residual"), o);
    const OpShape ln = OpShape::of(g, g.op("l0.attn.ln"), o);
    const MappingChoice d = model.default_choice();
    MappingChoice rows = d;
    rows.block = {1, 128, 0};
    const OpCost p = model.evaluate(out, rows), a = model.evaluate(add, d), n = model.evaluate(ln, d);
    REQUIRE(p.blocks == 4);
    REQUIRE((a.fits && a.blocks == 1 && n.fits));
    // Apart, the whole add first loads the output the blocked W_out stored: its bytes once.
    const OpCost apart = model.evaluate_apart(out, rows, {add, ln}, {d, d});
    REQUIRE(apart.fits);
    CHECK(apart.memory_bytes == Approx(p.memory_bytes + a.memory_bytes + n.memory_bytes + p.out_store_bytes));
    CHECK(apart.energy_j > p.energy_j + a.energy_j + n.energy_j);
    CHECK(apart.cycles > p.cycles + a.cycles + n.cycles);
    // A blocked add already counts its loads (its spill stands for the producer's stores); a
    // whole producer stores nothing.
    MappingChoice add_rows = d;
    add_rows.block = rows.block;
    const OpCost ab = model.evaluate(add, add_rows);
    CHECK(model.evaluate_apart(out, rows, {add, ln}, {add_rows, d}).memory_bytes ==
          Approx(p.memory_bytes + ab.memory_bytes + n.memory_bytes));
    const OpCost pw = model.evaluate(out, d);
    CHECK(model.evaluate_apart(out, d, {add, ln}, {d, d}).memory_bytes == Approx(pw.memory_bytes + a.memory_bytes + n.memory_bytes));

    // W_out + add + layer-norm, W_out blocked by columns alone: one row block, yet the chain runs
    // in the planner's blocked path, so the add is costed in blocks (its residual spilled and
    // loaded, its output stored) rather than whole.
    MappingChoice cols = model.default_choice();
    cols.block = {0, 0, 256};
    MappingChoice in_blocks = model.default_choice();
    in_blocks.in_blocks = true;
    const OpCost add_whole = model.evaluate(add, model.default_choice());
    const OpCost add_blocked = model.evaluate(add, in_blocks);
    REQUIRE(add_blocked.fits);
    CHECK(add_whole.out_store_bytes == 0);
    CHECK(add_blocked.out_store_bytes > 0);
    CHECK(add_blocked.memory_bytes > add_whole.memory_bytes);
    // Stored along (a pre-norm residual stream), the add's stores stay and its readers load it
    // back: twice its stores more than when it stays in the chain.
    const OpCost kept = model.evaluate_fused(out, cols, {add, ln}, {model.default_choice(), model.default_choice()});
    const OpCost along =
        model.evaluate_fused(out, cols, {add, ln}, {model.default_choice(), model.default_choice()}, {true, false});
    REQUIRE(kept.fits);
    REQUIRE(along.fits);
    REQUIRE(kept.blocks > 1);
    CHECK(along.memory_bytes == Approx(kept.memory_bytes + 2 * add_blocked.out_store_bytes));
    CHECK(along.energy_j > kept.energy_j);
}

// docs/mapping.md §11.3, the chain's time: the producer's blocks as §6.4 times them, without
// their stores (the rows stay on chip), then the consumers, which receive their rows in waves of
// the blocks that ran side by side. BERT-Tiny's Q.K^T (4 x 64 x 64 x 64) on Edge cut to 4 PEs
// (64 lanes, 16 softmax units), the setting of §10.2.
TEST_CASE("a fused chain's time is its producer's blocks and then its consumers wave by wave", "[fusion][cost_model]") {
    const AcceleratorConfig edge =
        load_accelerator("acceltran-edge", kConfigs, {"pe.count=4", "main_memory.bandwidth_gbps=2560"});
    const OpCostModel model(edge, power::load_technology(edge.technology, kConfigs));
    const workloads::CompileOptions o = compile_options(edge);
    const workloads::OpGraph g = workloads::build_op_graph(workloads::load_model("bert-tiny", kModelsDir), 64, 2, o);
    const OpShape scores = OpShape::of(g, g.op("l0.attn.scores"), o);
    const OpShape probs = OpShape::of(g, g.op("l0.attn.probs"), o);
    struct WaveCase {
        workloads::MemoryBlock block;
        workloads::TileShape tile;
        double side_by_side, waves;
    };
    // 8 row blocks of 32 rows in (1, 16, 16) tiles take 8 lanes each: all 8 run at once, one
    // wave. 32 row blocks of 8 rows in (1, 8, 16) tiles take 4 lanes each: 16 at once, two waves.
    for (const WaveCase& w : {WaveCase{{1, 32, 0}, {1, 16, 16}, 8, 1}, WaveCase{{1, 8, 0}, {1, 8, 16}, 16, 2}}) {
        MappingChoice m = model.default_choice();
        m.block = w.block;
        m.tile = w.tile;
        MappingChoice kept = m;
        kept.keep_output_rows = true;
        MappingChoice c = model.default_choice();
        c.block = w.block;
        c.in_blocks = true;
        const OpCost apart = model.evaluate(scores, m), producer = model.evaluate(scores, kept),
                     consumer = model.evaluate(probs, c);
        REQUIRE(producer.fits);
        REQUIRE(consumer.fits);
        CHECK(producer.side_by_side == w.side_by_side);
        CHECK(producer.cycles < apart.cycles);  // no output stores
        const OpCost f = model.evaluate_fused(scores, m, {probs}, {model.default_choice()});
        REQUIRE(f.fits);
        // The probabilities (4 x 64 x 64 values) stay on chip: no last stores.
        const double tp = producer.cycles, cc = consumer.core_cycles;
        CHECK(f.cycles == Approx(std::max(tp + cc / w.waves, tp / w.waves + cc)));
    }
}

// docs/mapping.md §6.3: a blocked op spills the inputs that are on chip alone before its blocks
// (plan_blocked). A decoder's first residual add reads the embedding rows, gathered from main
// memory, which have a home there: no spill of them; the next layer's add reads the residual
// stream, an activation, which is spilled.
TEST_CASE("a blocked add spills its residual unless it has a home in main memory", "[fusion][cost_model]") {
    const AcceleratorConfig edge = load_accelerator("acceltran-edge", kConfigs);
    const OpCostModel model(edge, power::load_technology(edge.technology, kConfigs));
    const workloads::CompileOptions o = compile_options(edge);
    workloads::GenerationOptions options;
    options.prompt_len = 64;
    options.gen_len = 0;
    options.batch = 2;
    options.buffers = o;
    const workloads::OpGraph g = workloads::build_generation_graph(
        workloads::load_model_yaml(acceltran::testing::kSourceDir + "/tests/data/models/tiny-llama.yaml"), options);
    const OpShape first = OpShape::of(g, g.op("prefill.l0.attn.residual"), o);
    const OpShape next = OpShape::of(g, g.op("prefill.l1.attn.residual"), o);
    CHECK(first.second_in_memory);
    CHECK_FALSE(next.second_in_memory);
    CHECK_FALSE(first == next);  // one shape each: their blocks cost differently
    MappingChoice m = model.default_choice();
    m.block = {1, 0, 0};
    const OpCost a = model.evaluate(first, m), b = model.evaluate(next, m);
    REQUIRE(a.fits);
    REQUIRE(b.fits);
    CHECK(a.spills == 1);  // its A, the attention output
    CHECK(b.spills == 2);  // its A and the residual stream
    CHECK(b.memory_bytes - a.memory_bytes == Approx(a.a_spill_bytes));  // the residual's bytes are A's
}
