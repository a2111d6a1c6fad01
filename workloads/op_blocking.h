// Main-memory blocking inside one op (docs/mapping.md §1, "Blocks inside an op"): which slices of
// its operands and output one block holds, how many bytes they take in each buffer, and the
// default choice of block for an op whose operands and output do not fit the buffers at once.
// The buffer planner (buffer_planner.h) turns the blocks into loads, computes and stores.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "workloads/op_directive.h"
#include "workloads/op_graph.h"
#include "workloads/target_description.h"
#include "workloads/tiled_program.h"

namespace acceltran::workloads {

class OpBlocking {
public:
    // One block: batch entries [b0, b0 + nb), rows [r0, r0 + nr) of each, output columns
    // [c0, c0 + nc), in the op's own dimensions; for a block that cuts the reduction
    // (MemoryBlock::depth), k elements [d0, d0 + nd) (nd = 0: the whole k).
    struct Range {
        std::int64_t b0 = 0, nb = 0, r0 = 0, nr = 0, c0 = 0, nc = 0;
        std::int64_t d0 = 0, nd = 0;
    };
    // The part of one tensor a block needs.
    struct Slice {
        int tensor = -1;
        BufferKind buffer = BufferKind::Activation;
        std::uint64_t elements = 0, data_bytes = 0, mask_bytes = 0;
        std::uint64_t memory_offset = 0;  // bytes from the tensor's main-memory home
    };
    using Choice = BlockedOp;

    OpBlocking(const OpGraph& graph, const Op& op, const std::vector<TensorLayout>& layouts,
               const CompileOptions& options, TileShape tile, LoopOrder order);
    // It keeps a reference to the layouts: a temporary's would dangle.
    OpBlocking(const OpGraph& graph, const Op& op, std::vector<TensorLayout>&& layouts, const CompileOptions& options,
               TileShape tile, LoopOrder order) = delete;

    // A matmul whose B is a weight (shared by the batch): the weight can be kept whole.
    bool weight_matmul() const { return weight_b_; }
    // `block` with zeros replaced by the op's extents; InputError (prefixed by `origin` when
    // given) when it is not a legal block of this op (op_directive.h says what is).
    MemoryBlock resolve(const MemoryBlock& block, const std::string& origin) const;
    // Whether the block is the whole op.
    bool whole(const MemoryBlock& resolved) const;

    // The blocks, rows outer (batch entries, then rows), columns inner.
    std::vector<Range> row_ranges(const MemoryBlock& resolved) const;
    std::vector<Range> column_ranges(const MemoryBlock& resolved, const Range& rows) const;
    // The k blocks of one (row, column) block, in order: the block itself when `resolved`
    // keeps the whole k, else consecutive slices of `resolved.depth` k elements.
    std::vector<Range> depth_ranges(const MemoryBlock& resolved, const Range& block) const;
    // Whether the resolved block cuts the reduction k.
    bool cuts_k(const MemoryBlock& resolved) const {
        return op_.kind == OpKind::MatMul && resolved.depth > 0 && resolved.depth < op_.k;
    }

    // Slices one row block of a matmul keeps for all its column blocks (the A operands, a
    // batched B and its later KV segments), and those of one (row, column) block: a weight B's
    // columns unless the weight is kept whole, an element-wise op's inputs; the output. For a
    // k block (Range::nd), the A and weight slices cover its k elements only.
    std::vector<Slice> row_slices(const Range& r) const;
    std::vector<Slice> block_slices(const Range& r, bool weight_whole) const;
    Slice weight_slice(const Range& r) const;
    Slice output_slice(const Range& r) const;
    // The compute grid of a block, with its origin in the op.
    TileGrid grid(const Range& r) const;

    // Whether `copies` blocks of this size fit the buffers at once, beside the whole weight
    // when `weight_whole`.
    bool fits(const MemoryBlock& resolved, int copies, bool weight_whole) const;
    // The default: the largest block that fits twice (keeping a weight whole when it can), else
    // once. A weight matmul deeper than one tile whose block would have at most one tile of
    // columns (or none fits) takes, where the target allows (CompileOptions::default_k_blocks),
    // the k-cut block with the most outputs if that has more. InputError naming the op, the
    // buffer and the bytes when even the smallest block (one batch entry, one tile of rows and,
    // for a weight matmul, one tile of columns) does not fit.
    Choice choose() const;
    // A matmul a consumer is fused into (op_fusion.h): the consumer needs whole rows of the
    // output, so a row block's output slice covers all n columns and stays on chip across the
    // row block's column blocks (the "skewed" blocks of Kim et al. 2023, Sec. 5). Fits, choose
    // and settle count it so; `consumer` names the fused op in their messages.
    // `side_inputs`: the chain's other inputs (a fused add's residual), of the output's shape,
    // whose row slices a block holds beside the kept rows.
    void keep_output_rows(const std::string& consumer, std::vector<int> side_inputs) {
        rows_resident_ = consumer;
        side_inputs_ = std::move(side_inputs);
    }
    bool output_rows_kept() const { return !rows_resident_.empty(); }
    // Bytes per buffer (data in [Activation], [Weight]; masks in [Mask]) of `copies` blocks of
    // this size, beside the whole weight when `weight_whole`.
    std::vector<std::uint64_t> block_bytes(const MemoryBlock& resolved, int copies, bool weight_whole) const {
        return need(resolved, copies, weight_whole);
    }
    // The same choice for a given block: whether its weight stays whole and it fits twice;
    // InputError (prefixed by `origin`) when it does not fit once.
    Choice settle(const MemoryBlock& resolved, const std::string& origin) const;

private:
    // choose()'s block over the row and column sizes it tries, keeping the whole k; none if
    // even the smallest does not fit.
    std::optional<Choice> choose_whole_k(const std::vector<MemoryBlock>& rows,
                                         const std::vector<std::int64_t>& columns) const;
    // choose()'s k-cut block: over the row and column sizes it tried and depths below k in
    // whole tiles, the most outputs, then rows, then depth, fitting twice else once.
    std::optional<Choice> choose_k_blocks(const std::vector<MemoryBlock>& rows,
                                          const std::vector<std::int64_t>& columns) const;
    Slice slice(int tensor, std::uint64_t num, std::uint64_t den, std::uint64_t offset_num) const;
    bool parks_partial_sums(const Range& r) const;
    // The slices `copies` blocks of the first (largest) range hold at once, plus the whole
    // weight once when `weight_whole`, each with its number of copies.
    std::vector<std::pair<Slice, std::uint64_t>> contents(const MemoryBlock& resolved, int copies,
                                                          bool weight_whole) const;
    // Their bytes per buffer (data in [Activation], [Weight]; masks in [Mask]).
    std::vector<std::uint64_t> need(const MemoryBlock& resolved, int copies, bool weight_whole) const;
    // What of one block occupies buffer `b`, for the error: "operand 'x' 1.5 KiB, output 'y' ...".
    std::string occupants(const MemoryBlock& resolved, BufferKind b) const;
    std::string describe(const MemoryBlock& resolved) const;

    const OpGraph& g_;
    const Op& op_;
    const std::vector<TensorLayout>& layouts_;
    const CompileOptions& opt_;
    TileShape tile_;
    LoopOrder order_;
    bool weight_b_ = false;
    bool columns_ok_ = false;  // the op can be blocked by output columns
    std::string rows_resident_;  // the fused consumer when output rows stay whole (keep_output_rows)
    std::vector<int> side_inputs_;
};

}  // namespace acceltran::workloads
