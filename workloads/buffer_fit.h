// Splitting matmuls to fit a design point's buffers (docs/decoders.md §2, "Weight slicing").
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/op_graph.h"
#include "workloads/target_description.h"

namespace acceltran::workloads {

// Decides how to split a matmul so that each piece fits the buffers of a design point, with the
// planner's byte rules (tiled_program.h: compressed data and masks, dense partial sums when k is
// not the innermost loop). Default-constructed it is off and leaves every matmul whole.
class BufferFit {
public:
    BufferFit() = default;
    explicit BufferFit(const CompileOptions& options) : on_(true), opt_(options) {}
    bool on() const { return on_; }
    const CompileOptions& options() const { return opt_; }

    // Whether one matmul of `rows` rows (batch x m) fits: A the concatenation of column slices
    // of `a_widths` (k = their sum), a k x `columns` weight, the output; with `copies` of the
    // weight and the output, so that with 2 the next slice can load while this one runs.
    bool fits(std::int64_t rows, const std::vector<std::int64_t>& a_widths, std::int64_t columns,
              int copies) const;
    // Column widths of the fewest slices of such a matmul with n output columns that fit twice
    // (else once), balanced in whole tiles (tile y); empty when even one tile column does not fit.
    std::vector<std::int64_t> column_slices(std::int64_t rows, const std::vector<std::int64_t>& a_widths,
                                            std::int64_t n) const;
    // The split: Whole when off, when the target does not split weights
    // (CompileOptions::split_weights), or when the op fits once; otherwise Columns if the consumers take
    // column slices (`columns_ok`), else Depth over consecutive A slices grouped while a group
    // fits twice (needs several A slices). Whole when nothing fits, for the planner to refuse.
    WeightSplit plan(std::int64_t rows, const std::vector<std::int64_t>& a_widths, std::int64_t n,
                     bool columns_ok) const;

private:
    bool on_ = false;
    CompileOptions opt_;
};

}  // namespace acceltran::workloads
