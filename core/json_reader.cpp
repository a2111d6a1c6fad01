#include "core/json_reader.h"

#include <algorithm>
#include <climits>

#include "core/errors.h"
#include "core/input_file.h"

namespace acceltran {

using nlohmann::json;

JsonReader::JsonReader(std::string file, const std::string& text) : file_(std::move(file)), locator_(text) {}

json JsonReader::parse(const std::string& text) const {
    try {
        return json::parse(text);
    } catch (const json::parse_error& e) {
        // nlohmann's text starts "[json.exception.parse_error.101] parse error at line 1, column
        // 16: "; the position is given once, in our words.
        const std::string what = e.what();
        const std::size_t detail = what.find(": ", what.find("parse error"));
        throw InputError(file_ + ": malformed JSON at byte " + std::to_string(e.byte) + " (" +
                         locator_.line_column(e.byte == 0 ? 0 : e.byte - 1) +
                         "): " + printable_excerpt(detail == std::string::npos ? what : what.substr(detail + 2), 200));
    } catch (const json::exception& e) {
        // Not a syntax error but a value nlohmann cannot hold, such as the number 1e999
        // (out_of_range.406, found by tests/fuzz); its text names the token but not the place.
        const std::string what = e.what();
        const std::size_t detail = what.find("] ");
        throw InputError(file_ + ": malformed JSON: " +
                         printable_excerpt(detail == std::string::npos ? what : what.substr(detail + 2), 120));
    }
}

void JsonReader::fail(const std::string& path, const std::string& message) const {
    fail_at(path, message, locator_.offset_of(path));
}

void JsonReader::fail_at(const std::string& path, const std::string& message, std::size_t offset) const {
    throw InputError(file_ + ": " + (path.empty() ? std::string("top level") : path) + ": " + message +
                     (offset == std::string::npos ? "" : " (at " + locator_.line_column(offset) + ")"));
}

int JsonReader::integer(const std::string& path, const json& j, std::int64_t lo, std::int64_t hi) const {
    if (!j.is_number_integer())
        fail(path, std::string(lo >= 1 ? "expected a positive integer" : "expected an integer") + ", found " +
                       describe(j));
    const std::int64_t v = j.is_number_unsigned()
                               ? static_cast<std::int64_t>(std::min<std::uint64_t>(j.get<std::uint64_t>(), INT64_MAX))
                               : j.get<std::int64_t>();
    if (v < lo || v > hi)
        fail(path, "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) + ", found " + j.dump());
    return static_cast<int>(v);
}

std::string JsonReader::describe(const json& j) {
    if (j.is_number_integer()) return "the integer " + j.dump();
    if (j.is_number()) return "the number " + j.dump();
    if (j.is_string()) return "the string " + printable_excerpt(j.dump());
    if (j.is_array()) return "a list";
    if (j.is_object()) return "an object";
    if (j.is_boolean()) return j.dump();
    return "null";
}

}  // namespace acceltran
