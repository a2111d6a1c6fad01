#include "workloads/op_blocking.h"

#include <optional>

#include <algorithm>

#include "core/errors.h"
#include "core/number_text.h"

namespace acceltran::workloads {

namespace {

std::int64_t blocking_ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
std::int64_t round_up_to(std::int64_t a, std::int64_t step) { return blocking_ceil_div(a, step) * step; }

// Decreasing block sizes for an extent cut into 1, 2, 3, ... pieces, rounded up to whole
// `step`s (tiles), down to one step: the candidates the default tries, largest first.
std::vector<std::int64_t> shrinking_sizes(std::int64_t extent, std::int64_t step) {
    std::vector<std::int64_t> sizes{extent};
    const std::int64_t floor = std::min(extent, step);
    for (std::int64_t q = 2; sizes.back() > floor; ++q) {
        const std::int64_t s = std::max(floor, std::min(extent, round_up_to(blocking_ceil_div(extent, q), step)));
        if (s < sizes.back()) sizes.push_back(s);
    }
    return sizes;
}

}  // namespace

OpBlocking::OpBlocking(const OpGraph& graph, const Op& op, const std::vector<TensorLayout>& layouts,
                       const CompileOptions& options, TileShape tile, LoopOrder order)
    : g_(graph), op_(op), layouts_(layouts), opt_(options), tile_(tile), order_(order) {
    weight_b_ = op.kind == OpKind::MatMul && op.b_input >= 0 && !op.b_batched &&
                graph.tensors[std::size_t(op.b_input)].kind == TensorKind::Weight;
    // Element-wise ops work on each element alone; softmax and the norms need whole rows,
    // rotary pairs of columns, attention matmuls every key of a row.
    columns_ok_ = weight_b_ || op.kind == OpKind::Gelu || op.kind == OpKind::Add || op.kind == OpKind::SwiGlu;
}

MemoryBlock OpBlocking::resolve(const MemoryBlock& block, const std::string& origin) const {
    const std::string where = (origin.empty() ? std::string() : origin + ": ") + "op '" + op_.name + "': block ";
    if (block.batch < 0 || block.rows < 0 || block.columns < 0 || block.depth < 0)
        throw InputError(where + "sizes must be 0 (the whole extent) or positive");
    MemoryBlock r{block.batch ? block.batch : op_.batch, block.rows ? block.rows : op_.m,
                  block.columns ? block.columns : op_.n, block.columns_outer, block.depth ? block.depth : op_.k};
    if (r.depth < op_.k) {
        // A cut reduction: the k blocks' partial sums stay on chip beside the next k block's
        // operands, which needs k innermost among the block loops and whole k tiles.
        if (!weight_b_)
            throw InputError(where + "depth " + std::to_string(r.depth) + ", below the op's k of " +
                             std::to_string(op_.k) + ": only a matmul whose B is a weight is blocked in depth");
        if (r.columns_outer)
            throw InputError(where + "depth " + std::to_string(r.depth) + " with order columns_outer: k blocks run "
                             "innermost of rows outer only");
        if (r.depth % tile_.y != 0)
            throw InputError(where + "depth " + std::to_string(r.depth) + " is not a multiple of the tile's k extent " +
                             std::to_string(tile_.y) + " (the tile's y) nor the op's whole k of " + std::to_string(op_.k));
        if (!rows_resident_.empty())
            throw InputError(where + "depth " + std::to_string(r.depth) + ": '" + rows_resident_ +
                             "' is fused into the op and needs finished output rows after each row block, "
                             "which k blocks do not give");
    }
    if (r.columns_outer && !columns_ok_)
        throw InputError(where + "order columns_outer: only a matmul whose B is a weight and element-wise ops (GELU, "
                         "add, SwiGLU) are blocked by columns");
    if (r.batch > op_.batch || r.rows > op_.m || r.columns > op_.n || r.depth > op_.k)
        throw InputError(where + describe(r) + " is larger than the op (" +
                         describe({op_.batch, op_.m, op_.n, false, op_.k}) + ")");
    if (r.rows < op_.m && r.batch != 1)
        throw InputError(where + "of " + std::to_string(r.rows) + " rows, fewer than the op's " +
                         std::to_string(op_.m) + ", must have batch: 1 (a block never splits two batch entries)");
    if (r.columns < op_.n && !columns_ok_)
        throw InputError(where + "of " + std::to_string(r.columns) + " columns, fewer than the op's " +
                         std::to_string(op_.n) + ": only a matmul whose B is a weight and element-wise ops (GELU, " +
                         "add, SwiGLU) can be blocked by columns (softmax and norms need whole rows, rotary pairs " +
                         "of columns, attention every key of a row)");
    return r;
}

bool OpBlocking::whole(const MemoryBlock& r) const {
    return r.batch == op_.batch && r.rows == op_.m && r.columns == op_.n && !cuts_k(r);
}

namespace {

// `base` cut along one dimension of `extent` into pieces of `step` (the last one shorter),
// each with its origin and size in the given fields.
std::vector<OpBlocking::Range> cut_ranges(const OpBlocking::Range& base, std::int64_t extent, std::int64_t step,
                                          std::int64_t OpBlocking::Range::*origin, std::int64_t OpBlocking::Range::*size) {
    std::vector<OpBlocking::Range> out;
    for (std::int64_t o = 0; o < extent; o += step) {
        OpBlocking::Range piece = base;
        piece.*origin = o;
        piece.*size = std::min(step, extent - o);
        out.push_back(piece);
    }
    return out;
}

}  // namespace

std::vector<OpBlocking::Range> OpBlocking::depth_ranges(const MemoryBlock& r, const Range& block) const {
    if (!cuts_k(r)) return {block};
    return cut_ranges(block, op_.k, r.depth, &Range::d0, &Range::nd);
}

std::vector<OpBlocking::Range> OpBlocking::row_ranges(const MemoryBlock& r) const {
    std::vector<Range> out;
    if (r.rows == op_.m) {
        for (std::int64_t b0 = 0; b0 < op_.batch; b0 += r.batch)
            out.push_back({b0, std::min(r.batch, op_.batch - b0), 0, op_.m, 0, op_.n});
        return out;
    }
    for (std::int64_t b = 0; b < op_.batch; ++b)
        for (std::int64_t r0 = 0; r0 < op_.m; r0 += r.rows) out.push_back({b, 1, r0, std::min(r.rows, op_.m - r0), 0, op_.n});
    return out;
}

std::vector<OpBlocking::Range> OpBlocking::column_ranges(const MemoryBlock& r, const Range& rows) const {
    return cut_ranges(rows, op_.n, r.columns, &Range::c0, &Range::nc);
}

OpBlocking::Slice OpBlocking::slice(int tensor, std::uint64_t num, std::uint64_t den, std::uint64_t offset_num) const {
    const TensorLayout& l = layouts_[std::size_t(tensor)];
    const auto elements = std::uint64_t(g_.tensors[std::size_t(tensor)].elements());
    Slice s;
    s.tensor = tensor;
    s.buffer = l.buffer;
    s.elements = (elements * num + den - 1) / den;
    s.data_bytes = compressed_bytes(s.elements, l.density, l.element_bits);
    s.mask_bytes = l.masked ? mask_bytes(s.elements) : 0;
    // Nominal: where the slice would start if the tensor were stored in this op's order.
    s.memory_offset = l.data_bytes * offset_num / den;
    return s;
}

std::vector<OpBlocking::Slice> OpBlocking::row_slices(const Range& r) const {
    std::vector<Slice> out;
    if (op_.kind != OpKind::MatMul) return out;
    const auto rows = std::uint64_t(op_.batch * op_.m);
    for (int t : op_.inputs()) {
        if (t == op_.b_input && weight_b_) continue;
        const bool batched_b = op_.b_batched && (t == op_.b_input ||
                                                 std::find(op_.b_more.begin(), op_.b_more.end(), t) != op_.b_more.end());
        if (batched_b)
            out.push_back(slice(t, std::uint64_t(r.nb), std::uint64_t(op_.batch), std::uint64_t(r.b0)));
        else if (r.nd > 0 && r.nd < op_.k)  // a k block: its k columns of the rows
            out.push_back(slice(t, std::uint64_t(r.nb * r.nr * r.nd), rows * std::uint64_t(op_.k),
                                std::uint64_t((r.b0 * op_.m + r.r0) * op_.k + r.d0 * r.nr)));
        else
            out.push_back(slice(t, std::uint64_t(r.nb * r.nr), rows, std::uint64_t(r.b0 * op_.m + r.r0)));
    }
    return out;
}

std::vector<OpBlocking::Slice> OpBlocking::block_slices(const Range& r, bool weight_whole) const {
    if (op_.kind == OpKind::MatMul) {
        if (weight_b_ && !weight_whole) return {weight_slice(r)};
        return {};
    }
    std::vector<Slice> out;
    const auto all = std::uint64_t(op_.batch * op_.m * op_.n);
    const auto offset = std::uint64_t((r.b0 * op_.m + r.r0) * op_.n + r.c0 * r.nr);
    for (int t : op_.inputs()) {
        if (g_.tensors[std::size_t(t)].elements() < op_.out_elements()) {
            // Broadcast over the batch (position rows, rotary angles): the block's part of it.
            out.push_back(slice(t, std::uint64_t(r.nr * r.nc), std::uint64_t(op_.m * op_.n),
                                std::uint64_t(r.r0 * op_.n + r.c0 * r.nr)));
        } else {
            out.push_back(slice(t, std::uint64_t(r.nb * r.nr * r.nc), all, offset));
        }
    }
    return out;
}

OpBlocking::Slice OpBlocking::weight_slice(const Range& r) const {
    if (r.nd > 0 && r.nd < op_.k)  // a k block: its rows of the weight's columns
        return slice(op_.b_input, std::uint64_t(r.nc * r.nd), std::uint64_t(op_.n * op_.k),
                     std::uint64_t(r.d0 * op_.n + r.c0 * r.nd));
    return slice(op_.b_input, std::uint64_t(r.nc), std::uint64_t(op_.n), std::uint64_t(r.c0));
}

bool OpBlocking::parks_partial_sums(const Range& r) const {
    // A k block's output slice holds the partial sum between k blocks.
    if (op_.kind == OpKind::MatMul && r.nd > 0 && r.nd < op_.k) return true;
    return op_.kind == OpKind::MatMul && grid(r).nk > 1 && order_.letters()[3] != 'k';
}

OpBlocking::Slice OpBlocking::output_slice(const Range& r) const {
    const auto all = std::uint64_t(op_.batch * op_.m * op_.n);
    Slice s = slice(op_.output, std::uint64_t(r.nb * r.nr * r.nc), all,
                    std::uint64_t((r.b0 * op_.m + r.r0) * op_.n + r.c0 * r.nr));
    // Partial sums parked between k steps are dense (the planner's rule for whole ops).
    if (parks_partial_sums(r)) s.data_bytes = std::max(s.data_bytes, compressed_bytes(s.elements, 1.0, layouts_[std::size_t(op_.output)].element_bits));
    return s;
}

TileGrid OpBlocking::grid(const Range& r) const {
    Op part = op_;
    part.batch = r.nb;
    part.m = r.nr;
    part.n = r.nc;
    const bool k_block = r.nd > 0 && r.nd < op_.k;
    if (k_block) part.k = r.nd;
    TileGrid g = make_tile_grid(part, tile_);
    g.batch_origin = r.b0;
    g.row_origin = r.r0;
    g.col_origin = r.c0;
    if (k_block) {
        g.k_origin = r.d0;
        g.k_whole = op_.k;
    }
    return g;
}

std::vector<std::pair<OpBlocking::Slice, std::uint64_t>> OpBlocking::contents(const MemoryBlock& resolved, int copies,
                                                                               bool weight_whole) const {
    std::vector<std::pair<Slice, std::uint64_t>> out;
    // The first block is the largest: whole batch entries or rows from the start, the first columns.
    const Range rows{0, resolved.rows == op_.m ? resolved.batch : 1, 0, resolved.rows, 0, op_.n};
    const std::int64_t nd = cuts_k(resolved) ? resolved.depth : 0;
    const Range block{0, rows.nb, 0, rows.nr, 0, resolved.columns, 0, nd};
    // A k block's A slices are its own (loaded per k block); they replace the row block's.
    for (const Slice& s : row_slices(nd ? block : rows)) out.emplace_back(s, std::uint64_t(copies));
    for (const Slice& s : block_slices(block, weight_whole)) out.emplace_back(s, std::uint64_t(copies));
    // Kept output rows (keep_output_rows): the row block's slice of all n columns. With k blocks
    // the output slice holds the partial sum across a (row, column) block's k blocks, so the next
    // k block's slices load beside the same one: double buffering takes two copies of the k
    // slices and one of the output.
    out.emplace_back(output_slice(output_rows_kept() ? rows : block), std::uint64_t(nd ? 1 : copies));
    const auto all = std::uint64_t(op_.batch * op_.m * op_.n);
    for (int t : side_inputs_)
        out.emplace_back(slice(t, std::uint64_t(rows.nb * rows.nr * op_.n), all, 0), std::uint64_t(copies));
    if (weight_b_ && weight_whole) out.emplace_back(weight_slice({0, 1, 0, 1, 0, op_.n}), 1);
    return out;
}

std::vector<std::uint64_t> OpBlocking::need(const MemoryBlock& resolved, int copies, bool weight_whole) const {
    std::vector<std::uint64_t> bytes(kBufferKinds, 0);
    for (const auto& [s, times] : contents(resolved, copies, weight_whole)) {
        bytes[std::size_t(s.buffer)] += s.data_bytes * times;
        bytes[std::size_t(BufferKind::Mask)] += s.mask_bytes * times;
    }
    return bytes;
}

std::string OpBlocking::occupants(const MemoryBlock& resolved, BufferKind b) const {
    std::string text;
    for (const auto& [s, times] : contents(resolved, 1, false)) {
        const std::uint64_t bytes = b == BufferKind::Mask ? s.mask_bytes : s.buffer == b ? s.data_bytes : 0;
        if (bytes == 0) continue;
        text += std::string(text.empty() ? "" : ", ") + (s.tensor == op_.output ? "output '" : "operand '") +
                g_.tensors[std::size_t(s.tensor)].name + "' " + byte_count_text(bytes);
    }
    return text;
}

bool OpBlocking::fits(const MemoryBlock& resolved, int copies, bool weight_whole) const {
    const std::vector<std::uint64_t> bytes = need(resolved, copies, weight_whole);
    for (int b = 0; b < kBufferKinds; ++b)
        if (bytes[std::size_t(b)] > opt_.capacity[b]) return false;
    return true;
}

std::string OpBlocking::describe(const MemoryBlock& r) const {
    return std::to_string(r.batch) + " batch entries x " + std::to_string(r.rows) + " rows x " +
           std::to_string(r.columns) + " columns" +
           (cuts_k(r) ? " x depth " + std::to_string(r.depth) : std::string());
}

OpBlocking::Choice OpBlocking::settle(const MemoryBlock& resolved, const std::string& origin) const {
    // Columns outer loads each column slice of a weight once and keeps it across the row blocks:
    // keeping the whole weight would load the same bytes, later for the first block.
    // A cut k streams the weight's k slices with A's, so it is never kept whole either.
    const bool keep_whole = weight_b_ && !(resolved.columns_outer && resolved.columns < op_.n) && !cuts_k(resolved);
    for (int copies : {2, 1}) {
        if (keep_whole && fits(resolved, copies, true)) return {resolved, true, copies == 2};
        if (fits(resolved, copies, false)) return {resolved, false, copies == 2};
    }
    const std::vector<std::uint64_t> bytes = need(resolved, 1, false);
    int worst = 0;
    for (int b = 0; b < kBufferKinds; ++b)
        if (bytes[std::size_t(b)] > opt_.capacity[b]) {
            worst = b;
            break;
        }
    const auto b = BufferKind(worst);
    throw InputError((origin.empty() ? std::string() : origin + ": ") + "op '" + op_.name + "' does not fit in the " +
                     opt_.buffer_name(b) + " buffer, which holds " + byte_count_text(opt_.capacity[worst]) +
                     ", even in blocks: a block of " + describe(resolved) + " needs " +
                     byte_count_text(bytes[std::size_t(worst)]) + " there: " + occupants(resolved, b) +
                     (output_rows_kept() ? "; with '" + rows_resident_ + "' fused into it, its output rows stay "
                                           "resident whole (all " + std::to_string(op_.n) + " columns), and they do not fit"
                                         : std::string()) +
                     " (raise " + opt_.size_key_of(b) +
                     (origin.empty() ? std::string(")") : std::string(" or choose a smaller block)")));
}

OpBlocking::Choice OpBlocking::choose() const {
    // Row blocks: whole batch entries in fewer and fewer groups, then single entries cut into
    // whole tiles of rows, then below a tile. Column blocks (columns_ok_): whole tiles of columns.
    std::vector<MemoryBlock> rows;
    // Each distinct ceil(batch / q), largest first, jumping from q to the first q' that gives a
    // smaller one: about 2 sqrt(batch) steps instead of batch (--batch 2147483647 spent minutes
    // here, per op, before the command could say that the batch does not fit).
    for (std::int64_t q = 1; q <= op_.batch;) {
        const std::int64_t e = blocking_ceil_div(op_.batch, q);
        rows.push_back({e, op_.m, op_.n});
        if (e == 1) break;
        q = blocking_ceil_div(op_.batch, e - 1);
    }
    std::vector<std::int64_t> row_sizes = shrinking_sizes(op_.m, tile_.x);
    // Below one tile of rows, halving down to one row (a long row of a wide op).
    while (row_sizes.back() > 1) row_sizes.push_back(row_sizes.back() / 2);
    for (std::size_t i = 1; i < row_sizes.size(); ++i) rows.push_back({1, row_sizes[i], op_.n});
    const std::vector<std::int64_t> columns =
        columns_ok_ ? shrinking_sizes(op_.n, tile_.y) : std::vector<std::int64_t>{op_.n};

    const std::optional<Choice> whole_k = choose_whole_k(rows, columns);
    // A deep weight matmul held to one tile of columns (or to nothing) without a k cut: the
    // reduction cut into k blocks lets a larger block of outputs fit (docs/mapping.md §2.1).
    const bool narrow = !whole_k || (!whole_k->weight_whole && whole_k->block.columns <= tile_.y);
    if (narrow && weight_b_ && rows_resident_.empty() && opt_.default_k_blocks && op_.k > tile_.y) {
        const std::optional<Choice> cut = choose_k_blocks(rows, columns);
        const auto outputs = [](const MemoryBlock& b) { return b.batch * b.rows * b.columns; };
        if (cut && (!whole_k || outputs(cut->block) > outputs(whole_k->block))) return *cut;
    }
    if (whole_k) return *whole_k;
    MemoryBlock smallest = rows.back();
    smallest.columns = columns.back();
    return settle(smallest, "");  // throws: nothing fits once
}

std::optional<OpBlocking::Choice> OpBlocking::choose_whole_k(const std::vector<MemoryBlock>& rows,
                                                              const std::vector<std::int64_t>& columns) const {
    // Keeping the weight whole costs one load of it; slicing it reloads it once per row block,
    // so it comes second. Two copies (double buffering) before one.
    for (int copies : {2, 1}) {
        if (weight_b_)
            for (const MemoryBlock& r : rows)
                if (fits(r, copies, true)) return Choice{r, true, copies == 2};
        for (MemoryBlock r : rows) {
            r.columns = columns.back();
            if (!fits(r, copies, false)) continue;
            for (std::int64_t c : columns) {
                r.columns = c;
                if (fits(r, copies, false)) return Choice{r, false, copies == 2};
            }
        }
    }
    return std::nullopt;
}

std::optional<OpBlocking::Choice> OpBlocking::choose_k_blocks(const std::vector<MemoryBlock>& rows,
                                                               const std::vector<std::int64_t>& columns) const {
    // Depths below k in whole tiles of y; the block with the most outputs that fits twice (else
    // once), then the most rows (the weight moves once per row block), then the deepest k slice
    // (fewer k blocks, so fewer partial-sum round trips through the lanes).
    std::vector<std::int64_t> depths = shrinking_sizes(op_.k, tile_.y);
    depths.erase(depths.begin());  // the whole k
    for (int copies : {2, 1}) {
        std::optional<MemoryBlock> best;
        const auto better = [&](const MemoryBlock& a, const MemoryBlock& b) {
            const std::int64_t oa = a.batch * a.rows * a.columns, ob = b.batch * b.rows * b.columns;
            if (oa != ob) return oa > ob;
            if (a.batch * a.rows != b.batch * b.rows) return a.batch * a.rows > b.batch * b.rows;
            return a.depth > b.depth;
        };
        for (MemoryBlock r : rows)
            for (std::int64_t c : columns)
                for (std::int64_t d : depths) {
                    r.columns = c;
                    r.depth = d;
                    if ((!best || better(r, *best)) && fits(r, copies, false)) best = r;
                }
        if (best) return Choice{*best, false, copies == 2};
    }
    return std::nullopt;
}

}  // namespace acceltran::workloads
