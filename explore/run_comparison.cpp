#include "explore/run_comparison.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "core/errors.h"
#include "core/number_text.h"

namespace acceltran::explore {

namespace {

using Flat = std::map<std::string, std::string>;
using Numbers = std::map<std::string, double>;

std::string joined(const std::string& prefix, const std::string& key) { return prefix.empty() ? key : prefix + "." + key; }

// Configuration leaves as text: objects by key path, lists of plain values as one value (a tile,
// a layer's heads), lists of objects by index (layers[0].hidden).
void config_leaves(const nlohmann::json& j, const std::string& prefix, Flat& out) {
    if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it) config_leaves(it.value(), joined(prefix, it.key()), out);
    } else if (j.is_array() && std::any_of(j.begin(), j.end(), [](const nlohmann::json& e) { return e.is_structured(); })) {
        for (std::size_t i = 0; i < j.size(); ++i) config_leaves(j[i], prefix + "[" + std::to_string(i) + "]", out);
    } else {
        out[prefix] = j.is_string() ? j.get<std::string>() : j.dump();
    }
}

// What identifies the run rather than measures it: not compared as figures.
bool is_configuration(const std::string& top_key) {
    return top_key == "model" || top_key == "accelerator" || top_key == "provenance" || top_key == "wall_seconds";
}

// Numeric leaves by key path, lists by index.
void number_leaves(const nlohmann::json& j, const std::string& prefix, Numbers& out) {
    if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it) {
            if (prefix.empty() && is_configuration(it.key())) continue;
            number_leaves(it.value(), joined(prefix, it.key()), out);
        }
    } else if (j.is_array()) {
        for (std::size_t i = 0; i < j.size(); ++i) number_leaves(j[i], prefix + "[" + std::to_string(i) + "]", out);
    } else if (j.is_number()) {
        out[prefix] = j.get<double>();
    }
}

Flat configuration_of(const RunDirectory& run) {
    Flat flat;
    const nlohmann::json& s = run.summary();
    for (const char* block : {"model", "accelerator"})
        if (s.contains(block)) config_leaves(s.at(block), block, flat);
    if (!s.contains("provenance")) return flat;
    const Provenance p = run.provenance();
    config_leaves(p.settings, "settings", flat);
    flat["tool.version"] = p.version;
    flat["tool.commit"] = p.commit;
    std::map<std::string, int> seen;
    for (const RecordedInput& input : p.inputs) {
        // "an accelerator YAML" -> input.accelerator YAML
        std::string kind = input.kind;
        for (const char* article : {"a ", "an "})
            if (kind.rfind(article, 0) == 0) kind = kind.substr(std::string(article).size());
        const int n = seen[kind]++;
        flat["input." + kind + (n ? "[" + std::to_string(n) + "]" : "")] =
            input.path + " (sha256 " + input.sha256.substr(0, 12) + ")";
    }
    return flat;
}

bool by_impact(const FigureDifference& x, const FigureDifference& y) {
    if (x.impact != y.impact) return x.impact > y.impact;
    if (std::fabs(x.absolute()) != std::fabs(y.absolute())) return std::fabs(x.absolute()) > std::fabs(y.absolute());
    return x.key < y.key;
}

// The rows of an ops.csv by op name; a name seen again gets "#2", "#3", ... in order.
std::vector<std::string> op_keys(const CsvTable& t, const std::string& file) {
    const auto op = t.column("op");
    if (!op) throw InputError(file + ":1: expected a column named op (the key of the per-op table), found " +
                              std::to_string(t.header().size()) + " columns without it");
    std::vector<std::string> keys;
    std::map<std::string, int> seen;
    for (const auto& row : t.rows()) {
        const int n = ++seen[row[*op]];
        keys.push_back(n == 1 ? row[*op] : row[*op] + "#" + std::to_string(n));
    }
    return keys;
}

std::string number(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", v);
    return text;
}

std::string percent(double relative) {
    if (std::isinf(relative)) return "new";
    char text[32];
    std::snprintf(text, sizeof text, "%+.2f %%", 100 * relative);
    return text;
}

std::string share_text(double share) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f %%", 100 * share);
    return text;
}

std::string padded(const std::string& s, std::size_t width) {
    return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

// A list of names, at most `top` of them (0: all).
std::string names(const std::vector<std::string>& list, std::size_t top) {
    std::string text;
    for (std::size_t i = 0; i < list.size() && (top == 0 || i < top); ++i) text += (i ? ", " : "") + list[i];
    if (top != 0 && list.size() > top) text += ", ... (" + std::to_string(list.size() - top) + " more)";
    return text;
}

// One row per difference; `share`: the impact is a share of the column's total (per op), shown.
void write_differences(std::ostream& out, const std::vector<FigureDifference>& list, std::size_t top,
                       const std::string& what, bool share) {
    std::size_t width = what.size();
    const std::size_t shown = top == 0 ? list.size() : std::min(top, list.size());
    for (std::size_t i = 0; i < shown; ++i) width = std::max(width, list[i].key.size());
    out << "  " << padded(what, width + 2) << padded("A", 14) << padded("B", 14) << padded("B - A", 14)
        << (share ? padded("relative", 14) + "share of total" : "relative") << "\n";
    for (std::size_t i = 0; i < shown; ++i) {
        const FigureDifference& d = list[i];
        out << "  " << padded(d.key, width + 2) << padded(number(d.a), 14) << padded(number(d.b), 14)
            << padded(number(d.absolute()), 14)
            << (share ? padded(percent(d.relative()), 14) + share_text(d.impact) : percent(d.relative())) << "\n";
    }
    if (shown < list.size()) out << "  ... " << list.size() - shown << " more (--top 0 shows all)\n";
}

}  // namespace

