#include "core/json_reader.h"

#include <algorithm>
#include <climits>
#include <optional>
#include <set>
#include <vector>

#include "core/errors.h"
#include "core/input_file.h"

namespace acceltran {

using nlohmann::json;

JsonReader::JsonReader(std::string file, const std::string& text) : file_(std::move(file)), locator_(text) {}

namespace {

// Where the parser is, for naming a duplicate key by its path ("a.b[2].c", JsonLocator's syntax).
struct JsonParseFrame {
    bool array = false;
    std::size_t elements = 0;  // array: elements begun so far
    std::string key;           // object: the key being read
    std::set<std::string> keys;
};

// The path of the value the first `n` frames lead to.
std::string json_frames_path(const std::vector<JsonParseFrame>& frames, std::size_t n) {
    std::string path;
    for (std::size_t i = 0; i < n; ++i) {
        const JsonParseFrame& f = frames[i];
        if (f.array)
            path += "[" + std::to_string(f.elements - 1) + "]";
        else
            path += (path.empty() ? "" : ".") + f.key;
    }
    return path;
}

}  // namespace

json JsonReader::parse(const std::string& text) const {
    std::vector<JsonParseFrame> frames;
    // The first key given twice: its object's path, the key, and the path of its value. Reported
    // once the whole text has parsed, since the locator needs valid JSON.
    struct Duplicate {
        std::string object, key, value;
    };
    std::optional<Duplicate> duplicate;
    const json::parser_callback_t check_keys = [&](int, json::parse_event_t event, json& parsed) {
        const bool starts_value = event == json::parse_event_t::object_start ||
                                  event == json::parse_event_t::array_start || event == json::parse_event_t::value;
        if (starts_value && !frames.empty() && frames.back().array) ++frames.back().elements;
        if (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) {
            frames.emplace_back();
            frames.back().array = event == json::parse_event_t::array_start;
        } else if (event == json::parse_event_t::object_end || event == json::parse_event_t::array_end) {
            if (!frames.empty()) frames.pop_back();
        } else if (event == json::parse_event_t::key && !frames.empty()) {
            JsonParseFrame& f = frames.back();
            f.key = parsed.get<std::string>();
            if (!f.keys.insert(f.key).second && !duplicate)
                duplicate = Duplicate{json_frames_path(frames, frames.size() - 1), f.key,
                                      json_frames_path(frames, frames.size())};
        }
        return true;
    };
    try {
        json document = json::parse(text, check_keys);
        if (duplicate) {
            // Named as the YAML readers name it: the object, then the key. A top-level key is
            // placed at its second occurrence; a nested one at the value that would have won.
            const std::string message = "duplicate key '" + printable_excerpt(duplicate->key, 80) + "'";
            if (duplicate->object.empty()) {
                std::size_t seen = 0;
                for (const auto& [key, offset] : locator_.top_level_keys())
                    if (key == duplicate->key && ++seen == 2) fail_at("", message, offset);
            }
            fail_at(duplicate->object, message, locator_.offset_of(duplicate->value));
        }
        return document;
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
