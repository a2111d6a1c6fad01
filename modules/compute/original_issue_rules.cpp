#include "modules/compute/original_issue_rules.h"

namespace acceltran::compute {

bool OriginalIssueRules::grouped(const workloads::Op& op) {
    switch (op.kind) {
        case workloads::OpKind::MatMul: return op.category == workloads::OpCategory::FfnProjection;
        case workloads::OpKind::Gelu: return true;
        case workloads::OpKind::LayerNorm: return op.layer >= 0;
        default: return false;
    }
}

std::uint64_t OriginalIssueRules::issues(const OpContext& ctx, std::uint64_t ordinal) const {
    if (!compat_.duplicate_issue || !ctx.grouped) return 1;
    std::uint64_t n = 1;
    // A group takes the tile that starts the next group as its ninth (get_op_list() takes up to
    // batch_size + 1 tiles of one type, update_op_idx() advances by batch_size).
    if (ordinal > 0 && ordinal % kComputeGroupTiles == 0) ++n;
    // At the end of the op list, update_op_idx() stops one short (`idx >= len(ops) - 1`), so the
    // last tile is issued again as a group of its own.
    if (ordinal == ctx.last_issue_step) ++n;
    return n;
}

TileWork OriginalIssueRules::apply(const OpContext& ctx, std::uint64_t ordinal, TileWork work) const {
    const std::uint64_t n = issues(ctx, ordinal);
    work.cycles *= n;
    work.conversion_cycles *= n;
    work.idle_cycles = compat_.mac_tile_cycles ? n : 0;
    return work;
}

int OriginalIssueRules::extra_units(workloads::UnitClass unit_class, int softmax_per_pe) const {
    return compat_.softmax_all_units && unit_class == workloads::UnitClass::Softmax ? softmax_per_pe - 1 : 0;
}

}  // namespace acceltran::compute
