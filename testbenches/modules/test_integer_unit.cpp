// Testbench for the I-BERT integer units of the Gemmini template (modules/systolic/integer_unit.h):
// passes over a tile at the unit's lanes per cycle, by hand (docs/gemmini.md, "Timing").
#include <catch2/catch.hpp>

#include "modules/compute/tile_density.h"
#include "modules/systolic/integer_unit.h"
#include "testbenches/modules/single_tile_op.h"

using namespace acceltran;
using namespace acceltran::compute;
using testbench::SingleTileOp;
using workloads::OpKind;

TEST_CASE("IntegerUnit: activation units take one element per lane and pass", "[modules][integer_unit]") {
    IntegerUnitsConfig c;
    c.activation_units = 16;
    c.lanes = 1;
    c.normalization_unit = true;
    systolic::IntegerUnit unit(c, false);
    workloads::TileStep step;
    // A 16x16 softmax tile: three passes (max, exp and sum, scaling) over 256 scores = 768.
    SingleTileOp softmax(OpKind::Softmax, 16, 16, 0, 1, 1, 1);
    CHECK(unit.execute(softmax.ctx, step, tile_density(softmax.ctx, step, nullptr)).cycles == 768);
    // GELU (i-GELU polynomial) and the residual add: one pass, 256 cycles.
    SingleTileOp gelu(OpKind::Gelu, 16, 16, 0, 1, 1, 1);
    CHECK(unit.execute(gelu.ctx, step, tile_density(gelu.ctx, step, nullptr)).cycles == 256);
}

TEST_CASE("IntegerUnit: the normalization unit reads the accumulator in passes", "[modules][integer_unit]") {
    IntegerUnitsConfig c;
    c.normalization_passes = 3;
    c.normalization_lanes = 16;
    systolic::IntegerUnit unit(c, true);
    workloads::TileStep step;
    // 256 elements x 3 passes / 16 lanes = 48 cycles.
    SingleTileOp norm(OpKind::LayerNorm, 16, 16, 0, 1, 1, 1);
    CHECK(unit.execute(norm.ctx, step, tile_density(norm.ctx, step, nullptr)).cycles == 48);
}
