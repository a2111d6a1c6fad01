// A parsed JSON input file whose every complaint names the file, the JSON path of the offending
// value and where that value is in the text: "file: o[1][0]: message (at line 3, column 9)".
// Shared by the readers of JSON model descriptions (FlexiBERT model dicts, Hugging Face
// config.json), so that they word their errors alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/json_locator.h"

namespace acceltran {

class JsonReader {
public:
    // Nesting the readers accept: deep enough for any real model description (a model dict
    // nests three levels, Hugging Face a few, e.g. rope_scaling), shallow enough to refuse a
    // pathological text before nlohmann's recursive parser sees it.
    static constexpr std::size_t kMaxDepth = 64;

    // Keeps the text for locating values; parse() reads it.
    JsonReader(std::string file, const std::string& text);

    const std::string& file() const { return file_; }
    const JsonLocator& locator() const { return locator_; }

    // The document. Malformed JSON, or a value nlohmann cannot hold (1e999), is an InputError
    // with the byte offset and line and column of the fault; so is a key given twice in one
    // object (nlohmann would keep the last silently; the YAML readers refuse it too), named by
    // its path and placed at its second occurrence.
    nlohmann::json parse(const std::string& text) const;

    [[noreturn]] void fail(const std::string& path, const std::string& message) const;
    [[noreturn]] void fail_at(const std::string& path, const std::string& message, std::size_t offset) const;

    // An integer from lo to hi at `path`; 2.0 or "2" is refused, as JSON has one number type.
    int integer(const std::string& path, const nlohmann::json& j, std::int64_t lo, std::int64_t hi) const;

    // "the integer 3", "the string \"x\"", "a list", ... for "found ..." in messages.
    static std::string describe(const nlohmann::json& j);

private:
    std::string file_;
    JsonLocator locator_;
};

}  // namespace acceltran
