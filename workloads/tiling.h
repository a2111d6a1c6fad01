// Tiling of one op into tile ops, the 24 loop orders, and the sequence of tiles one compute
// unit executes. Plain C++ so that coverage and reuse can be tested without SystemC.
//
// Geometry. A tile shape (b, x, y) splits an op's (batch, m, n, k) dimensions:
//   batch by b, m by x, n by y, k by y  (as in the original simulator, k uses the y size).
// Matmul tile (bb, ii, jj, kk): A block bb x x x y, B block y x y (one per batch entry when B
// is batched), output/partial-sum block bb x x x y, MACs bb*x*y*y. Element-wise tiles have no k.
// Edge tiles are smaller: every count below uses the actual extent min(size, dim - index*size).
// Causal masks (op_graph.h): tiles whose every (query, key) pair is masked are not run at all;
// a tile on the diagonal counts only its unmasked pairs as work, but reads and writes whole
// blocks (docs/decoders.md).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/loop_order.h"
#include "workloads/op_graph.h"

namespace acceltran::workloads {

struct TileShape {
    int b = 1, x = 16, y = 16;
};

// The loop order is read once, with the design point (core/loop_order.h).
using LoopOrder = acceltran::LoopOrder;

struct TileIndex {
    std::int64_t b = 0, i = 0, j = 0, k = 0;
    bool operator==(const TileIndex& o) const { return b == o.b && i == o.i && j == o.j && k == o.k; }
};

// Tile counts of one op.
struct TileGrid {
    std::int64_t batch = 1, m = 0, n = 0, k = 0;  // op extents (k = 0: element-wise)
    TileShape shape;
    bool matmul = false;
    bool b_batched = false;  // matmul: B has one block per batch entry
    CausalMask causal;       // rows are queries; keys run along k (keys_on_depth) or n
    bool keys_on_depth = false;
    std::int64_t nb = 1, ni = 1, nj = 1, nk = 1;  // nk = 1 for element-wise
    // A main-memory block of a larger op (op_directive.h) covers the op's batch entries, rows
    // and columns from these offsets on; extents above are the block's. The causal mask and the
    // functional mode need the op's own coordinates.
    std::int64_t batch_origin = 0, row_origin = 0, col_origin = 0;
    // A block that cuts the reduction (MemoryBlock::depth) covers k elements [k_origin, k_origin
    // + k) of the op's `k_whole`: its first k step reads the partial sum an earlier k block left
    // unless it is the op's first (k_origin > 0), and its last writes a partial sum unless it is
    // the op's last (k_origin + k < k_whole), in which case it writes the finished output.
    // k_whole = 0: the grid covers the whole reduction.
    std::int64_t k_origin = 0, k_whole = 0;
    bool continues_k() const { return k_origin > 0; }
    bool ends_k() const { return (k_whole == 0 || k_origin + k >= k_whole) && k_parts == 1; }
    // The reduction split across units (OpDirective::k_parts, docs/mapping.md §1.2). A matmul
    // grid with k_parts > 1 runs each output tile's k steps in that many parts side by side
    // (JobSplit): every part starts its partial sum from zero and writes it dense at its last k
    // step; none writes the output. The reduction grid after it (reduction_grid()) has
    // `reduce_parts` = the parts: an element-wise grid over the same output tiles whose "k steps"
    // are the parts, each step reading one part's dense partial sum and the last writing the
    // output.
    std::int64_t k_parts = 1;
    std::int64_t reduce_parts = 0;
    bool reduction() const { return reduce_parts > 0; }

    // Tiles that run: all of them, or those with an unmasked pair under a causal mask.
    std::uint64_t tiles() const;
    // Output ordinals (masked outputs keep their numbers, so job ranges stay contiguous).
    std::uint64_t output_tiles() const { return std::uint64_t(nb) * ni * nj; }

    // Extents of the tile at an index (edge tiles are smaller).
    std::int64_t rows_b(std::int64_t bi) const;  // batch entries in the tile
    std::int64_t rows_i(std::int64_t ii) const;  // rows (m)
    std::int64_t cols_j(std::int64_t jj) const;  // columns (n)
    std::int64_t depth_k(std::int64_t kk) const; // reduction depth (k); 0 for element-wise

