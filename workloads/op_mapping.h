// The mapping of one op onto the memory hierarchy (docs/mapping.md), in the terms of the
// full-stack inference survey (Kim et al. 2023, Sec. 5): how the op is blocked between main
// memory and the on-chip buffers, the tile each compute unit takes from a buffer, the loop order
// over those tiles (which operand stays in place), and whether a block loads while the previous
// one runs (double buffering).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "workloads/op_directive.h"
#include "workloads/op_graph.h"
#include "workloads/tiling.h"

namespace acceltran::workloads {

class OpMapping {
public:
    // The operand a compute unit keeps from one tile to the next: the one the innermost loop
    // does not index (core/loop_order.h letters; the A block is (b, i, k), B is (k, j) or
    // (b, k, j) when batched, the output (b, i, j)). None for element-wise ops.
    enum class Stationary : std::uint8_t { None, Output, Input, Weight };

    OpMapping(std::string op, OpKind kind, bool b_batched, WeightSplit memory_block, bool double_buffered,
              TileShape buffer_tile, LoopOrder loop_order);

    // A graph op, or the name the ops of a blocked matmul share before `.s<j>` / `.k<j>`.
    const std::string& op() const { return op_; }
    OpKind kind() const { return kind_; }
    // Main memory -> buffers: whole, or one block per column slice or depth group of the weight
    // (the weight slicing of docs/decoders.md §2).
    const WeightSplit& memory_block() const { return block_; }
    // Buffers -> compute units: the tile shape (b, x, y) of tiling.h.
    const TileShape& buffer_tile() const { return tile_; }
    const LoopOrder& loop_order() const { return order_; }
    // Whether each block fits the buffers twice, so the next loads while this one runs.
    bool double_buffered() const { return double_buffered_; }
    Stationary stationary() const;
    // Main-memory blocking inside the op (op_directive.h): what the planner did (op_blocking.h)
    // or a mapping asked for; unset for an op that runs whole. Written as `block:`.
    const std::optional<MemoryBlock>& block() const { return inner_block_; }
    void set_block(std::optional<MemoryBlock> block) { inner_block_ = block; }
    void set_double_buffered(bool twice) { double_buffered_ = twice; }
    // Fused into the matmul that produces its input (OpDirective::fuse, docs/mapping.md §11).
    bool fused() const { return fused_; }
    void set_fused(bool fused) { fused_ = fused; }

    // Which loops are spatial (OpDirective::k_parts, docs/mapping.md §1.2): the parts each
    // output tile's reduction k is split into across units; 1 = output tiles only. Written as
    // `spatial: {k_parts: P}` when above 1.
    std::int64_t k_parts() const { return k_parts_; }
    void set_k_parts(std::int64_t parts) { k_parts_ = parts; }

    // One entry of a mapping file's `ops` list (docs/mapping.md, "File format").
    void write_yaml(std::ostream& out) const;

private:
    std::string op_;
    OpKind kind_;
    bool b_batched_;
    WeightSplit block_;
    bool double_buffered_;
    TileShape tile_;
    LoopOrder order_;
    std::optional<MemoryBlock> inner_block_;
    bool fused_ = false;
    std::int64_t k_parts_ = 1;
};

const char* to_string(OpMapping::Stationary s);
const char* to_string(WeightSplit::Kind kind);

}  // namespace acceltran::workloads
