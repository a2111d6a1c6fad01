// What a mapping decides for one op, when it differs from the design point's defaults
// (docs/mapping.md): the tile a compute unit takes from a buffer, the loop order over those
// tiles, and how the op is blocked between main memory and the buffers. A mapping file
// (`acceltran run --mapping`) or the mapper (`acceltran map`) gives one per op; the compiler
// (buffer_planner.h) follows it and refuses, with the op and the buffer named, a choice that
// does not fit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "workloads/tiling.h"

namespace acceltran::workloads {

// Main-memory blocking inside one op: the op runs block by block, each block's operand slices
// loaded from main memory and its output slice stored back (docs/mapping.md §1). Sizes are in
// the op's own dimensions (batch counts batch entries x heads for attention ops); 0 means the
// whole extent. `rows` below m needs `batch` = 1 (a block never spans two batch entries
// partially); `columns` below n is for matmuls whose B is a weight and element-wise ops (GELU,
// add, SwiGLU): softmax and norms need whole rows, rotary pairs of columns, attention every key
// of a row.
//
// The blocks run rows outer, columns inner (a row block's A slice stays on chip across its column
// blocks, a weight's column slice is loaded again for every row block), or with `columns_outer`
// columns outer (a weight's column slice stays across the row blocks, the A slices are loaded
// again for every column block): the mapping file's `order: rows_outer | columns_outer`.
//
// `depth` below k (a matmul whose B is a weight, rows outer) cuts the reduction: each (row,
// column) block runs as k blocks of `depth` k elements, innermost, each loading its slices of A
// (rows x depth) and of the weight (depth x columns); the block's output slice holds the partial
// sum on chip from its first k block to its last, which stores the finished output
// (docs/mapping.md §1.1, "Blocks that cut k").
struct MemoryBlock {
    std::int64_t batch = 0, rows = 0, columns = 0;
    bool columns_outer = false;
    std::int64_t depth = 0;
    bool operator==(const MemoryBlock& o) const {
        return batch == o.batch && rows == o.rows && columns == o.columns && columns_outer == o.columns_outer &&
               depth == o.depth;
    }
};

struct OpDirective {
    std::optional<TileShape> tile;         // else the design point's
    std::optional<LoopOrder> loop_order;   // else the design point's
    // Set: block the op this way (a block equal to the whole op means "never block").
    // Unset: whole when the op fits the buffers, else the default blocking heuristic.
    std::optional<MemoryBlock> block;
    // Fused into its producer (op_fusion.h, fusion_chain_of; docs/mapping.md §11): this op (with
    // any op between it and the producing matmul) runs on each of the matmul's main-memory blocks
    // right after that block, while the block's rows are still on chip, so the intermediate
    // tensors never go to main memory. Set on the last op of the chain (the consumer).
    bool fuse = false;
    // Which loops are spatial (docs/mapping.md §1.2): above 1, the reduction k is split across
    // units too, each output tile's k steps in `k_parts` near-equal parts run side by side on
    // different units, each part's partial sum written dense to the activation buffer, and a
    // reduction pass on the lanes adds the parts in order and writes the output. 1: units take
    // output tiles only (every op by default).
    std::int64_t k_parts = 1;
    // Where the directive came from ("mapping.yaml:12"), for the compiler's errors; empty for
    // directives made in code.
    std::string origin;
};

}  // namespace acceltran::workloads
