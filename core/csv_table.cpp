#include "core/csv_table.h"

#include "core/errors.h"

namespace acceltran {

CsvTable CsvTable::parse(const std::string& text, const std::string& origin) {
    std::vector<std::vector<std::string>> records;
    std::vector<std::size_t> record_lines;  // the line each record starts on, for messages
    std::vector<std::string> record;
    std::string field;
    bool quoted = false, in_record = false;
    std::size_t line = 1, record_line = 1, quote_line = 0;
    auto end_record = [&] {
        record.push_back(std::move(field));
        field.clear();
        records.push_back(std::move(record));
        record.clear();
        record_lines.push_back(record_line);
        in_record = false;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (!in_record) {
            in_record = true;
            record_line = line;
        }
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                if (c == '\n') ++line;
                field += c;
            }
            continue;
        }
        if (c == '"') {
            quoted = true;
            quote_line = line;
        } else if (c == ',') {
            record.push_back(std::move(field));
            field.clear();
        } else if (c == '\n') {
            if (!field.empty() && field.back() == '\r') field.pop_back();
            end_record();
            ++line;
        } else {
            field += c;
        }
    }
    if (quoted) throw InputError(origin + ":" + std::to_string(quote_line) + ": a quoted field is not closed");
    if (in_record) end_record();
    if (records.empty()) throw InputError(origin + ": empty, expected a header line and rows");
    CsvTable t;
    t.header_ = std::move(records.front());
    for (std::size_t r = 1; r < records.size(); ++r) {
        if (records[r].size() != t.header_.size())
            throw InputError(origin + ":" + std::to_string(record_lines[r]) + ": expected " +
                             std::to_string(t.header_.size()) + " fields as in the header, found " +
                             std::to_string(records[r].size()));
        t.rows_.push_back(std::move(records[r]));
        t.row_lines_.push_back(record_lines[r]);
    }
    return t;
}

std::optional<std::size_t> CsvTable::column(const std::string& name) const {
    for (std::size_t i = 0; i < header_.size(); ++i)
        if (header_[i] == name) return i;
    return std::nullopt;
}

}  // namespace acceltran
