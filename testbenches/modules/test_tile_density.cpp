// Testbench for tile_density() (modules/compute/tile_density.h): the densities of one tile,
// from the configured ratios or from the functional engine's counts.
#include <catch2/catch.hpp>

#include "modules/compute/functional_engine.h"
#include "modules/compute/tile_density.h"
#include "testbenches/modules/single_tile_op.h"

using namespace acceltran;
using namespace acceltran::compute;
using testbench::SingleTileOp;
using workloads::OpKind;

TEST_CASE("tile_density: configured ratios and the expected effectual MACs", "[modules][tile_density]") {
    SingleTileOp t(OpKind::MatMul, 16, 16, 16, 0.5, 0.25, 0.75);
    workloads::TileStep step;
    const TileDensity d = tile_density(t.ctx, step, nullptr);
    CHECK(d.a == 0.5);
    CHECK(d.b == 0.25);
    CHECK(d.out == 0.75);
    CHECK(d.a2 == 1);  // the op has no second A operand
    CHECK(d.effectual_macs == 4096 * 0.5 * 0.25);  // 512
    CHECK(d.visible_a_nonzeros == 0);              // not a softmax
    CHECK(d.topk_elements == 0);
    // A softmax tile: 256 visible scores at 0.5.
    SingleTileOp sm(OpKind::Softmax, 16, 16, 0, 0.5, 1, 0.5);
    CHECK(tile_density(sm.ctx, step, nullptr).visible_a_nonzeros == 128);
}

TEST_CASE("tile_density: the functional engine's counts over the blocks' elements", "[modules][tile_density]") {
    // k = 32: the first k tile's A block is 16 x 16 = 256 elements, B 16 x 16 = 256, output 256.
    SingleTileOp t(OpKind::MatMul, 16, 16, 32, 0.5, 0.5, 0.5);
    workloads::TileStep step;
    TileMeasure m;
    m.a_nonzeros = 64;
    m.b_nonzeros = 128;
    m.out_nonzeros = 0;
    m.effectual_macs = 300;
    const TileDensity d = tile_density(t.ctx, step, &m);
    CHECK(d.a == 0.25);
    CHECK(d.b == 0.5);
    CHECK(d.out == 0);
    CHECK(d.effectual_macs == 300);
    SingleTileOp sm(OpKind::Softmax, 16, 16, 0, 0.5, 1, 0.5);
    TileMeasure scores;
    scores.a_nonzeros = 99;
    scores.topk_elements = 7;
    const TileDensity s = tile_density(sm.ctx, step, &scores);
    CHECK(s.visible_a_nonzeros == 99);  // the count itself, not 256 * (99 / 256)
    CHECK(s.topk_elements == 7);
}
