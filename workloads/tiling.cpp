#include "workloads/tiling.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "core/errors.h"

namespace acceltran::workloads {

namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Extent of the tile at `index` along a dimension of size `dim` cut into pieces of `size`.
std::int64_t edge(std::int64_t dim, std::int64_t size, std::int64_t index) {
    return std::min(size, dim - index * size);
}

std::int64_t letter_extent(const TileGrid& grid, char letter) {
    switch (letter) {
        case 'b': return grid.nb;
        case 'i': return grid.ni;
        case 'j': return grid.nj;
        default: return grid.nk;
    }
}

// The index component a loop letter runs over; works on const and mutable indices alike.
template <typename Index>
auto& letter_of(Index& t, char letter) {
    switch (letter) {
        case 'b': return t.b;
        case 'i': return t.i;
        case 'j': return t.j;
        default: return t.k;
    }
}

bool same_output(const TileIndex& x, const TileIndex& y) {
    return x.b == y.b && x.i == y.i && x.j == y.j;
}

}  // namespace

std::int64_t TileGrid::rows_b(std::int64_t bi) const { return edge(batch, shape.b, bi); }
std::int64_t TileGrid::rows_i(std::int64_t ii) const { return edge(m, shape.x, ii); }
std::int64_t TileGrid::cols_j(std::int64_t jj) const { return edge(n, shape.y, jj); }
std::int64_t TileGrid::depth_k(std::int64_t kk) const {
    return matmul ? edge(k, shape.y, kk) : 0;
}

std::uint64_t TileGrid::a_elements(const TileIndex& t) const {
    return std::uint64_t(rows_b(t.b)) * rows_i(t.i) * (matmul ? depth_k(t.k) : cols_j(t.j));
}

std::uint64_t TileGrid::b_elements(const TileIndex& t) const {
    if (!matmul) return 0;
    return std::uint64_t(depth_k(t.k)) * cols_j(t.j) * (b_batched ? rows_b(t.b) : 1);
}

std::uint64_t TileGrid::out_elements(const TileIndex& t) const {
    return std::uint64_t(rows_b(t.b)) * rows_i(t.i) * cols_j(t.j);
}

std::uint64_t TileGrid::macs(const TileIndex& t) const {
    if (!causal.on) return out_elements(t) * depth_k(t.k);
    return visible(t) * std::uint64_t(keys_on_depth ? cols_j(t.j) : depth_k(t.k));
}

std::int64_t TileGrid::key_begin(const TileIndex& t) const {
    return keys_on_depth ? t.k * shape.y : col_origin + t.j * shape.y;
}

std::int64_t TileGrid::key_extent(const TileIndex& t) const {
    return keys_on_depth ? depth_k(t.k) : cols_j(t.j);
}

std::uint64_t TileGrid::visible(const TileIndex& t) const {
    const std::int64_t row = first_row(t.i), key = key_begin(t);
    return std::uint64_t(rows_b(t.b)) *
           std::uint64_t(causal.pairs(row, row + rows_i(t.i), key, key + key_extent(t)));
}

bool TileGrid::masked(const TileIndex& t) const {
    // The last row of the tile sees the most keys.
    return causal.on && causal.last_key(first_row(t.i) + rows_i(t.i) - 1) < key_begin(t);
}

std::int64_t TileGrid::last_k(const TileIndex& t) const {
    if (!causal.on || !keys_on_depth) return nk - 1;
    return std::min(nk - 1, causal.last_key(first_row(t.i) + rows_i(t.i) - 1) / shape.y);
}

std::uint64_t TileGrid::tiles() const {
    if (!causal.on) return std::uint64_t(nb) * ni * nj * nk;
    // Per row block, the key blocks up to the one holding its last row's last key run.
    std::uint64_t per_batch = 0;
    const std::int64_t key_blocks = keys_on_depth ? nk : nj, other = keys_on_depth ? nj : nk;
    for (std::int64_t i = 0; i < ni; ++i) {
        const std::int64_t last = causal.last_key(first_row(i) + rows_i(i) - 1);
        per_batch += std::uint64_t(std::min(key_blocks, last / shape.y + 1) * other);
    }
    return std::uint64_t(nb) * per_batch;
}

TileGrid make_tile_grid(const Op& op, const TileShape& shape) {
    // A zero or negative size would divide by zero below; configs are validated before this,
    // so reaching it is a caller bug rather than a user input error.
    if (shape.b < 1 || shape.x < 1 || shape.y < 1) {
        throw std::invalid_argument("tile shape sizes must be positive");
    }
    TileGrid grid;
    grid.batch = op.batch;
    grid.m = op.m;
    grid.n = op.n;
    grid.shape = shape;
    grid.matmul = op.kind == OpKind::MatMul;
    grid.b_batched = op.b_batched;
    grid.causal = op.causal;
    // Q.K^T and element-wise ops have their keys along n; probs x V along k.
    grid.keys_on_depth = grid.matmul && !op.b_transposed;
    grid.k = grid.matmul ? op.k : 0;
    grid.nb = ceil_div(op.batch, shape.b);
    grid.ni = ceil_div(op.m, shape.x);
    grid.nj = ceil_div(op.n, shape.y);
    grid.nk = grid.matmul ? ceil_div(op.k, shape.y) : 1;
    return grid;
}

