// A CSV file read whole: a header and rows of text fields (RFC 4180 quoting: fields in double
// quotes may hold commas, quotes doubled, and line breaks). For comparing run outputs (ops.csv)
// without knowing their columns in advance (explore/run_comparison.h), and for reading ops.csv
// back (modules/simulation/op_table.h).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace acceltran {

class CsvTable {
public:
    // InputError naming `origin` and the line when the text is empty, a quote is not closed or a
    // row has a different number of fields than the header.
    static CsvTable parse(const std::string& text, const std::string& origin);

    const std::vector<std::string>& header() const { return header_; }
    const std::vector<std::vector<std::string>>& rows() const { return rows_; }
    // The index of the column named `name`, if there is one.
    std::optional<std::size_t> column(const std::string& name) const;
    // The line of the text row `row` starts on, for messages.
    std::size_t line(std::size_t row) const { return row_lines_[row]; }

private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
    std::vector<std::size_t> row_lines_;
};

}  // namespace acceltran
