// Generation graphs compiled for the shipped accelerators (the KV cache planned like any other
// tensor), causal masking at tile level, and the per-tile cost rules of the decoder op kinds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "modules/accelerator.h"
#include "core/accelerator_config.h"
#include "modules/compute/layer_norm_unit.h"
#include "modules/compute/mac_lane.h"
#include "modules/compute/softmax_unit.h"
#include "modules/compute/tile_density.h"
#include "modules/compute/tile_timing.h"
#include "tests/source_tree.h"
#include "workloads/generation.h"
#include "workloads/model_spec.h"
#include "workloads/tiled_program.h"
#include "workloads/tiling.h"
#include "workloads/buffer_planner.h"

using namespace acceltran;
using namespace acceltran::workloads;
using acceltran::testing::kModelsDir;
using acceltran::testing::kConfigs;

namespace {


GenerationOptions program_shape(int prompt, int gen, int batch) {
    GenerationOptions o;
    o.prompt_len = prompt;
    o.gen_len = gen;
    o.batch = batch;
    return o;
}

// A causal attention op of `batch` x `rows` queries (`group` rows per position) over as many
// keys, as the prefill builds it: Q.K^T (keys on n), softmax, or probs x V (keys on k).
Op causal_op(OpKind kind, bool transposed, std::int64_t batch, std::int64_t rows, std::int64_t group,
             std::int64_t width) {
    Op o;
    o.kind = kind;
    o.batch = batch;
    o.m = rows;
    const std::int64_t keys = rows / group;
    o.n = kind == OpKind::MatMul && !transposed ? width : keys;
    o.k = kind != OpKind::MatMul ? 0 : transposed ? width : keys;
    o.b_batched = kind == OpKind::MatMul;
    o.b_transposed = transposed;
    o.causal.on = true;
    o.causal.group = group;
    return o;
}

}  // namespace

TEST_CASE("GPT-2 small, prompt 32 and 8 decode steps, compiles on both shipped accelerators",
          "[generation][tiled_program]") {
    const ModelSpec m = load_model("gpt2", kModelsDir);
    const OpGraph g = build_generation_graph(m, program_shape(32, 8, 1));
    for (const char* accel : {"acceltran-edge", "acceltran-server"}) {
        INFO(accel);
        const CompileOptions options = compile_options(load_accelerator(accel, kConfigs));
        const TiledProgram p = compile_program(g, options);
        CHECK(p.totals.compute_entries == g.ops.size());
        std::uint64_t macs = 0;
        for (const Op& o : g.ops) macs += std::uint64_t(o.macs());
        CHECK(p.totals.macs == macs);

        std::vector<int> entry_of_op(g.ops.size(), -1);
        std::vector<int> spills(g.tensors.size(), 0);
        for (std::size_t e = 0; e < p.entries.size(); ++e) {
            const ProgramEntry& en = p.entries[e];
            if (en.kind == EntryKind::Compute) entry_of_op[en.op] = int(e);
            if (en.kind == EntryKind::Spill) spills[en.tensor]++;
            for (std::uint32_t d : en.deps) CHECK(d < e);
        }
        for (std::size_t t = 0; t < g.tensors.size(); ++t) {
            // A cache segment is written home at most once, however often it is reloaded.
            if (g.tensors[t].cache != CacheRole::None) CHECK(spills[t] <= 1);
            // The next token's row is loaded after every logits slice of the previous step.
            if (g.tensors[t].known_after.empty()) continue;
            for (const ProgramEntry& en : p.entries) {
                if (en.kind != EntryKind::Load || en.tensor != int(t)) continue;
                for (int o : g.tensors[t].known_after)
                    CHECK(std::count(en.deps.begin(), en.deps.end(), std::uint32_t(entry_of_op[o])) == 1);
            }
        }
        // Decode step 8's attention waits for the step-1 key segment of its layer, produced by
        // an earlier step's compute entry.
        const ProgramEntry& scores = p.entries[entry_of_op[g.op("decode8.l7.attn.scores").id]];
        CHECK(scores.grid.n == 40);
        CHECK(scores.uses.size() >= 1 + 9 + 1);  // query, 9 key segments, output
    }
}

