#include "testbenches/cli/summary_report.h"

#include <cstdio>
#include <sstream>

namespace acceltran::cli {

nlohmann::json yaml_to_json(const YAML::Node& node) {
    using nlohmann::json;
    if (node.IsMap()) {
        json j = json::object();
        for (const auto& kv : node) j[kv.first.as<std::string>()] = yaml_to_json(kv.second);
        return j;
    }
    if (node.IsSequence()) {
        json j = json::array();
        for (const auto& v : node) j.push_back(yaml_to_json(v));
        return j;
    }
    if (!node.IsScalar()) return nullptr;
    const std::string& s = node.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
    try {
        std::size_t used = 0;
        long long i = std::stoll(s, &used);
        if (used == s.size()) return i;
        double d = std::stod(s, &used);
        if (used == s.size()) return d;
    } catch (const std::logic_error&) {
    }
    return s;
}

nlohmann::json summary_json(const RunResult& result, const workloads::OpGraph& graph,
                            const AcceleratorConfig& config, double wall_seconds) {
    nlohmann::json j = result.to_json();
    const auto& m = graph.model;
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : m.layers) {
        nlohmann::json heads = nlohmann::json::array();
        for (const auto& h : l.heads) heads.push_back(h.type + "_" + std::to_string(h.width));
        layers.push_back({{"hidden", l.hidden}, {"heads", heads}, {"ffn", l.ffn}});
    }
    j["model"] = {{"name", m.name}, {"source", m.source}, {"seq", graph.seq}, {"batch", graph.batch},
                  {"layers", layers}, {"vocab_size", m.vocab_size}};
    nlohmann::json accel = yaml_to_json(config.resolved);
    accel["source"] = config.source;
    j["accelerator"] = accel;
    j["wall_seconds"] = wall_seconds;
    return j;
}

namespace {

std::string fmt(const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

std::string bytes_text(double b) {
    if (b >= 1024.0 * 1024.0) return fmt("%.2f MiB", b / (1024.0 * 1024.0));
    if (b >= 1024.0) return fmt("%.1f KiB", b / 1024.0);
    return fmt("%.0f B", b);
}

}  // namespace

std::string summary_table(const nlohmann::json& s) {
    std::ostringstream o;
    const auto& m = s["model"];
    o << "AccelTran-SC run: " << m["name"].get<std::string>() << " (seq " << m["seq"] << ", batch " << m["batch"]
      << ") on " << s["accelerator"]["name"].get<std::string>() << "\n";
    auto row = [&](const std::string& k, const std::string& v) {
        o << "  " << k << std::string(k.size() < 28 ? 28 - k.size() : 1, ' ') << v << "\n";
    };
    row("cycles", fmt("%.0f", s["cycles"].get<double>()));
    row("latency", fmt("%.3f us", s["seconds"].get<double>() * 1e6));
    row("throughput", fmt("%.1f seq/s", s["throughput_seq_per_s"].get<double>()));
    for (const char* c : {"mac_lane", "softmax", "layernorm", "dma", "main_memory"})
        row(std::string("utilization ") + c, fmt("%.1f %%", 100.0 * s["utilization"][c].get<double>()));
    row("main memory read", bytes_text(s["bytes"]["main_memory"]["read"].get<double>()));
    row("main memory written", bytes_text(s["bytes"]["main_memory"]["write"].get<double>()));
    for (const char* b : {"activation_buffer", "weight_buffer", "mask_buffer"})
        row(std::string(b) + " read/written", bytes_text(s["bytes"][b]["read"].get<double>()) + " / " +
                                                  bytes_text(s["bytes"][b]["write"].get<double>()));
    row("memory-bound cycles", fmt("%.0f", s["stalls"]["memory_bound_cycles"].get<double>()));
    row("MAC lanes waiting on buffers", fmt("%.0f unit-cycles", s["stalls"]["mac_lane"]["memory_wait_unit_cycles"].get<double>()));
    row("MAC lanes waiting on deps", fmt("%.0f unit-cycles", s["stalls"]["mac_lane"]["dependency_wait_unit_cycles"].get<double>()));
    row("tile ops", std::to_string(s["program"]["tile_ops"].get<std::uint64_t>()));
    row("MACs (effectual/total)", fmt("%.3g", s["macs"]["effectual"].get<double>()) + " / " +
                                      fmt("%.3g", double(s["macs"]["total"].get<std::uint64_t>())));
    row("loads/spills/stores", std::to_string(s["program"]["loads"].get<std::uint64_t>()) + " / " +
                                   std::to_string(s["program"]["spills"].get<std::uint64_t>()) + " / " +
                                   std::to_string(s["program"]["stores"].get<std::uint64_t>()));
    row("wall time", fmt("%.3f s", s["wall_seconds"].get<double>()));
    return o.str();
}

}  // namespace acceltran::cli
