#include "core/config_node.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <cstdint>
#include <sstream>

#include <yaml-cpp/depthguard.h>  // YAML::DeepRecursion, which yaml.h does not include
#include <yaml-cpp/eventhandler.h>

#include "core/errors.h"
#include "core/input_file.h"

namespace acceltran {

namespace {

std::string mark_text(const std::string& file, const YAML::Mark& mark) {
    if (mark.is_null()) return file;
    return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
}

// Walks a YAML text's events without building it: where each document starts, and how many
// nodes the text has once every alias is expanded. yaml-cpp shares an aliased node, but our
// readers (and --set's copy of a value) walk it once per alias, so a few lines of nested
// ten-way aliases ("billion laughs") would cost gigabytes; a very long list costs time and
// memory when built. Both are refused before YAML::Load builds anything.
class YamlShape : public YAML::EventHandler {
public:
    explicit YamlShape(std::uint64_t max_nodes) : max_nodes_(max_nodes) {}

    void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        const auto it = anchor_nodes_.find(anchor);
        add(mark, it == anchor_nodes_.end() ? 1 : it->second, true);
    }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string&) override {
        leaf(mark, anchor);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(mark, anchor);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(mark, anchor);
    }
    void OnMapEnd() override { close(); }

    std::vector<YAML::Mark> marks;
    std::uint64_t nodes = 0;  // with every alias expanded
    bool through_alias = false;  // the limit was passed by expanding an alias
    YAML::Mark where;

private:
    struct Open {
        YAML::anchor_t anchor;
        std::uint64_t nodes;
    };
    void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
        if (anchor) anchor_nodes_[anchor] = 1;
        add(mark, 1, false);
    }
    void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
        add(mark, 1, false);
        stack_.push_back({anchor, 1});
    }
    void close() {
        if (stack_.empty()) return;
        const Open done = stack_.back();
        stack_.pop_back();
        if (done.anchor) anchor_nodes_[done.anchor] = done.nodes;
        if (!stack_.empty()) stack_.back().nodes = saturating(stack_.back().nodes, done.nodes - 1);
    }
    // Counts `n` nodes at `mark`, in the open collections too (an anchored one's size is what its
    // aliases will cost).
    void add(const YAML::Mark& mark, std::uint64_t n, bool alias) {
        nodes = saturating(nodes, n);
        if (!stack_.empty()) stack_.back().nodes = saturating(stack_.back().nodes, n);
        if (nodes > max_nodes_) {
            through_alias = alias;
            where = mark;
            throw Stop();
        }
    }
    static std::uint64_t saturating(std::uint64_t a, std::uint64_t b) {
        return a > std::numeric_limits<std::uint64_t>::max() - b ? std::numeric_limits<std::uint64_t>::max() : a + b;
    }

    std::uint64_t max_nodes_;
    std::vector<Open> stack_;
    std::map<YAML::anchor_t, std::uint64_t> anchor_nodes_;

public:
    struct Stop {};
};

// YAML::Load reads the first document and silently drops the rest of the text, so a second one
// is refused here. yaml-cpp 0.7 also stalls on a ',' where a document should start: it reports
// an empty document there, again and again, without consuming anything (YAML::LoadAll never
// returns; YAML::Load returns an empty document). A document starting where the previous one
// did is that stall. Found by tests/fuzz (model_yaml, accelerator_yaml). Texts of more than
// kMaxYamlNodes nodes, aliases expanded, are refused (YamlShape).
void check_yaml_text(const std::string& text, const std::string& origin) {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    YamlShape shape(kMaxYamlNodes);
    try {
        while (parser.HandleNextDocument(shape)) {
            const std::vector<YAML::Mark>& m = shape.marks;
            if (m.size() >= 2 && m.back().pos == m[m.size() - 2].pos)
                throw InputError(mark_text(origin, m.back()) + ": malformed YAML: unexpected '" +
                                 printable_excerpt(text.substr(std::size_t(m.back().pos), 1)) + "'");
            if (m.size() >= 2)
                throw InputError(mark_text(origin, m.back()) + ": expected one YAML document, found a second " +
                                 "one here (after '---')");
        }
    } catch (const YamlShape::Stop&) {
        throw InputError(mark_text(origin, shape.where) + ": expected at most " + std::to_string(kMaxYamlNodes) +
                         " YAML nodes (the limit for configuration and model files), found more" +
                         (shape.through_alias ? " once the aliases are expanded (an alias here repeats a large "
                                                "anchored node; nested aliases multiply)"
                                              : ""));
    }
}

}  // namespace

