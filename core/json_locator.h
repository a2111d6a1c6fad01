// Where values sit in a JSON text. nlohmann::json 3.11 (Debian 12) keeps no source positions, so
// a complaint about a parsed value could say which value but not where it is in the file; this
// class finds it again in the text. It also sees what the parsed document hides: nlohmann keeps
// only the last of duplicate keys, and it parses any nesting depth.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace acceltran {

class JsonLocator {
public:
    explicit JsonLocator(std::string text);

    // Deepest nesting of arrays and objects, counted without parsing (brackets outside strings),
    // so that it can refuse a pathological text before the parser allocates for it.
    std::size_t depth() const { return depth_; }

    // Byte offset of the value at `path`, or npos when the path cannot be followed. The path is
    // written as in messages: keys separated by '.', indices in brackets ("o[1][0]", "a.b[2]").
    // The text must be valid JSON (call this after nlohmann parsed it). For a duplicate key the
    // last value wins, as in nlohmann.
    std::size_t offset_of(const std::string& path) const;

    // Keys of the top-level object, decoded, with the offsets of their opening quotes, in
    // document order and with duplicates kept. Empty when the top level is not an object.
    std::vector<std::pair<std::string, std::size_t>> top_level_keys() const;

    // "line L, column C" (both from 1) of a byte offset; column counts bytes.
    std::string line_column(std::size_t offset) const;

private:
    std::size_t skip_space(std::size_t pos) const;
    std::size_t end_of_string(std::size_t pos) const;  // pos at the opening quote
    std::size_t end_of_value(std::size_t pos) const;
    std::string key_at(std::size_t pos) const;          // decoded key whose quote is at pos
    std::size_t member(std::size_t pos, const std::string& key) const;  // pos at '{'
    std::size_t element(std::size_t pos, std::size_t index) const;      // pos at '['

    std::string text_;
    std::size_t depth_ = 0;
};

}  // namespace acceltran
