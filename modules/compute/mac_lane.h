// A MAC lane: `macs_per_lane` multipliers with an adder tree and accumulator, a GELU/ReLU/SiLU
// stage, and its pre- and post-sparsity units. Runs matmul tiles (accumulating partial sums over
// k), non-linearity tiles, residual adds, and the element-wise products of SwiGLU and rotary
// embedding (tile_timing.h).
#pragma once

#include "modules/compute/compute_unit.h"
#include "modules/sparsity/post_sparsity.h"
#include "modules/sparsity/pre_sparsity.h"

namespace acceltran::compute {

class MacLane : public ComputeUnit {
public:
    // `original_tile_cycles`: price matmul tiles by the original simulator's rule
    // (compat.mac_tile_cycles, original_matmul_tile_cycles()).
    explicit MacLane(int macs_per_lane, bool original_tile_cycles = false)
        : macs_per_lane_(macs_per_lane), original_tile_cycles_(original_tile_cycles) {}
    TileWork execute_repeated(const OpContext& ctx, const workloads::TileStep& step, const TileDensity& density,
                              std::uint64_t count) override;

    const sparsity::PreSparsity& pre_sparsity() const { return pre_; }
    const sparsity::PostSparsity& post_sparsity() const { return post_; }
    double effectual_macs() const override { return pre_.effectual(); }

private:
    int macs_per_lane_;
    bool original_tile_cycles_;
    sparsity::PreSparsity pre_;
    sparsity::PostSparsity post_;
};

}  // namespace acceltran::compute