TEST_CASE("causal tiles: masked tiles do not run and the rest add up to the op", "[generation][tiling]") {
    struct Case { OpKind kind; bool transposed; std::int64_t batch, rows, group, width; };
    for (const Case& c : {Case{OpKind::MatMul, true, 3, 37, 1, 20}, Case{OpKind::MatMul, false, 2, 40, 4, 24},
                          Case{OpKind::Softmax, false, 2, 45, 3, 0}, Case{OpKind::MatMul, true, 1, 64, 2, 16}}) {
        const Op o = causal_op(c.kind, c.transposed, c.batch, c.rows, c.group, c.width);
        for (const TileShape shape : {TileShape{1, 16, 16}, TileShape{2, 8, 16}, TileShape{1, 16, 8}}) {
            const TileGrid grid = make_tile_grid(o, shape);
            for (const LoopOrder& order : {LoopOrder::parse("b_i_j_k"), LoopOrder::parse("k_j_i_b"),
                                           LoopOrder::parse("i_k_b_j")}) {
                INFO("kind " << to_string(o.kind) << " rows " << c.rows << " order " << order.str()
                             << " tile " << shape.x << "x" << shape.y);
                // Several jobs over the output range, as the control block splits an op.
                const std::uint64_t outputs = grid.output_tiles(), jobs = 3;
                std::uint64_t tiles = 0, macs = 0, visible = 0, written = 0;
                for (std::uint64_t j = 0; j < jobs; ++j) {
                    LaneTileSequence seq(grid, order, j * outputs / jobs, (j + 1) * outputs / jobs);
                    TileStep step;
                    bool open = false;
                    while (seq.next(step)) {
                        CHECK(!grid.masked(step.index));
                        CHECK(grid.visible(step.index) > 0);
                        ++tiles;
                        macs += grid.macs(step.index);
                        visible += grid.visible(step.index);
                        written += step.write_output;
                        // A k chain ends at its last unmasked step, with nothing left parked.
                        CHECK(!(step.write_output && step.write_psum));
                        open = step.write_psum || (!step.write_output && grid.matmul);
                    }
                    CHECK(!open);
                }
                CHECK(tiles == grid.tiles());
                if (o.kind == OpKind::MatMul) CHECK(macs == std::uint64_t(o.macs()));
                if (o.kind == OpKind::Softmax) CHECK(visible == std::uint64_t(o.active_elements()));
                // Every output block with an unmasked pair is written exactly once.
                std::uint64_t live_outputs = 0;
                for (std::int64_t b = 0; b < grid.nb; ++b)
                    for (std::int64_t i = 0; i < grid.ni; ++i)
                        for (std::int64_t jj = 0; jj < grid.nj; ++jj)
                            live_outputs += !grid.masked(TileIndex{b, i, jj, 0});
                CHECK(written == live_outputs);
            }
        }
    }
}

TEST_CASE("per-tile cost rules of SwiGLU, rotary, RMSNorm and masked softmax", "[generation][compute]") {
    // Hand calculations, full 1x16x16 tiles (256 elements), 16 MACs per lane, densities 0.5:
    //   SwiGLU: 1 (SiLU through the non-linearity stage) + ceil(256 * 0.5 * 0.5 / 16) = 1 + 4;
    //   rotary: ceil(2 * 256 * 0.5 / 16) = 16;
    //   RMSNorm: the layer-norm rule, ceil(1 * (16 + 16) * 0.5) = 16;
    //   softmax on the diagonal tile of a causal score matrix: 136 unmasked of 256 (rows see
    //   1..16 keys), ceil(136 * 0.5) = 68 instead of 128.
    CHECK(compute::swiglu_tile_cycles(256, 0.5, 0.5, 16) == 5);
    CHECK(compute::swiglu_tile_cycles(256, 0.0, 0.5, 16) == 1);
    CHECK(compute::rotary_tile_cycles(256, 0.5, 16) == 16);

    TensorLayout act;
    act.density = 0.5;
    auto context = [&](const Op& o, const TileGrid& grid) {
        compute::OpContext c;
        c.op = &o;
        c.grid = &grid;
        c.a.layout = &act;
        c.b.layout = &act;
        c.out.layout = &act;
        return c;
    };
    TileStep step;  // tile (0, 0, 0, 0)
    // Busy cycles of `step` on `unit` at the configured densities.
    auto cycles = [&](compute::TileExecutor& unit, const compute::OpContext& c) {
        return unit.execute(c, step, compute::tile_density(c, step, nullptr)).cycles;
    };

    Op glu;
    glu.kind = OpKind::SwiGlu;
    glu.m = glu.n = 16;
    const TileGrid glu_grid = make_tile_grid(glu, TileShape{});
    compute::MacLane lane(16);
    CHECK(cycles(lane, context(glu, glu_grid)) == 5);

    Op rot = glu;
    rot.kind = OpKind::Rotary;
    CHECK(cycles(lane, context(rot, glu_grid)) == 16);

    Op rms = glu;
    rms.kind = OpKind::RmsNorm;
    CHECK(unit_class_of(OpKind::RmsNorm) == UnitClass::LayerNorm);
    CHECK(unit_class_of(OpKind::SwiGlu) == UnitClass::MacLane);
    CHECK(unit_class_of(OpKind::Rotary) == UnitClass::MacLane);
    compute::LayerNormUnit ln;
    CHECK(cycles(ln, context(rms, glu_grid)) == 16);

    const Op sm = causal_op(OpKind::Softmax, false, 1, 32, 1, 0);
    const TileGrid sm_grid = make_tile_grid(sm, TileShape{});
    compute::SoftmaxUnit softmax;
    CHECK(sm_grid.visible(step.index) == 136);
    CHECK(cycles(softmax, context(sm, sm_grid)) == 68);
    step.index = TileIndex{0, 1, 0, 0};  // below the diagonal: all 256 visible
    CHECK(cycles(softmax, context(sm, sm_grid)) == 128);
    CHECK(sm_grid.masked(TileIndex{0, 0, 1, 0}));  // above it: never runs

    // A causal Q.K^T diagonal tile: 136 pairs x 16 deep at densities 0.25 -> 136 * 16 / 4 / 16.
    const Op qk = causal_op(OpKind::MatMul, true, 1, 32, 1, 16);
    const TileGrid qk_grid = make_tile_grid(qk, TileShape{});
    step.index = TileIndex{};
    CHECK(qk_grid.macs(step.index) == 136 * 16);
    CHECK(cycles(lane, context(qk, qk_grid)) == 34);
}
