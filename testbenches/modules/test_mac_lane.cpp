// Testbench for the MAC-lane executor (modules/compute/mac_lane.h): one tile at a time at the
// densities tile_density() decides, cycle counts by hand. 16 MACs per lane; 1 x 16 x 16 tiles.
#include <catch2/catch.hpp>

#include "modules/compute/functional_engine.h"
#include "modules/compute/mac_lane.h"
#include "modules/compute/tile_density.h"
#include "testbenches/modules/single_tile_op.h"

using namespace acceltran;
using namespace acceltran::compute;
using testbench::SingleTileOp;
using workloads::OpKind;

TEST_CASE("MacLane executor: a 16x16 matmul tile at densities 0.5 x 0.5 takes 64 cycles",
          "[modules][mac_lane]") {
    // k = 16: 16 * 16 * 16 = 4096 MACs; 4096 * 0.5 * 0.5 = 1024 effectual; 1024 / 16 = 64.
    SingleTileOp t(OpKind::MatMul, 16, 16, 16, 0.5, 0.5, 0.5);
    MacLane lane(16);
    workloads::TileStep step;  // tile (0, 0, 0, 0), its only k step: writes the output
    const TileWork work = lane.execute(t.ctx, step, tile_density(t.ctx, step, nullptr));
    CHECK(work.cycles == 64);
    CHECK(work.pre_sparsity_tiles == 1);
    CHECK(work.post_sparsity_tiles == 1);
    CHECK(lane.effectual_macs() == 1024);
    CHECK(lane.pre_sparsity().tiles() == 1);
    CHECK(lane.post_sparsity().tiles() == 1);
}

TEST_CASE("MacLane executor: a partial-sum k step at densities 0.25 x 0.5 takes 32 cycles, no post-sparsity",
          "[modules][mac_lane]") {
    // k = 32 in two k tiles; the first: 4096 MACs * 0.25 * 0.5 = 512 effectual, 512 / 16 = 32.
    SingleTileOp t(OpKind::MatMul, 16, 16, 32, 0.25, 0.5, 0.5);
    MacLane lane(16);
    workloads::TileStep step;
    step.write_output = false;
    step.write_psum = true;
    const TileWork work = lane.execute(t.ctx, step, tile_density(t.ctx, step, nullptr));
    CHECK(work.cycles == 32);
    CHECK(work.pre_sparsity_tiles == 1);
    CHECK(work.post_sparsity_tiles == 0);  // the output is not finished: no mask is made
    CHECK(lane.effectual_macs() == 512);
}

TEST_CASE("MacLane executor: measured effectual MACs replace the expected ones", "[modules][mac_lane]") {
    // The functional engine counted 1000 effectual pairs: ceil(1000 / 16) = ceil(62.5) = 63.
    SingleTileOp t(OpKind::MatMul, 16, 16, 16, 0.5, 0.5, 0.5);
    MacLane lane(16);
    workloads::TileStep step;
    TileMeasure measured;
    measured.a_nonzeros = measured.b_nonzeros = 200;
    measured.out_nonzeros = 100;
    measured.effectual_macs = 1000;
    CHECK(lane.execute(t.ctx, step, tile_density(t.ctx, step, &measured)).cycles == 63);
    CHECK(lane.effectual_macs() == 1000);
}

TEST_CASE("MacLane executor: residual add and GELU tiles", "[modules][mac_lane]") {
    workloads::TileStep step;
    MacLane lane(16);
    // Add, 16 x 16 at density 0.5: 256 * 0.5 / 16 = 8 cycles.
    SingleTileOp add(OpKind::Add, 16, 16, 0, 0.5, 1, 0.5);
    TileWork work = lane.execute(add.ctx, step, tile_density(add.ctx, step, nullptr));
    CHECK(work.cycles == 8);
    CHECK(work.pre_sparsity_tiles == 0);  // no multiplications: the pre-sparsity unit is idle
    CHECK(work.post_sparsity_tiles == 1);
    // Add, 8 x 16 at density 0.3: 128 * 0.3 / 16 = 2.4 -> 3 cycles.
    SingleTileOp small(OpKind::Add, 8, 16, 0, 0.3, 1, 0.3);
    CHECK(lane.execute(small.ctx, step, tile_density(small.ctx, step, nullptr)).cycles == 3);
    // GELU: the non-linearity stage takes a whole tile per cycle, whatever the density.
    SingleTileOp gelu(OpKind::Gelu, 16, 16, 0, 0.5, 1, 0.5);
    CHECK(lane.execute(gelu.ctx, step, tile_density(gelu.ctx, step, nullptr)).cycles == 1);
    CHECK(lane.pre_sparsity().tiles() == 0);
    CHECK(lane.post_sparsity().tiles() == 3);
}