TileGrid reduction_grid(const TileGrid& grid, std::int64_t parts) {
    TileGrid r = grid;
    r.matmul = false;
    r.b_batched = false;
    r.k = 0;
    r.k_parts = 1;
    r.k_origin = r.k_whole = 0;
    r.nk = parts;
    r.reduce_parts = parts;
    return r;
}

std::uint64_t output_ordinal(const TileGrid& grid, const LoopOrder& order, const TileIndex& t) {
    std::uint64_t ordinal = 0;
    for (char letter : order.letters()) {
        if (letter == 'k') continue;
        ordinal = ordinal * letter_extent(grid, letter) + letter_of(t, letter);
    }
    return ordinal;
}

bool range_has_short_tile(const TileGrid& grid, const LoopOrder& order, std::uint64_t first, std::uint64_t end) {
    if (first >= end) return false;
    // In the k-less mixed-radix order, letter L's index is (ordinal / inner) % n, inner being
    // the product of the extents of the letters after it: the range holds an output with index
    // n - 1 when some s in [first / inner, (end - 1) / inner] has s % n == n - 1.
    std::uint64_t inner = 1;
    const auto& letters = order.letters();
    for (auto it = letters.rbegin(); it != letters.rend(); ++it) {
        const char letter = *it;
        if (letter == 'k') continue;
        const auto n = std::uint64_t(letter_extent(grid, letter));
        const std::int64_t last = std::int64_t(n) - 1;
        const bool shorter = letter == 'b'   ? grid.rows_b(last) < grid.rows_b(0)
                             : letter == 'i' ? grid.rows_i(last) < grid.rows_i(0)
                                             : grid.cols_j(last) < grid.cols_j(0);
        if (n > 1 && shorter) {
            const std::uint64_t lo = first / inner, hi = (end - 1) / inner;
            if (lo + (n - 1 - lo % n) <= hi) return true;
        }
        inner *= n;
    }
    return false;
}

LaneTileSequence::LaneTileSequence(const TileGrid& grid, const LoopOrder& order,
                                   std::uint64_t first_output, std::uint64_t end_output, std::int64_t k_begin,
                                   std::int64_t k_end)
    : grid_(grid), first_(first_output), end_(end_output), k_begin_(k_begin), k_end_(k_end < 0 ? grid.nk : k_end),
      k_(k_begin) {
    if (first_ > end_ || end_ > grid.output_tiles()) {
        throw std::invalid_argument("output range [" + std::to_string(first_) + ", " +
                                    std::to_string(end_) +
                                    ") needs first <= end <= output tiles (" +
                                    std::to_string(grid.output_tiles()) + ")");
    }
    if (k_begin_ < 0 || k_begin_ >= k_end_ || k_end_ > grid.nk)
        throw std::invalid_argument("k range [" + std::to_string(k_begin_) + ", " + std::to_string(k_end_) +
                                    ") needs 0 <= begin < end <= k steps (" + std::to_string(grid.nk) + ")");
    bool inside_k = false;
    for (char letter : order.letters()) {
        if (letter == 'k') {
            inside_k = true;
        } else if (inside_k) {
            inner_extent_[n_inner_] = letter_extent(grid, letter);
            if (letter == 'i' && grid.ni > 1) i_inner_ = true;
            inner_[n_inner_++] = letter;
            inner_count_ *= letter_extent(grid, letter);
        } else {
            outer_[n_outer_++] = letter;
        }
    }
    remaining_ = size();
    if (remaining_ > 0) {
        prefix_ = first_ / inner_count_;
        last_prefix_ = (end_ - 1) / inner_count_;
        suffix_begin_ = suffix_ = first_ % inner_count_;
        suffix_end_ = prefix_ == last_prefix_ ? (end_ - 1) % inner_count_ + 1 : inner_count_;
        start_prefix();
    }
    has_next_ = advance_unmasked(next_);
}

void LaneTileSequence::start_prefix() {
    cur_ = TileIndex{};
    decode(prefix_, outer_, n_outer_, cur_);
    decode(suffix_begin_, inner_, n_inner_, cur_);
    cur_.k = k_;
    row_begin_ = cur_;
}

void LaneTileSequence::decode(std::uint64_t value, const std::array<char, 3>& letters,
                              int count, TileIndex& out) const {
    for (int l = count - 1; l >= 0; --l) {
        const auto extent = std::uint64_t(letter_extent(grid_, letters[l]));
        letter_of(out, letters[l]) = std::int64_t(value % extent);
        value /= extent;
    }
}

