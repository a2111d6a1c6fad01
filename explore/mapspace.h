// The mapspace of one op (docs/mapping.md §7): every mapping the mapper may choose for it, as a
// product of independent choices (tile b, x, y; loop order; main-memory batch-and-rows block;
// column block with the order of the blocks, rows or columns outer; depth of the k blocks),
// numbered so that a search can enumerate, sample or walk it by index.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "explore/op_cost_model.h"

namespace acceltran::explore {

class Mapspace {
public:
    // The dimensions, in the order their digits take in an index (the first varies slowest).
    // Depth is last (fastest), so that an op without depth choices (radix 1) numbers its mappings
    // as before it existed.
    // K parts (the reduction split across units, §1.2) come after depth, for the same reason.
    enum Dimension { TileB, TileX, TileY, Order, RowBlock, ColumnBlock, Depth, KParts, kDimensions };

    // `design` gives the tile and loop order of ops whose units are synthesized for one tile
    // size (softmax, layer-norm) and of element-wise ops' order; `blocks` false keeps the op
    // whole in main memory (an op the graph already splits by columns or depth).
    Mapspace(const OpShape& op, const MappingChoice& design, bool blocks);
    // The same on a template whose op kinds run on `unit`, and whose matmul tiles are
    // `fixed_tile_y` wide when it is not 0 (the Gemmini template: one weight block fills the array).
    Mapspace(const OpShape& op, const MappingChoice& design, bool blocks, workloads::UnitClass unit, int fixed_tile_y);

    std::uint64_t size() const { return size_; }
    std::size_t choices(Dimension d) const { return radix_[d]; }
    MappingChoice at(std::uint64_t index) const;
    MappingChoice at(const std::array<std::size_t, kDimensions>& digits) const;
    std::array<std::size_t, kDimensions> digits(std::uint64_t index) const;
    // The digits of `choice` when it is in the space (the design point's own mapping is).
    bool find(const MappingChoice& choice, std::array<std::size_t, kDimensions>& digits) const;

private:
    std::vector<int> tile_b_, tile_x_, tile_y_;
    std::vector<LoopOrder> orders_;
    std::vector<workloads::MemoryBlock> row_blocks_;  // batch and rows (columns 0)
    // Column block sizes (0: whole), each real one rows outer and columns outer.
    std::vector<std::pair<std::int64_t, bool>> column_blocks_;
    // Depths of k blocks (0: the whole k), for a matmul whose B is a weight (MemoryBlock::depth).
    std::vector<std::int64_t> depths_;
    // K parts (MappingChoice::k_parts): 1, and for a matmul of few output rows powers of two.
    std::vector<std::int64_t> k_parts_;
    std::array<std::size_t, kDimensions> radix_{};
    std::uint64_t size_ = 1;
};

}  // namespace acceltran::explore
