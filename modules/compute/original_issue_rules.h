// How the original AccelTran simulator issues tiles to its units, for the compatibility options
// that mirror it (core/accelerator_config.h, CompatConfig; docs/validation.md §7.5). Off by
// default: with every option off a tile is issued once and frees its unit when its work ends.
#pragma once

#include <cstdint>

#include "core/accelerator_config.h"
#include "modules/compute/op_context.h"
#include "modules/compute/tile_executor.h"
#include "workloads/op_graph.h"

namespace acceltran::compute {

class OriginalIssueRules {
public:
    // config_tiny.yaml's `scheduler.compute_ops.batch_size`, the configuration AccelTran-Edge
    // transcribes: the original's top-level compute groups start every this many tiles.
    static constexpr std::uint64_t kComputeGroupTiles = 8;
    static constexpr std::uint64_t kNoStep = ~std::uint64_t(0);

    explicit OriginalIssueRules(const CompatConfig& compat) : compat_(compat) {}

    // Whether the original issues `op` in its top-level compute groups (compat.duplicate_issue):
    // the feed-forward projections, their activations and the layers' layer-norms. Attention runs
    // per head in lists that advance by whole groups without duplicates; residual adds and the
    // embedding's layer-norm do not exist in the original.
    static bool grouped(const workloads::Op& op);

    // Times the tile at `ordinal` (its place among the op's tile steps in loop order, k steps
    // included) is issued: 1, plus 1 at every positive multiple of kComputeGroupTiles of a
    // grouped op, plus 1 for the program's last grouped tile (`ctx.last_issue_step`).
    // Inline, as apply() and extra_units(): the full level calls them for every tile.
    std::uint64_t issues(const OpContext& ctx, std::uint64_t ordinal) const {
        if (!compat_.duplicate_issue || !ctx.grouped) return 1;
        std::uint64_t n = 1;
        // A group takes the tile that starts the next group as its ninth (get_op_list() takes up
        // to batch_size + 1 tiles of one type, update_op_idx() advances by batch_size).
        if (ordinal > 0 && ordinal % kComputeGroupTiles == 0) ++n;
        // At the end of the op list, update_op_idx() stops one short (`idx >= len(ops) - 1`), so
        // the last tile is issued again as a group of its own.
        if (ordinal == ctx.last_issue_step) ++n;
        return n;
    }

    // Whether apply() changes any tile of `ctx`'s op (the fast level then applies it tile by tile).
    bool per_tile(const OpContext& ctx) const { return compat_.mac_tile_cycles || (compat_.duplicate_issue && ctx.grouped); }

    // One tile's work as the original issues it: every issue costs the tile's cycles again, and
    // under compat.mac_tile_cycles each is followed by one idle cycle of its unit (the bubble).
    TileWork apply(const OpContext& ctx, std::uint64_t ordinal, TileWork work) const {
        const std::uint64_t n = issues(ctx, ordinal);
        work.cycles *= n;
        work.conversion_cycles *= n;
        work.idle_cycles = compat_.mac_tile_cycles ? n : 0;
        return work;
    }

    // Units of its PE's class a tile of `unit_class` occupies besides its own:
    // compat.softmax_all_units makes a softmax tile take all `softmax_per_pe` of them.
    int extra_units(workloads::UnitClass unit_class, int softmax_per_pe) const {
        return compat_.softmax_all_units && unit_class == workloads::UnitClass::Softmax ? softmax_per_pe - 1 : 0;
    }

private:
    const CompatConfig& compat_;
};

}  // namespace acceltran::compute
