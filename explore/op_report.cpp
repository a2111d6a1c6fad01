#include "explore/op_report.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/input_file.h"

namespace acceltran::explore {

OpGrouping parse_op_grouping(const std::string& text, const std::string& option) {
    if (text == "op") return OpGrouping::Op;
    if (text == "layer") return OpGrouping::Layer;
    if (text == "kind") return OpGrouping::Kind;
    throw UsageError(option + " expects op, layer or kind, got '" + text + "'");
}

namespace {

std::string group_name(const OpRow& r, OpGrouping by) {
    switch (by) {
        case OpGrouping::Op: return r.op;
        case OpGrouping::Kind: return r.kind;
        case OpGrouping::Layer: break;
    }
    return r.layer >= 0 ? "layer " + std::to_string(r.layer) : "outside layers";
}

std::string fixed(double v, int decimals) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string padded(const std::string& s, std::size_t width, bool left) {
    if (s.size() >= width) return s;
    const std::string pad(width - s.size(), ' ');
    return left ? s + pad : pad + s;
}

}  // namespace

std::vector<OpGroup> group_ops(const OpTable& table, OpGrouping by) {
    std::vector<OpGroup> groups;
    std::map<std::string, std::size_t> index;
    for (const OpRow& r : table.rows) {
        const std::string name = group_name(r, by);
        auto it = index.find(name);
        if (it == index.end()) {
            it = index.emplace(name, groups.size()).first;
            groups.push_back(OpGroup{name, r.kind});
        }
        OpGroup& g = groups[it->second];
        if (g.kind != r.kind) g.kind = "mixed";
        g.ops++;
        g.critical_cycles += r.critical_cycles;
        for (double b : r.busy_unit_cycles) g.busy_unit_cycles += b;
        g.memory_bytes += r.memory_read_bytes + r.memory_write_bytes;
        g.compute_bytes += r.compute_read_bytes + r.compute_write_bytes;
        g.macs += r.macs;
        g.energy_j += r.energy_j;
    }
    std::stable_sort(groups.begin(), groups.end(),
                     [](const OpGroup& a, const OpGroup& b) { return a.critical_cycles > b.critical_cycles; });
    return groups;
}

std::string op_report_text(const OpTable& table, OpGrouping by, std::size_t top) {
    const std::vector<OpGroup> groups = group_ops(table, by);
    double total = 0;
    for (const auto& g : groups) total += g.critical_cycles;
    const std::size_t shown = top == 0 ? groups.size() : std::min(top, groups.size());
    std::size_t width = by == OpGrouping::Op ? 2 : 5;
    for (std::size_t i = 0; i < shown; ++i) width = std::max(width, groups[i].name.size());
    const char* what = by == OpGrouping::Op ? "op" : by == OpGrouping::Layer ? "layer" : "kind";
    std::ostringstream out;
    out << "  " << padded(what, width, true) << "  " << padded(by == OpGrouping::Op ? "kind" : "ops", 9, true)
        << padded("critical cycles", 16, false) << padded("share", 8, false) << padded("busy unit-cyc", 15, false)
        << padded("main mem MB", 13, false) << padded("energy mJ", 11, false) << "\n";
    auto line = [&](const std::string& name, const std::string& second, double critical, double busy,
                    std::uint64_t memory, double energy) {
        out << "  " << padded(name, width, true) << "  " << padded(second, 9, true)
            << padded(fixed(critical, 0), 16, false)
            << padded(fixed(total > 0 ? 100 * critical / total : 0, 1) + " %", 8, false)
            << padded(fixed(busy, 0), 15, false) << padded(fixed(double(memory) / 1e6, 3), 13, false)
            << padded(fixed(energy * 1e3, 4), 11, false) << "\n";
    };
    for (std::size_t i = 0; i < shown; ++i) {
        const OpGroup& g = groups[i];
        line(g.name, by == OpGrouping::Op ? g.kind : std::to_string(g.ops), g.critical_cycles, g.busy_unit_cycles,
             g.memory_bytes, g.energy_j);
    }
    if (shown < groups.size()) {
        OpGroup rest;
        for (std::size_t i = shown; i < groups.size(); ++i) {
            rest.ops += groups[i].ops;
            rest.critical_cycles += groups[i].critical_cycles;
            rest.busy_unit_cycles += groups[i].busy_unit_cycles;
            rest.memory_bytes += groups[i].memory_bytes;
            rest.energy_j += groups[i].energy_j;
        }
        line("(" + std::to_string(groups.size() - shown) + " more)", by == OpGrouping::Op ? "" : std::to_string(rest.ops),
             rest.critical_cycles, rest.busy_unit_cycles, rest.memory_bytes, rest.energy_j);
    }
    if (table.sampled)
        out << "  (a sampled run: these rows are its simulated decode steps and layers only; summary.json "
               "extrapolates the others)\n";
    return out.str();
}

OpTable load_op_table(const std::string& directory) {
    const std::string path = directory + "/ops.csv";
    // A results directory of an older version has no ops.csv: say what to do.
    if (!existing_input_file(path, "ops.csv"))
        throw InputError(path + ": no such file; `acceltran run` writes it (rerun the point to get one)");
    // Not read_input_file: a long generation's table may pass its limit for configuration files.
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) throw InputError(path + ": cannot be read");
    OpTable table = OpTable::read_csv(text.str(), path);
    // Whether the rows cover only the simulated steps or layers of a sampled run (summary.json).
    const std::string summary_path = directory + "/summary.json";
    if (existing_input_file(summary_path, "summary.json")) {
        const auto summary = nlohmann::json::parse(read_input_file(summary_path, "summary.json"), nullptr, false);
        if (summary.is_object() && summary.contains("generation")) {
            const auto& g = summary["generation"];
            table.sampled = g.value("simulated_steps", 0) != g.value("gen_len", 0);
        }
        if (summary.is_object() && summary.contains("layers")) table.sampled = true;
    }
    return table;
}

}  // namespace acceltran::explore