double FigureDifference::relative() const {
    return a == 0 ? std::numeric_limits<double>::infinity() : (b - a) / std::fabs(a);
}

RunComparison::RunComparison(const RunDirectory& a, const RunDirectory& b) : a_path_(a.path()), b_path_(b.path()) {
    compare_configuration(a, b);
    compare_figures(a.summary(), b.summary());
    if (a.ops() && b.ops()) compare_ops(*a.ops(), a.path() + "/ops.csv", *b.ops(), b.path() + "/ops.csv");
}

void RunComparison::compare_configuration(const RunDirectory& a, const RunDirectory& b) {
    const Flat x = configuration_of(a), y = configuration_of(b);
    static const std::string absent = "(absent)";
    for (const auto& [key, value] : x) {
        const auto other = y.find(key);
        const std::string& theirs = other == y.end() ? absent : other->second;
        if (value != theirs) configuration_.push_back({key, value, theirs});
    }
    for (const auto& [key, value] : y)
        if (!x.count(key)) configuration_.push_back({key, absent, value});
    std::sort(configuration_.begin(), configuration_.end(),
              [](const ConfigDifference& p, const ConfigDifference& q) { return p.key < q.key; });
}

void RunComparison::compare_figures(const nlohmann::json& a, const nlohmann::json& b) {
    Numbers x, y;
    number_leaves(a, "", x);
    number_leaves(b, "", y);
    for (const auto& [key, value] : x) {
        const auto other = y.find(key);
        if (other == y.end()) {
            figures_only_in_a_.push_back(key);
        } else if (value == other->second) {
            ++equal_figures_;
        } else {
            FigureDifference d{key, value, other->second, 0};
            d.impact = std::fabs(d.relative());
            figures_.push_back(d);
        }
    }
    for (const auto& [key, value] : y)
        if (!x.count(key)) figures_only_in_b_.push_back(key);
    std::sort(figures_.begin(), figures_.end(), by_impact);
}

void RunComparison::compare_ops(const CsvTable& a, const std::string& a_file, const CsvTable& b,
                                const std::string& b_file) {
    compares_ops_ = true;
    const std::vector<std::string> a_keys = op_keys(a, a_file), b_keys = op_keys(b, b_file);
    std::map<std::string, std::size_t> b_row;
    for (std::size_t r = 0; r < b_keys.size(); ++r) b_row[b_keys[r]] = r;
    std::map<std::string, std::size_t> a_row;
    for (std::size_t r = 0; r < a_keys.size(); ++r) a_row[a_keys[r]] = r;
    for (const std::string& k : a_keys)
        if (!b_row.count(k)) ops_only_in_a_.push_back(k);
    for (const std::string& k : b_keys)
        if (!a_row.count(k)) ops_only_in_b_.push_back(k);
    const std::size_t op_column = *a.column("op");
    for (std::size_t ca = 0; ca < a.header().size(); ++ca) {
        if (ca == op_column) continue;
        const std::string& name = a.header()[ca];
        const auto cb = b.column(name);
        if (!cb) continue;
        // The column's total magnitude in each run, for each change's share of it.
        double total_a = 0, total_b = 0, v = 0;
        for (const auto& row : a.rows())
            if (parse_number(row[ca], v)) total_a += std::fabs(v);
        for (const auto& row : b.rows())
            if (parse_number(row[*cb], v)) total_b += std::fabs(v);
        const double total = total_a > 0 ? total_a : total_b;
        for (std::size_t r = 0; r < a_keys.size(); ++r) {
            const auto other = b_row.find(a_keys[r]);
            if (other == b_row.end()) continue;
            double x = 0, y = 0;
            if (!parse_number(a.rows()[r][ca], x) || !parse_number(b.rows()[other->second][*cb], y) || x == y) continue;
            FigureDifference d{a_keys[r] + " " + name, x, y, 0};
            d.impact = total > 0 ? std::fabs(y - x) / total : std::numeric_limits<double>::infinity();
            ops_.push_back(d);
        }
    }
    std::sort(ops_.begin(), ops_.end(), by_impact);
}

void RunComparison::write(std::ostream& out, std::size_t top) const {
    out << "A: " << a_path_ << "\nB: " << b_path_ << "\n\n";
    out << "configuration: " << configuration_.size() << (configuration_.size() == 1 ? " key differs" : " keys differ")
        << "\n";
    std::size_t width = 0;
    for (const ConfigDifference& d : configuration_) width = std::max(width, d.key.size());
    for (const ConfigDifference& d : configuration_)
        out << "  " << padded(d.key, width + 2) << d.a << "  ->  " << d.b << "\n";

    out << "\nsummary figures: " << figures_.size() << " differ, " << equal_figures_
        << " equal (largest relative change first; wall_seconds not compared)\n";
    if (!figures_.empty()) write_differences(out, figures_, top, "figure", false);
    if (!figures_only_in_a_.empty()) out << "  only in A: " << names(figures_only_in_a_, top) << "\n";
    if (!figures_only_in_b_.empty()) out << "  only in B: " << names(figures_only_in_b_, top) << "\n";

    if (!compares_ops_) {
        out << "\nper op: not compared (ops.csv is not in both directories)\n";
        return;
    }
    out << "\nper op (ops.csv): " << ops_.size()
        << " values differ (largest share of the column's total first)\n";
    if (!ops_.empty()) write_differences(out, ops_, top, "op column", true);
    if (!ops_only_in_a_.empty()) out << "  ops only in A: " << names(ops_only_in_a_, top) << "\n";
    if (!ops_only_in_b_.empty()) out << "  ops only in B: " << names(ops_only_in_b_, top) << "\n";
}

}  // namespace acceltran::explore
