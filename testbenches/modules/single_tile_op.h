// One op of the executor testbenches (test_mac_lane.cpp, test_softmax_unit.cpp,
// test_layer_norm_unit.cpp, test_tile_density.cpp): a batch x m x n op (k deep for a matmul) cut
// into 1 x 16 x 16 tiles, its A, B and output tensors at given densities, and the OpContext a PE
// would hand the executor. Executors are plain C++ objects: no SystemC hierarchy is needed.
#pragma once

#include <cstdint>

#include "modules/compute/op_context.h"
#include "workloads/tiled_program.h"
#include "workloads/tiling.h"

namespace acceltran::testbench {

struct SingleTileOp {
    workloads::Op op;
    workloads::TensorLayout a, b, out;
    workloads::TileGrid grid;
    compute::OpContext ctx;

    SingleTileOp(workloads::OpKind kind, std::int64_t m, std::int64_t n, std::int64_t k, double density_a,
                 double density_b, double density_out) {
        op.kind = kind;
        op.batch = 1;
        op.m = m;
        op.n = n;
        op.k = k;
        a.density = density_a;
        b.density = density_b;
        out.density = density_out;
        b.buffer = workloads::BufferKind::Weight;
        grid = workloads::make_tile_grid(op, workloads::TileShape{1, 16, 16});
        ctx.op = &op;
        ctx.grid = &grid;
        ctx.loop_order = workloads::LoopOrder::parse("b_i_j_k");
        ctx.a.layout = &a;
        if (kind == workloads::OpKind::MatMul) ctx.b.layout = &b;
        ctx.out.layout = &out;
    }
    SingleTileOp(const SingleTileOp&) = delete;  // ctx points into the object
};

}  // namespace acceltran::testbench
