#include "explore/mapspace.h"

#include <algorithm>

namespace acceltran::explore {

namespace {

// Tile sizes a MAC lane takes: powers of two from 4 to 64 (a 16-MAC lane needs 16 to 4,096
// cycles per dense tile), no larger than the smallest power of two covering the extent.
std::vector<int> mapspace_tile_sizes(std::int64_t extent) {
    std::vector<int> sizes;
    for (int s = 4; s <= 64; s *= 2)
        if (s / 2 < extent || s == 4) sizes.push_back(s);
    return sizes;
}

// Block sizes in whole tiles of any size above (multiples of 64), powers of two, below `extent`.
std::vector<std::int64_t> mapspace_block_sizes(std::int64_t extent) {
    std::vector<std::int64_t> sizes;
    for (std::int64_t s = 64; s < extent; s *= 2) sizes.push_back(s);
    return sizes;
}

}  // namespace

Mapspace::Mapspace(const OpShape& op, const MappingChoice& design, bool blocks)
    : Mapspace(op, design, blocks, workloads::unit_class_of(op.kind), 0) {}

Mapspace::Mapspace(const OpShape& op, const MappingChoice& design, bool blocks, workloads::UnitClass unit,
                   int fixed_tile_y) {
    const bool matmul = op.kind == workloads::OpKind::MatMul;
    if (unit == workloads::UnitClass::MacLane) {
        for (int b = 1; b <= op.batch && b <= 8; b *= 2) tile_b_.push_back(b);
        tile_x_ = mapspace_tile_sizes(op.m);
        tile_y_ = fixed_tile_y > 0 ? std::vector<int>{fixed_tile_y} : mapspace_tile_sizes(std::max(op.n, matmul ? op.k : 0));
    } else {
        // Softmax and layer-norm units are synthesized for the design's tile (technology table).
        tile_b_ = {design.tile.b};
        tile_x_ = {design.tile.x};
        tile_y_ = {design.tile.y};
    }
    // Element-wise tiles read their input whatever the order (model-reference.md §5).
    orders_ = matmul ? LoopOrder::all() : std::vector<LoopOrder>{design.loop_order};
    row_blocks_.push_back({});
    column_blocks_.push_back({0, false});
    depths_.push_back(0);
    if (blocks) {
        for (std::int64_t b = 1; b < op.batch; b *= 2) row_blocks_.push_back({b, 0, 0});
        for (std::int64_t r : mapspace_block_sizes(op.m)) row_blocks_.push_back({1, r, 0});
        if (matmul && op.b_weight)
            for (std::int64_t c : mapspace_block_sizes(op.n))
                for (bool columns_outer : {false, true}) column_blocks_.push_back({c, columns_outer});
        // k blocks (rows outer only: a columns-outer point with a depth does not fit, the cost
        // model says), in whole tiles of every tile size: 64·2^p below k. Not on the Gemmini
        // template (fixed_tile_y), whose accumulator the planner's k blocks are not checked on.
        if (matmul && op.b_weight && fixed_tile_y == 0)
            for (std::int64_t d : mapspace_block_sizes(op.k)) depths_.push_back(d);
    }
    // K parts (docs/mapping.md §7): for a matmul the graph does not split, of the AccelTran
    // template, without a causal mask, whose rows fit one tile of the design point (a decode step's m = 1, a short prompt): its
    // output tiles are then few and leave lanes idle, which splitting k fills. Powers of two
    // from 2 to 64, at most k / 4 (the k tiles at the smallest tile y); a point with more parts
    // than its tile's k tiles, or with a block, does not fit (the cost model says). Other ops keep
    // one choice, so the mapper's speed on prefill and encoder shapes is unchanged.
    k_parts_.push_back(1);
    if (blocks && matmul && unit == workloads::UnitClass::MacLane && fixed_tile_y == 0 && op.unmasked >= 1 &&
        op.m <= design.tile.x)
        for (std::int64_t p = 2; p <= 64 && p <= (op.k + 3) / 4; p *= 2) k_parts_.push_back(p);
    radix_ = {tile_b_.size(), tile_x_.size(), tile_y_.size(), orders_.size(), row_blocks_.size(),
              column_blocks_.size(), depths_.size(), k_parts_.size()};
    for (std::size_t r : radix_) size_ *= r;
}

std::array<std::size_t, Mapspace::kDimensions> Mapspace::digits(std::uint64_t index) const {
    std::array<std::size_t, kDimensions> d{};
    for (int i = kDimensions - 1; i >= 0; --i) {
        d[i] = std::size_t(index % radix_[i]);
        index /= radix_[i];
    }
    return d;
}

MappingChoice Mapspace::at(const std::array<std::size_t, kDimensions>& d) const {
    MappingChoice c;
    c.tile = workloads::TileShape{tile_b_[d[TileB]], tile_x_[d[TileX]], tile_y_[d[TileY]]};
    c.loop_order = orders_[d[Order]];
    c.block = row_blocks_[d[RowBlock]];
    c.block.columns = column_blocks_[d[ColumnBlock]].first;
    c.block.columns_outer = column_blocks_[d[ColumnBlock]].second;
    c.block.depth = depths_[d[Depth]];
    c.k_parts = k_parts_[d[KParts]];
    return c;
}

MappingChoice Mapspace::at(std::uint64_t index) const { return at(digits(index)); }

bool Mapspace::find(const MappingChoice& choice, std::array<std::size_t, kDimensions>& d) const {
    const auto position = [](const auto& list, const auto& value, std::size_t& out) {
        const auto it = std::find(list.begin(), list.end(), value);
        out = std::size_t(it - list.begin());
        return it != list.end();
    };
    workloads::MemoryBlock rows = choice.block;
    rows.columns = 0;
    rows.columns_outer = false;
    rows.depth = 0;
    return position(tile_b_, choice.tile.b, d[TileB]) && position(tile_x_, choice.tile.x, d[TileX]) &&
           position(tile_y_, choice.tile.y, d[TileY]) && position(orders_, choice.loop_order, d[Order]) &&
           position(row_blocks_, rows, d[RowBlock]) && position(column_blocks_, std::make_pair(choice.block.columns, choice.block.columns_outer), d[ColumnBlock]) &&
           position(depths_, choice.block.depth, d[Depth]) && position(k_parts_, choice.k_parts, d[KParts]);
}

}  // namespace acceltran::explore
