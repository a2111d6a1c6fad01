// A CSV file as our commands write it (results.csv, sparsity.csv, the figure scripts' CSVs): a
// header line and rows, fields quoted where they hold commas or quotes. Read for the tests.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/integration/integration_support.h"

namespace acceltran::testing {

struct CsvContents {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;  // each as long as the header

    std::size_t column(const std::string& name) const {
        const auto it = std::find(header.begin(), header.end(), name);
        if (it == header.end()) throw std::runtime_error("no column " + name);
        return std::size_t(it - header.begin());
    }
    const std::string& at(std::size_t row, const std::string& name) const { return rows.at(row).at(column(name)); }
    double number(std::size_t row, const std::string& name) const { return std::stod(at(row, name)); }
    // The rows without one column (a timing that differs from run to run).
    std::vector<std::vector<std::string>> without(const std::string& name) const {
        auto out = rows;
        for (auto& r : out) r.erase(r.begin() + std::ptrdiff_t(column(name)));
        return out;
    }
};

// Throws std::runtime_error naming the file for a row whose field count differs from the header's.
inline CsvContents read_csv(const std::string& path) {
    const std::string text = read_text(path);
    std::vector<std::vector<std::string>> lines(1, std::vector<std::string>(1));
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted && c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
            lines.back().back() += '"';
            ++i;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (!quoted && c == ',') {
            lines.back().emplace_back();
        } else if (!quoted && c == '\n') {
            lines.emplace_back(1);
        } else if (c != '\r') {
            lines.back().back() += c;
        }
    }
    if (lines.back() == std::vector<std::string>(1)) lines.pop_back();  // after the last newline
    CsvContents t;
    if (lines.empty()) return t;
    t.header = lines.front();
    t.rows.assign(lines.begin() + 1, lines.end());
    for (const auto& r : t.rows)
        if (r.size() != t.header.size())
            throw std::runtime_error(path + ": a row with " + std::to_string(r.size()) + " fields, the header has " +
                                     std::to_string(t.header.size()));
    return t;
}

}  // namespace acceltran::testing