    std::uint64_t a_elements(const TileIndex& t) const;    // matmul A block or element-wise input
    std::uint64_t b_elements(const TileIndex& t) const;    // matmul B block (0 for element-wise)
    std::uint64_t out_elements(const TileIndex& t) const;  // output / partial-sum block
    std::uint64_t macs(const TileIndex& t) const;          // unmasked MACs; 0 for element-wise
    // (query, key) pairs of the tile the mask keeps, over its batch entries: the output
    // elements of an element-wise tile, A elements of a probs x V tile, output elements of a
    // Q.K^T tile. Without a mask, rows x keys of the whole tile.
    std::uint64_t visible(const TileIndex& t) const;
    bool masked(const TileIndex& t) const;   // every pair masked: the tile does not run
    std::int64_t last_k(const TileIndex& t) const;  // last k step of the tile's output that runs

private:
    std::int64_t key_begin(const TileIndex& t) const;
    std::int64_t first_row(std::int64_t ii) const { return row_origin + ii * shape.x; }
    std::int64_t key_extent(const TileIndex& t) const;
};

TileGrid make_tile_grid(const Op& op, const TileShape& shape);
// The reduction pass of a matmul grid whose k is split in `parts` across units (TileGrid::k_parts):
// the same output tiles, no MACs, `parts` steps per output tile (docs/mapping.md §1.2).
TileGrid reduction_grid(const TileGrid& grid, std::int64_t parts);

// Output tiles are numbered by their position in the loop order with k removed, so that a
// contiguous range of output ordinals is a contiguous stretch of the dataflow.
std::uint64_t output_ordinal(const TileGrid& grid, const LoopOrder& order, const TileIndex& t);

// Whether an output tile of the ordinal range [first, end) is smaller than the op's other
// output tiles along b, i or j (the last tile of a dimension the tile size does not divide).
// Two ranges of the same length that both answer no hold output tiles of equal extents.
bool range_has_short_tile(const TileGrid& grid, const LoopOrder& order, std::uint64_t first, std::uint64_t end);

// What one compute unit does for one tile, given the tile it ran just before (same op, same
// unit) and the one it runs next.
struct TileStep {
    TileIndex index;
    bool read_a = true;        // A block not reused from the previous tile on this unit
    bool read_b = true;        // B block not reused (weights: same (k, j); batched B: same (b, k, j))
    bool read_psum = false;    // k > 0 and the previous tile on this unit was not (b, i, j, k-1)
    bool write_psum = false;   // k < nk-1 and the next tile on this unit is not (b, i, j, k+1)
    bool write_output = true;  // last k step: the finished output block is written
};

// The tiles of the output-ordinal range [first_output, end_output) in loop order: all k steps of
// those outputs, interleaved as the loop order dictates. This is the work one unit receives.
class LaneTileSequence {
public:
    // [k_begin, k_end): the k steps of those outputs this sequence covers (default: all of them;
    // a part only under CompatConfig::spread_k_tiles).
    LaneTileSequence(const TileGrid& grid, const LoopOrder& order, std::uint64_t first_output,
                     std::uint64_t end_output, std::int64_t k_begin = 0, std::int64_t k_end = -1);
    // Fills `step` with the next tile; false when the sequence is exhausted.
    bool next(TileStep& step);
    std::uint64_t size() const;  // raw tiles in the range, masked ones included: (end - first) * k steps

    // Rows: the tiles of one k step of one prefix value (below). After next() has returned the
    // last tile of row k, the number of rows after it that repeat it tile for tile, with the
    // same extents, step flags and unmasked pairs (only k differs): the rows k+1 ... up to the
    // last one that is neither the output's first nor its last k step (nor, under a causal mask
    // with keys along k, a block some query row of the tiles does not see in full). 0 when row
    // k is a first k step or the last tile returned did not end a row. The fast level counts
    // such rows instead of walking them (modules/compute/job_plan.cpp).
    std::uint64_t identical_rows_ahead() const;
    // Skips `rows` <= identical_rows_ahead() rows, as if next() had returned each of their tiles.
    void skip_rows(std::uint64_t rows);

private:
    // The outputs in range are a contiguous stretch of the k-less mixed-radix order. Splitting
    // the loop letters at k into an outer prefix and an inner suffix, the range is: for each
    // prefix value it overlaps, every k step, then the suffix values of that prefix in range.
    // Walking (prefix, k, suffix) costs O(tiles produced), whatever the size of the op: the
    // suffix letters are stepped as an odometer (no division per tile); a prefix is decoded
    // once per prefix value.
    bool advance(TileIndex& out);  // next raw tile of the range in loop order
    bool advance_unmasked(TileIndex& out);  // next tile that runs
    void decode(std::uint64_t value, const std::array<char, 3>& letters, int count,
                TileIndex& out) const;
    void start_prefix();  // decodes prefix_ and suffix_begin_ into cur_

    TileGrid grid_;
    std::uint64_t first_, end_;
    std::array<char, 3> outer_{}, inner_{};  // b/i/j letters outside and inside the k loop
    int n_outer_ = 0, n_inner_ = 0;
    std::uint64_t inner_count_ = 1;  // outputs per prefix value
    std::uint64_t prefix_ = 0, last_prefix_ = 0;
    std::uint64_t suffix_ = 0, suffix_begin_ = 0, suffix_end_ = 0;
    std::int64_t k_begin_ = 0, k_end_ = 1;
    std::int64_t k_ = 0;
    TileIndex cur_{}, row_begin_{};  // the tile advance() returns next; cur_ at suffix_begin_
    std::array<std::int64_t, 3> inner_extent_{};
    bool i_inner_ = false;  // the row letter i changes within a row
    std::uint64_t remaining_ = 0;  // raw tiles not yet produced by advance()
    bool has_prev_ = false, has_next_ = false;
    TileIndex prev_{}, next_{};
};

}  // namespace acceltran::workloads
