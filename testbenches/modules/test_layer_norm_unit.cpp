// Testbench for the layer-norm executor (modules/compute/layer_norm_unit.h): the rule
// ceil(rows_b * (rows + cols) * density) of a tile, cycle counts by hand.
#include <catch2/catch.hpp>

#include "modules/compute/functional_engine.h"
#include "modules/compute/layer_norm_unit.h"
#include "modules/compute/tile_density.h"
#include "testbenches/modules/single_tile_op.h"

using namespace acceltran;
using namespace acceltran::compute;
using testbench::SingleTileOp;
using workloads::OpKind;

TEST_CASE("LayerNormUnit executor: full and partial tiles at configured densities", "[modules][layer_norm_unit]") {
    LayerNormUnit unit;
    workloads::TileStep step;
    // 1 x 16 x 16 at density 0.5: 1 * (16 + 16) * 0.5 = 16 cycles.
    SingleTileOp full(OpKind::LayerNorm, 16, 16, 0, 0.5, 1, 0.5);
    const TileWork work = unit.execute(full.ctx, step, tile_density(full.ctx, step, nullptr));
    CHECK(work.cycles == 16);
    CHECK(work.pre_sparsity_tiles == 0);
    CHECK(work.post_sparsity_tiles == 0);
    // 1 x 8 x 16 (8 rows) at density 0.3: (8 + 16) * 0.3 = 7.2 -> 8 cycles.
    SingleTileOp rows8(OpKind::LayerNorm, 8, 16, 0, 0.3, 1, 0.3);
    CHECK(unit.execute(rows8.ctx, step, tile_density(rows8.ctx, step, nullptr)).cycles == 8);
}

TEST_CASE("LayerNormUnit executor: the measured density of the tile", "[modules][layer_norm_unit]") {
    // 64 non-zeros of 256: density 0.25, (16 + 16) * 0.25 = 8 cycles (the configured 0.5 would give 16).
    SingleTileOp t(OpKind::LayerNorm, 16, 16, 0, 0.5, 1, 0.5);
    LayerNormUnit unit;
    workloads::TileStep step;
    TileMeasure measured;
    measured.a_nonzeros = 64;
    measured.out_nonzeros = 256;
    CHECK(unit.execute(t.ctx, step, tile_density(t.ctx, step, &measured)).cycles == 8);
}
