// JobPlan (modules/compute/job_plan.*), the fast detail level's chunking of a job: the first and
// last tiles alone, the tiles between in at most `middle_chunks` near-equal chunks; cycles and
// bytes per chunk as the full path's per-tile rules give them (hand-computed below).
#include <catch2/catch.hpp>

#include "modules/compute/job_plan.h"
#include "modules/compute/mac_lane.h"
#include "workloads/tiling.h"

using namespace acceltran;
using namespace acceltran::compute;

namespace {

// out[16][16] = A[16][k] x W[k][16] at density 0.5 (A and W), 20-bit values: one output tile,
// k / 16 k tiles of 4096 MACs, 1024 effectual, 64 cycles on a 16-MAC lane. Per k tile:
// A 320 B + 32 B mask, W 320 B + 32 B mask (compressed_bytes(256, 0.5, 20) = 320, mask 256/8).
struct MatmulJob {
    workloads::Op op;
    workloads::TensorLayout in, weight, out;
    workloads::TileGrid grid;
    OpContext ctx;

    explicit MatmulJob(std::int64_t k) {
        op.kind = workloads::OpKind::MatMul;
        op.batch = 1;
        op.m = 16;
        op.n = 16;
        op.k = k;
        in.density = weight.density = out.density = 0.5;
        in.buffer = out.buffer = workloads::BufferKind::Activation;
        weight.buffer = workloads::BufferKind::Weight;
        grid = workloads::make_tile_grid(op, workloads::TileShape{1, 16, 16});
        ctx.op = &op;
        ctx.grid = &grid;
        ctx.loop_order = workloads::LoopOrder::parse("b_i_j_k");
        ctx.a.layout = &in;
        ctx.b.layout = &weight;
        ctx.out.layout = &out;
    }
    workloads::LaneTileSequence tiles() const {
        return workloads::LaneTileSequence(grid, ctx.loop_order, 0, grid.output_tiles());
    }
};

}  // namespace

TEST_CASE("JobPlan: 10 k tiles make chunks of 1, 2, 2, 2, 2 and 1 tiles with the per-tile sums", "[compute][job_plan]") {
    MatmulJob job(160);  // 10 k tiles
    MacLane lane(16);
    std::vector<TileRecord> records;
    const JobPlan plan(lane, job.ctx, job.tiles(), 4, &records);
    // Middle tiles 1..8 (8 of them) in 4 chunks of 2.
    REQUIRE(plan.chunks().size() == 6);
    const std::uint64_t sizes[6] = {1, 2, 2, 2, 2, 1};
    for (int q = 0; q < 6; ++q) {
        INFO("chunk " << q);
        const JobChunk& c = plan.chunks()[q];
        CHECK(c.tiles == sizes[q]);
        CHECK(c.cycles == 64.0 * double(sizes[q]));
        CHECK(c.first_cycles == 64);
        CHECK(c.last_cycles == 64);
        CHECK(c.reads[kReadA].bytes == 320 * sizes[q]);
        CHECK(c.reads[kReadAMask].bytes == 32 * sizes[q]);
        CHECK(c.reads[kReadB].bytes == 320 * sizes[q]);
        CHECK(c.reads[kReadBMask].bytes == 32 * sizes[q]);
        CHECK(c.reads[kReadPsum].bytes == 0);  // k innermost: the partial sum stays in the lane
        CHECK(c.pre_sparsity_tiles == sizes[q]);
    }
    // Only the last tile writes the finished output (320 B + 32 B mask) and is post-sparsified.
    CHECK(plan.chunks()[5].writes[kWriteOut].bytes == 320);
    CHECK(plan.chunks()[5].writes[kWriteOutMask].bytes == 32);
    CHECK(plan.chunks()[5].post_sparsity_tiles == 1);
    for (int q = 0; q < 5; ++q) CHECK(plan.chunks()[q].writes[kWriteOut].bytes == 0);
    CHECK(plan.cycles() == 640);
    CHECK(plan.tiles() == 10);
    REQUIRE(records.size() == 10);
    for (const auto& r : records) CHECK(r.cycles == 64);
    CHECK(lane.pre_sparsity().tiles() == 10);  // the unit counted its activity as in the full path
}

TEST_CASE("JobPlan: one tile is one chunk, two tiles are two, three tiles have one middle chunk", "[compute][job_plan]") {
    for (auto [k, chunks] : {std::pair<std::int64_t, std::size_t>{16, 1}, {32, 2}, {48, 3}}) {
        INFO("k " << k);
        MatmulJob job(k);
        MacLane lane(16);
        const JobPlan plan(lane, job.ctx, job.tiles(), 4, nullptr);
        CHECK(plan.chunks().size() == chunks);
        CHECK(plan.tiles() == std::uint64_t(k / 16));
    }
}

namespace {
// A unit that spends 3 of each tile's 10 cycles converting number formats (as a host CPU does).
class ConvertingUnit : public TileExecutor {
public:
    TileWork execute_repeated(const OpContext&, const workloads::TileStep&, const TileDensity&, std::uint64_t) override {
        TileWork w;
        w.cycles = 10;
        w.conversion_cycles = 3;
        return w;
    }
};
}  // namespace

TEST_CASE("JobPlan: conversion cycles are summed per chunk and kept per tile", "[compute][job_plan]") {
    MatmulJob job(160);  // 10 k tiles: chunks of 1, 2, 2, 2, 2 and 1 tiles
    ConvertingUnit unit;
    std::vector<TileRecord> records;
    const JobPlan plan(unit, job.ctx, job.tiles(), 4, &records);
    REQUIRE(plan.chunks().size() == 6);
    for (const JobChunk& c : plan.chunks()) CHECK(c.conversion_cycles == 3.0 * double(c.tiles));
    REQUIRE(records.size() == 10);
    for (const TileRecord& r : records) CHECK(r.conversion_cycles == 3);
}
