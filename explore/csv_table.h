// A CSV file read whole: a header and rows of text fields (RFC 4180 quoting: fields in double
// quotes may hold commas, quotes doubled, and line breaks). For comparing run outputs (ops.csv)
// without knowing their columns in advance (explore/run_comparison.h).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace acceltran::explore {

class CsvTable {
public:
    // InputError naming `origin` and the line when the text is empty, a quote is not closed or a
    // row has a different number of fields than the header.
    static CsvTable parse(const std::string& text, const std::string& origin);

    const std::vector<std::string>& header() const { return header_; }
    const std::vector<std::vector<std::string>>& rows() const { return rows_; }
    // The index of the column named `name`, if there is one.
    std::optional<std::size_t> column(const std::string& name) const;

private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace acceltran::explore
