// A YAML node that remembers which file it came from and the key path that led to it, so that
// every complaint about a value can say `file:line:column: key.path: expected X, found Y`.
// All configuration readers (models, accelerators, technology tables, design spaces) go through
// this class; none of them touch yaml-cpp's error messages directly.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace acceltran {

// The most nodes a YAML text may have, counting an aliased node once per alias. The shipped
// files have a few hundred; a bound keeps a hostile file (a 4-million-element list, nested
// aliases) from costing gigabytes before it is refused (docs/robustness.md).
constexpr std::uint64_t kMaxYamlNodes = 100000;

class ConfigNode {
public:
    ConfigNode(YAML::Node node, std::string file, std::string path);

    // Parses a YAML file; a syntax error, a missing file or one that is not a regular file or is
    // too large (input_file.h) becomes an InputError with the location. `kind` names what the file
    // should be in those messages ("an accelerator YAML").
    static ConfigNode load_file(const std::string& file, const std::string& kind = "a YAML");
    // Parses YAML text (tests, --set values, fuzzing); `origin` names it in messages. Refuses
    // binary data, a text of more than one document and one of more than kMaxYamlNodes nodes.
    static ConfigNode load_string(const std::string& text, const std::string& origin);

    const YAML::Node& yaml() const { return node_; }
    const std::string& file() const { return file_; }
    const std::string& path() const { return path_; }

    bool is_map() const { return node_.IsMap(); }
    bool is_sequence() const { return node_.IsSequence(); }
    bool is_scalar() const { return node_.IsScalar(); }
    bool has(const std::string& key) const;

    // Map child; a missing key is an error naming what was expected.
    ConfigNode child(const std::string& key) const;
    // Sequence elements, each with path `key[3]`.
    std::vector<ConfigNode> elements() const;
    // Keys of a map node, in file order.
    std::vector<std::string> keys() const;

    // Required scalars of this node itself.
    std::string as_string() const;
    double as_double() const;
    std::int64_t as_int() const;
    bool as_bool() const;

    // Required keys.
    std::string get_string(const std::string& key) const;
    double get_double(const std::string& key) const;
    std::int64_t get_int(const std::string& key) const;
    bool get_bool(const std::string& key) const;
    // Optional keys with a default.
    std::string get_string(const std::string& key, const std::string& fallback) const;
    double get_double(const std::string& key, double fallback) const;
    std::int64_t get_int(const std::string& key, std::int64_t fallback) const;
    bool get_bool(const std::string& key, bool fallback) const;

    // Range-checked helpers: the message states the allowed range.
    std::int64_t get_int_in(const std::string& key, std::int64_t lo, std::int64_t hi) const;
    std::int64_t get_int_in(const std::string& key, std::int64_t lo, std::int64_t hi,
                            std::int64_t fallback) const;
    double get_positive(const std::string& key) const;
    double get_positive(const std::string& key, double fallback) const;
    double get_fraction(const std::string& key, double fallback) const;  // 0 <= v < 1
    std::string get_choice(const std::string& key, const std::vector<std::string>& choices) const;
    std::string get_choice(const std::string& key, const std::vector<std::string>& choices,
                           const std::string& fallback) const;

    // Every key of this map must be in `allowed`; otherwise an InputError that names the
    // unknown key, suggests the closest allowed one and lists them all.
    void expect_keys(const std::vector<std::string>& allowed) const;

    // "file:line:column" of this node (or just "file" when yaml-cpp has no mark).
    std::string location() const;
    // Throws InputError: "<location>: <path>: expected <expected>, found <found text>".
    [[noreturn]] void fail(const std::string& expected) const;
    [[noreturn]] void fail_message(const std::string& message) const;

private:
    std::string child_path(const std::string& key) const;
    std::string found_text() const;

    YAML::Node node_;
    std::string file_;
    std::string path_;
};

// Applies `key.path=value` to a YAML tree (the value is parsed as YAML, so numbers stay numbers).
// Intermediate maps are created only if `create_missing` is set; otherwise an unknown path is a
// UsageError (it came from the command line) that says which part of the path does not exist.
void apply_override(YAML::Node root, const std::string& assignment, bool create_missing = false);

// Closest candidate by edit distance, or "" when none is reasonably close.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace acceltran
