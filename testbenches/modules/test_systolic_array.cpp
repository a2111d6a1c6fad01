// Testbench for the Gemmini template's systolic array (modules/systolic/systolic_array.h): cycle
// counts of weight-stationary and output-stationary tiles by hand (docs/gemmini.md, "Timing").
#include <catch2/catch.hpp>

#include "modules/compute/tile_density.h"
#include "modules/systolic/systolic_array.h"
#include "modules/systolic/systolic_timing.h"
#include "testbenches/modules/single_tile_op.h"

using namespace acceltran;
using namespace acceltran::compute;
using testbench::SingleTileOp;
using workloads::OpKind;

namespace {
SystolicConfig array_config(bool weight_stationary) {
    SystolicConfig c;
    c.dim = 16;
    c.weight_stationary = weight_stationary;
    return c;
}
}  // namespace

TEST_CASE("SystolicArray: a 16x16 by 16x16 weight-stationary matmul takes 62 cycles", "[modules][systolic_array]") {
    // 16 cycles to shift the weights in, 16 rows of A streamed one per cycle, and the skew of the
    // first tile of a job: the last sum leaves 2 x (16 - 1) = 30 cycles after its row entered.
    systolic::SystolicArray array(array_config(true));
    SingleTileOp t(OpKind::MatMul, 16, 16, 16, 1, 1, 1);
    workloads::TileStep step;
    array.activity.jobs = 1;  // the PE's begin_job counts the job before its first tile
    CHECK(array.execute(t.ctx, step, tile_density(t.ctx, step, nullptr)).cycles == 16 + 16 + 30);
    // The next tile of the same job with the same weights (read_b false): only its 16 rows.
    step.read_b = false;
    CHECK(array.execute(t.ctx, step, tile_density(t.ctx, step, nullptr)).cycles == 16);
    // New weights, same job: the 16-cycle preload ran beside the tile before (16 rows), so only
    // the rows: max(16, 16).
    step.read_b = true;
    CHECK(array.execute(t.ctx, step, tile_density(t.ctx, step, nullptr)).cycles == 16);
    // A new job pays the skew again.
    array.activity.jobs = 2;
    CHECK(array.execute(t.ctx, step, tile_density(t.ctx, step, nullptr)).cycles == 62);
}

TEST_CASE("SystolicArray: output-stationary tiles stream k and drain finished outputs", "[modules][systolic_array]") {
    systolic::SystolicArray array(array_config(false));
    SingleTileOp t(OpKind::MatMul, 16, 16, 32, 1, 1, 1);
    workloads::TileStep step;
    array.activity.jobs = 1;
    // First k step of a 16x16 output block: 16 depth cycles plus the skew; no drain yet.
    step.write_output = false;
    CHECK(array.execute(t.ctx, step, tile_density(t.ctx, step, nullptr)).cycles == 16 + 30);
    // Last k step: 16 depth cycles, then 16 cycles to shift the finished block out.
    step.write_output = true;
    step.index.k = 1;
    CHECK(array.execute(t.ctx, step, tile_density(t.ctx, step, nullptr)).cycles == 32);
}

TEST_CASE("Systolic timing: rows per weight block set the steady-state utilization", "[modules][systolic_array]") {
    // 64 rows per 16x16 weight block: the next block's preload (16 cycles) hides behind the 64
    // rows, so 64 cycles for 64 x 16 x 16 MACs on 256 PEs, 100 % before memory stalls.
    CHECK(systolic::weight_stationary_cycles(64, 16, true, false) == 64);
    CHECK(systolic::weight_stationary_cycles(64, 16, false, false) == 64);
    // Fewer rows than the array is tall: the preload cannot hide, a tile takes W = 16 cycles.
    CHECK(systolic::weight_stationary_cycles(4, 16, true, false) == 16);
    CHECK(systolic::weight_stationary_cycles(4, 16, false, false) == 4);
    // The first tile of a job: the preload (16), the rows (64) and the skew (30).
    CHECK(systolic::weight_stationary_cycles(64, 16, true, true) == 110);
    // An output-stationary tile of 40 rows takes ceil(40 / 16) = 3 output blocks.
    CHECK(systolic::output_stationary_cycles(40, 16, 16, true, false) == 3 * 32);
}
