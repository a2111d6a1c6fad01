#include "workloads/buffer_fit.h"

#include <algorithm>

namespace acceltran::workloads {

bool BufferFit::fits(std::int64_t rows, const std::vector<std::int64_t>& a_widths, std::int64_t columns,
                     int copies) const {
    const int bits = opt_.element_bits;
    const double ad = opt_.activation_density;
    std::int64_t k = 0;
    std::uint64_t a_data = 0, a_mask = 0;
    for (std::int64_t w : a_widths) {
        k += w;
        a_data += compressed_bytes(std::uint64_t(rows * w), ad, bits);
        a_mask += opt_.mask_bytes_of(std::uint64_t(rows * w));
    }
    const std::uint64_t out = std::uint64_t(rows * columns), weight = std::uint64_t(k * columns);
    std::uint64_t out_data = compressed_bytes(out, ad, bits);
    // The planner reserves dense partial sums when k spans several tiles and is not innermost.
    if (k > opt_.tile.y && opt_.loop_order.letters()[3] != 'k')
        out_data = std::max(out_data, compressed_bytes(out, 1.0, bits));
    const std::uint64_t c = std::uint64_t(copies);
    const auto capacity = [&](BufferKind b) { return opt_.capacity[int(b)]; };
    return c * compressed_bytes(weight, opt_.weight_density, bits) <= capacity(BufferKind::Weight) &&
           a_data + c * out_data <= capacity(BufferKind::Activation) &&
           a_mask + c * (opt_.mask_bytes_of(weight) + opt_.mask_bytes_of(out)) <= capacity(BufferKind::Mask);
}

std::vector<std::int64_t> BufferFit::column_slices(std::int64_t rows, const std::vector<std::int64_t>& a_widths,
                                                   std::int64_t n) const {
    const std::int64_t tile = std::max(opt_.tile.y, 1), units = (n + tile - 1) / tile;
    for (int copies : {2, 1}) {
        const auto fits_units = [&](std::int64_t u) { return fits(rows, a_widths, std::min(u * tile, n), copies); };
        if (!fits_units(1)) continue;
        // The widest slice that fits, in whole tiles (fitting shrinks with the width).
        std::int64_t lo = 1, hi = units;
        while (lo < hi) {
            const std::int64_t mid = lo + (hi - lo + 1) / 2;
            if (fits_units(mid)) lo = mid; else hi = mid - 1;
        }
        // As few slices as that allows, their tiles shared out evenly, the wider ones first; the
        // last slice gives back the columns the tiles overhang n by.
        const std::int64_t count = (units + lo - 1) / lo;
        std::vector<std::int64_t> widths;
        for (std::int64_t j = 0; j < count; ++j) widths.push_back((units / count + (j < units % count)) * tile);
        widths.back() -= units * tile - n;
        return widths;
    }
    return {};
}

WeightSplit BufferFit::plan(std::int64_t rows, const std::vector<std::int64_t>& a_widths, std::int64_t n,
                            bool columns_ok) const {
    WeightSplit split;
    if (!on_ || !opt_.split_weights || fits(rows, a_widths, n, 1)) return split;
    if (columns_ok) {
        split.sizes = column_slices(rows, a_widths, n);
        if (!split.sizes.empty()) split.kind = WeightSplit::Kind::Columns;
        return split;
    }
    if (a_widths.size() < 2) return split;
    split.kind = WeightSplit::Kind::Depth;
    std::vector<std::int64_t> group;
    for (std::int64_t w : a_widths) {
        group.push_back(w);
        if (group.size() > 1 && !fits(rows, group, n, 2)) {
            group.pop_back();
            split.parts.push_back(group.size());
            group = {w};
        }
    }
    split.parts.push_back(group.size());
    std::size_t first = 0;
    for (std::size_t parts : split.parts) {
        std::int64_t depth = 0;
        for (std::size_t j = first; j < first + parts; ++j) depth += a_widths[j];
        split.sizes.push_back(depth);
        first += parts;
    }
    return split;
}

}  // namespace acceltran::workloads