ConfigNode::ConfigNode(YAML::Node node, std::string file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {}

ConfigNode ConfigNode::load_file(const std::string& file, const std::string& kind) {
    return load_string(read_input_file(file, kind), file);
}

ConfigNode ConfigNode::load_string(const std::string& text, const std::string& origin) {
    if (text.find('\0') != std::string::npos)
        throw InputError(origin + ": expected a YAML text file, found binary data (a NUL byte)");
    try {
        check_yaml_text(text, origin);
        return ConfigNode(YAML::Load(text), origin, "");
    } catch (const YAML::DeepRecursion& e) {
        // yaml-cpp stops at a fixed nesting depth (so as not to overflow its stack) but reports
        // it as "bad file".
        throw InputError(mark_text(origin, e.mark) + ": malformed YAML: nested too deeply (the parser " +
                         "stops at a recursion depth of " + std::to_string(e.depth()) + ")");
    } catch (const YAML::Exception& e) {
        throw InputError(mark_text(origin, e.mark) + ": malformed YAML: " + e.msg);
    }
}

bool ConfigNode::has(const std::string& key) const {
    return node_.IsMap() && node_[key].IsDefined() && !node_[key].IsNull();
}

std::string ConfigNode::child_path(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
}

ConfigNode ConfigNode::child(const std::string& key) const {
    if (!node_.IsMap()) fail("a mapping with key '" + key + "'");
    YAML::Node c = node_[key];
    if (!c.IsDefined() || c.IsNull())
        throw InputError(location() + ": " + (path_.empty() ? std::string("top level") : path_) +
                         ": missing required key '" + key + "'");
    return ConfigNode(c, file_, child_path(key));
}

std::vector<ConfigNode> ConfigNode::elements() const {
    if (!node_.IsSequence()) fail("a list");
    std::vector<ConfigNode> out;
    for (std::size_t i = 0; i < node_.size(); ++i)
        out.emplace_back(node_[i], file_, path_ + "[" + std::to_string(i) + "]");
    return out;
}

std::vector<std::string> ConfigNode::keys() const {
    std::vector<std::string> out;
    if (!node_.IsMap()) return out;
    for (const auto& kv : node_)
        if (kv.first.IsScalar()) out.push_back(kv.first.Scalar());
    return out;
}

std::string ConfigNode::location() const { return mark_text(file_, node_.Mark()); }

std::string ConfigNode::found_text() const {
    if (!node_.IsDefined() || node_.IsNull()) return "nothing";
    if (node_.IsMap()) return "a mapping";
    if (node_.IsSequence()) return "a list";
    return "'" + printable_excerpt(node_.Scalar()) + "'";
}

void ConfigNode::fail(const std::string& expected) const {
    throw InputError(location() + ": " + (path_.empty() ? std::string("top level") : path_) +
                     ": expected " + expected + ", found " + found_text());
}

void ConfigNode::fail_message(const std::string& message) const {
    throw InputError(location() + ": " + (path_.empty() ? std::string("top level") : path_) + ": " +
                     message);
}

std::string ConfigNode::as_string() const {
    if (!node_.IsScalar()) fail("a string");
    return node_.Scalar();
}

double ConfigNode::as_double() const {
    if (!node_.IsScalar()) fail("a number");
    const std::string& s = node_.Scalar();
    try {
        std::size_t used = 0;
        double v = std::stod(s, &used);
        if (used != s.size() || !std::isfinite(v)) fail("a finite number");
        return v;
    } catch (const std::logic_error&) {
        fail("a number");
    }
}

std::int64_t ConfigNode::as_int() const {
    if (!node_.IsScalar()) fail("an integer");
    const std::string& s = node_.Scalar();
    try {
        std::size_t used = 0;
        long long v = std::stoll(s, &used, 10);
        if (used != s.size()) fail("an integer");
        return v;
    } catch (const std::logic_error&) {
        fail("an integer");
    }
}

bool ConfigNode::as_bool() const {
    if (!node_.IsScalar()) fail("true or false");
    const std::string& s = node_.Scalar();
    if (s == "true" || s == "True" || s == "yes") return true;
    if (s == "false" || s == "False" || s == "no") return false;
    fail("true or false");
}

std::string ConfigNode::get_string(const std::string& key) const { return child(key).as_string(); }
double ConfigNode::get_double(const std::string& key) const { return child(key).as_double(); }
std::int64_t ConfigNode::get_int(const std::string& key) const { return child(key).as_int(); }
bool ConfigNode::get_bool(const std::string& key) const { return child(key).as_bool(); }

std::string ConfigNode::get_string(const std::string& key, const std::string& fallback) const {
    return has(key) ? get_string(key) : fallback;
}
double ConfigNode::get_double(const std::string& key, double fallback) const {
    return has(key) ? get_double(key) : fallback;
}
std::int64_t ConfigNode::get_int(const std::string& key, std::int64_t fallback) const {
    return has(key) ? get_int(key) : fallback;
}
bool ConfigNode::get_bool(const std::string& key, bool fallback) const {
    return has(key) ? get_bool(key) : fallback;
}

std::int64_t ConfigNode::get_int_in(const std::string& key, std::int64_t lo, std::int64_t hi) const {
    ConfigNode c = child(key);
    std::int64_t v = c.as_int();
    if (v < lo || v > hi)
        c.fail("an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    return v;
}

std::int64_t ConfigNode::get_int_in(const std::string& key, std::int64_t lo, std::int64_t hi,
                                    std::int64_t fallback) const {
    return has(key) ? get_int_in(key, lo, hi) : fallback;
}

double ConfigNode::get_positive(const std::string& key) const {
    ConfigNode c = child(key);
    double v = c.as_double();
    if (!(v > 0)) c.fail("a number greater than 0");
    return v;
}

double ConfigNode::get_positive(const std::string& key, double fallback) const {
    return has(key) ? get_positive(key) : fallback;
}

double ConfigNode::get_fraction(const std::string& key, double fallback) const {
    if (!has(key)) return fallback;
    ConfigNode c = child(key);
    double v = c.as_double();
    if (!(v >= 0 && v < 1)) c.fail("a fraction in [0, 1)");
    return v;
}

std::string ConfigNode::get_choice(const std::string& key,
                                   const std::vector<std::string>& choices) const {
    ConfigNode c = child(key);
    std::string v = c.as_string();
    if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
        std::string hint = closest_match(v, choices);
        c.fail("one of " + join(choices) + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    }
    return v;
}

std::string ConfigNode::get_choice(const std::string& key, const std::vector<std::string>& choices,
                                   const std::string& fallback) const {
    return has(key) ? get_choice(key, choices) : fallback;
}

void ConfigNode::expect_keys(const std::vector<std::string>& allowed) const {
    if (!node_.IsMap()) fail("a mapping");
    const std::string where = path_.empty() ? std::string("top level") : path_;
    std::vector<std::string> seen;
    for (const auto& kv : node_) {
        if (!kv.first.IsScalar())
            throw InputError(mark_text(file_, kv.first.Mark()) + ": " + where +
                             ": expected a plain key, found a complex key");
        std::string key = kv.first.Scalar();
        // yaml-cpp keeps duplicate keys and lookups return the first, so a repeated key would
        // silently ignore the later value.
        if (std::find(seen.begin(), seen.end(), key) != seen.end())
            throw InputError(mark_text(file_, kv.first.Mark()) + ": " + where + ": duplicate key '" +
                             printable_excerpt(key) + "'");
        seen.push_back(key);
        if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
        std::string hint = closest_match(key, allowed);
        throw InputError(mark_text(file_, kv.first.Mark()) + ": " + where + ": unknown key '" +
                         printable_excerpt(key) + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                         "; allowed keys: " + join(allowed));
    }
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_d = std::string::npos;
    for (const auto& c : candidates) {
        std::size_t d = edit_distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    // Only suggest when the typo is small relative to the word.
    if (best_d == std::string::npos || best_d > std::max<std::size_t>(2, word.size() / 3)) return "";
    return best;
}

namespace {

// A parsed --set value carries marks relative to the override text ("1:1"), which messages would
// report as a position in the file being overridden; a rebuilt node has no mark, so they name
// just the file.
YAML::Node without_marks(const YAML::Node& node) {
    if (node.IsScalar()) return YAML::Node(node.Scalar());
    if (node.IsSequence()) {
        YAML::Node out(YAML::NodeType::Sequence);
        for (const auto& e : node) out.push_back(without_marks(e));
        return out;
    }
    if (node.IsMap()) {
        YAML::Node out(YAML::NodeType::Map);
        for (const auto& kv : node) out[without_marks(kv.first)] = without_marks(kv.second);
        return out;
    }
    return YAML::Node();
}

}  // namespace

void apply_override(YAML::Node root, const std::string& assignment, bool create_missing) {
    auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw UsageError("--set '" + assignment + "': expected key.path=value");
    std::string path = assignment.substr(0, eq);
    std::string value_text = assignment.substr(eq + 1);
    YAML::Node value;
    try {
        check_yaml_text(value_text, "--set '" + path + "'");
        value = without_marks(YAML::Load(value_text));
    } catch (const YAML::Exception& e) {
        throw UsageError("--set '" + assignment + "': value is not valid YAML: " + e.msg);
    }
    std::vector<std::string> parts;
    std::stringstream ss(path);
    for (std::string p; std::getline(ss, p, '.');) {
        if (p.empty()) throw UsageError("--set '" + assignment + "': empty component in key path");
        parts.push_back(p);
    }
    // yaml-cpp node handles alias their target, so walking with operator[] mutates the tree.
    std::vector<YAML::Node> chain{root};
    std::string walked;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        YAML::Node cur = chain.back();
        const std::string& key = parts[i];
        walked += (walked.empty() ? "" : ".") + key;
        if (!cur.IsMap())
            throw UsageError("--set '" + assignment + "': '" + walked.substr(0, walked.rfind('.')) +
                             "' is not a mapping");
        bool last = i + 1 == parts.size();
        if (!cur[key].IsDefined() && !create_missing) {
            std::vector<std::string> keys;
            for (const auto& kv : cur)
                if (kv.first.IsScalar()) keys.push_back(kv.first.Scalar());
            std::string hint = closest_match(key, keys);
            throw UsageError("--set '" + assignment + "': no key '" + walked + "'" +
                             (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
        }
        if (last) {
            cur[key] = value;
        } else {
            if (!cur[key].IsDefined()) cur[key] = YAML::Node(YAML::NodeType::Map);
            chain.push_back(cur[key]);
        }
    }
}

}  // namespace acceltran
