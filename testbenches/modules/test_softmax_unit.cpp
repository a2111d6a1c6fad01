// Testbench for the softmax executor (modules/compute/softmax_unit.h): one non-zero score per
// cycle, then the top-k selection in the functional mode. Cycle counts by hand; 1 x 16 x 16 tiles.
#include <catch2/catch.hpp>

#include "modules/compute/functional_engine.h"
#include "modules/compute/softmax_unit.h"
#include "modules/compute/tile_density.h"
#include "testbenches/modules/single_tile_op.h"

using namespace acceltran;
using namespace acceltran::compute;
using testbench::SingleTileOp;
using workloads::OpKind;

TEST_CASE("SoftmaxUnit executor: a 16x16 score tile takes one cycle per non-zero score",
          "[modules][softmax_unit]") {
    SoftmaxUnit unit;
    workloads::TileStep step;
    // 256 scores at density 0.5: 128 cycles; at 0.3: 76.8 -> 77; all zero: 1 (the masks pass).
    SingleTileOp half(OpKind::Softmax, 16, 16, 0, 0.5, 1, 0.5);
    const TileWork work = unit.execute(half.ctx, step, tile_density(half.ctx, step, nullptr));
    CHECK(work.cycles == 128);
    CHECK(work.pre_sparsity_tiles == 0);
    CHECK(work.post_sparsity_tiles == 0);
    SingleTileOp sparse(OpKind::Softmax, 16, 16, 0, 0.3, 1, 0.3);
    CHECK(unit.execute(sparse.ctx, step, tile_density(sparse.ctx, step, nullptr)).cycles == 77);
    SingleTileOp zero(OpKind::Softmax, 16, 16, 0, 0.0, 1, 0.0);
    CHECK(unit.execute(zero.ctx, step, tile_density(zero.ctx, step, nullptr)).cycles == 1);
}

TEST_CASE("SoftmaxUnit executor: measured non-zeros, then the top-k unit at its rate", "[modules][softmax_unit]") {
    SingleTileOp t(OpKind::Softmax, 16, 16, 0, 0.5, 1, 0.5);
    workloads::TileStep step;
    TileMeasure measured;
    measured.a_nonzeros = 100;
    measured.out_nonzeros = 40;
    measured.topk_elements = 40;
    const TileDensity density = tile_density(t.ctx, step, &measured);
    // 100 non-zero scores: 100 cycles; 40 values through top-k at 2 per cycle: 20 more.
    SoftmaxUnit two_per_cycle(2);
    CHECK(two_per_cycle.execute(t.ctx, step, density).cycles == 120);
    // At the default rate, one per cycle: 100 + 40.
    SoftmaxUnit one_per_cycle;
    CHECK(one_per_cycle.execute(t.ctx, step, density).cycles == 140);
}