bool LaneTileSequence::advance(TileIndex& out) {
    if (remaining_ == 0) return false;
    --remaining_;
    out = cur_;
    if (++suffix_ < suffix_end_) {
        // Odometer step of the suffix letters: the last one runs fastest.
        for (int l = n_inner_ - 1; l >= 0; --l) {
            auto& v = letter_of(cur_, inner_[l]);
            if (++v < inner_extent_[l]) break;
            v = 0;
        }
        return true;
    }
    suffix_ = suffix_begin_;
    if (++k_ < k_end_) {
        const std::int64_t k = k_;
        cur_ = row_begin_;
        cur_.k = k;
        return true;
    }
    k_ = k_begin_;
    ++prefix_;
    // Only the first prefix of the range can start part-way through its suffixes.
    suffix_begin_ = suffix_ = 0;
    suffix_end_ = prefix_ == last_prefix_ ? (end_ - 1) % inner_count_ + 1 : inner_count_;
    if (remaining_ > 0) start_prefix();
    return true;
}

bool LaneTileSequence::advance_unmasked(TileIndex& out) {
    while (advance(out))
        if (!grid_.masked(out)) return true;
    return false;
}

bool LaneTileSequence::next(TileStep& step) {
    if (!has_next_) return false;
    const TileIndex t = next_;
    has_next_ = advance_unmasked(next_);

    const std::int64_t last_k = grid_.last_k(t);
    step.index = t;
    // A k block of a cut reduction (TileGrid::k_origin): its first step continues a partial sum,
    // and unless it ends the op's k its last step parks one instead of writing the output.
    const bool ends = grid_.ends_k();
    step.write_output = t.k == last_k && ends;
    if (grid_.matmul) {
        step.read_a = !(has_prev_ && prev_.b == t.b && prev_.i == t.i && prev_.k == t.k);
        step.read_b = !(has_prev_ && prev_.k == t.k && prev_.j == t.j &&
                        (!grid_.b_batched || prev_.b == t.b));
        // A part of a k split across units (TileGrid::k_parts) starts its own partial sum at its
        // first k step (the parts are added by the reduction pass, not by each other).
        const std::int64_t first_k = grid_.k_parts > 1 ? k_begin_ : 0;
        step.read_psum = (t.k > first_k || grid_.continues_k()) &&
                         !(has_prev_ && same_output(prev_, t) && prev_.k == t.k - 1);
        step.write_psum = (t.k < last_k || !ends) &&
                          !(has_next_ && same_output(next_, t) && next_.k == t.k + 1);
    } else if (grid_.reduction()) {
        // The reduction pass of a k split across units: step k reads part k's dense partial sum
        // (through the psum stream) and adds it to the lane's running sum; the last writes the
        // output.
        step.read_a = false;
        step.read_b = false;
        step.read_psum = true;
        step.write_psum = false;
        step.write_output = t.k == grid_.nk - 1;
    } else {
        // Element-wise: one input block per tile and nothing to accumulate.
        step.read_a = true;
        step.read_b = false;
        step.read_psum = false;
        step.write_psum = false;
    }
    prev_ = t;
    has_prev_ = true;
    return true;
}

std::uint64_t LaneTileSequence::identical_rows_ahead() const {
    // prev_ ended row prev_.k when the lookahead starts row prev_.k + 1 (of the same prefix,
    // since a new prefix starts at k = 0). Row k >= 1 has the flags of every middle row: its
    // first tile follows another row's last (psum and operands re-read exactly as in the rows
    // after it), its last tile precedes one, and no tile of it is the output's last k step.
    // With a part of the k steps (spread_k_tiles), its first row holds the job's first tile and
    // its last row parks the partial sum: only the rows between are middle rows.
    if (!grid_.matmul || !has_prev_ || !has_next_ || prev_.k < k_begin_ + 1 || next_.k != prev_.k + 1) return 0;
    std::int64_t last_row = std::min(grid_.nk, k_end_) - 2;
    if (grid_.causal.on && grid_.keys_on_depth) {
        // Keys along k: masked and diagonal tiles change from row to row. Rows repeat while
        // every key of their block is seen by the first (least-seeing) query row of one row
        // block, before the output's last k step.
        if (i_inner_) return 0;
        const std::int64_t seen = grid_.causal.last_key(grid_.row_origin + prev_.i * grid_.shape.x) + 1;  // keys [0, seen)
        last_row = std::min({last_row, seen / std::int64_t(grid_.shape.y) - 1, grid_.last_k(prev_) - 1});
    }
    // The cursor is in row prev_.k + 1 or at the start of the row after it, and must stay in
    // this prefix's rows.
    last_row = std::min(last_row, prev_.k + (k_end_ - 1 - k_));
    return last_row > prev_.k ? std::uint64_t(last_row - prev_.k) : 0;
}

void LaneTileSequence::skip_rows(std::uint64_t rows) {
    const auto r = std::int64_t(rows);
    k_ += r;
    cur_.k += r;
    prev_.k += r;
    next_.k += r;
    remaining_ -= rows * (suffix_end_ - suffix_begin_);
}

std::uint64_t LaneTileSequence::size() const {
    return (end_ - first_) * std::uint64_t(k_end_ - k_begin_);
}

}  // namespace acceltran::workloads
