#include "workloads/op_mapping.h"

#include <utility>

namespace acceltran::workloads {

OpMapping::OpMapping(std::string op, OpKind kind, bool b_batched, WeightSplit memory_block, bool double_buffered,
                     TileShape buffer_tile, LoopOrder loop_order)
    : op_(std::move(op)), kind_(kind), b_batched_(b_batched), block_(std::move(memory_block)),
      double_buffered_(double_buffered), tile_(buffer_tile), order_(loop_order) {}

OpMapping::Stationary OpMapping::stationary() const {
    if (kind_ != OpKind::MatMul) return Stationary::None;
    switch (order_.letters()[3]) {
        case 'k': return Stationary::Output;  // (b, i, j) fixed while k runs: the partial sum stays
        case 'j': return Stationary::Input;   // (b, i, k) fixed: the A block is reused across j
        case 'i': return Stationary::Weight;  // (k, j) [and b] fixed: the B block is reused across i
        default:  // 'b': an unbatched B block is the same for every batch entry
            return b_batched_ ? Stationary::None : Stationary::Weight;
    }
}

void OpMapping::write_yaml(std::ostream& out) const {
    out << "  - op: " << op_ << "\n"
        << "    memory_block: " << to_string(block_.kind);
    if (block_.kind != WeightSplit::Kind::Whole) {
        out << " [";
        for (std::size_t j = 0; j < block_.sizes.size(); ++j) out << (j ? ", " : "") << block_.sizes[j];
        out << "]";
    }
    out << "\n";
    if (block_.kind == WeightSplit::Kind::Depth) {
        out << "    depth_parts: [";
        for (std::size_t j = 0; j < block_.parts.size(); ++j) out << (j ? ", " : "") << block_.parts[j];
        out << "]\n";
    }
    if (inner_block_)
        out << "    block: {batch: " << inner_block_->batch << ", rows: " << inner_block_->rows
            << ", columns: " << inner_block_->columns << (inner_block_->columns_outer ? ", order: columns_outer" : "")
            << (inner_block_->depth > 0 ? ", depth: " + std::to_string(inner_block_->depth) : std::string()) << "}\n";
    out << "    double_buffering: " << (double_buffered() ? "true" : "false") << "\n"
        << "    buffer_tile: {b: " << tile_.b << ", x: " << tile_.x << ", y: " << tile_.y << "}\n"
        << "    loop_order: " << order_.str() << "\n"
        << "    stationary: " << to_string(stationary()) << "\n";
    if (fused_) out << "    fuse: true\n";
    if (k_parts_ > 1) out << "    spatial: {k_parts: " << k_parts_ << "}\n";
}

const char* to_string(OpMapping::Stationary s) {
    switch (s) {
        case OpMapping::Stationary::Output: return "output";
        case OpMapping::Stationary::Input: return "input";
        case OpMapping::Stationary::Weight: return "weight";
        case OpMapping::Stationary::None: break;
    }
    return "none";
}

const char* to_string(WeightSplit::Kind kind) {
    switch (kind) {
        case WeightSplit::Kind::Columns: return "columns";
        case WeightSplit::Kind::Depth: return "depth";
        case WeightSplit::Kind::Whole: break;
    }
    return "whole";
}

}  // namespace acceltran::workloads
