#include "testbenches/cli/summary_report.h"

#include <cstdio>
#include <sstream>

#include "testbenches/cli/option_parser.h"

namespace acceltran::cli {

namespace {

// A buffer or memory model's parameters beside the slot's shared keys, as the YAML has them.
void add_model_parameters(nlohmann::json& slot, const ModelParameters& p) {
    for (const auto& name : p.names()) {
        const std::string& text = p.text(name);
        if (text == "true" || text == "false") {
            slot[name] = text == "true";
            continue;
        }
        double v = 0;
        if (parse_number(text, v))
            slot[name] = v;
        else
            slot[name] = text;
    }
}

}  // namespace

nlohmann::json accelerator_json(const AcceleratorConfig& c) {
    // Every parameter the run used, defaults included, in the YAML's own layout.
    auto buffer = [](const BufferConfig& b) {
        nlohmann::json j{{"model", b.model}, {"size_mb", b.size_mb}, {"banks", b.banks},
                         {"bank_width_bytes", b.bank_width_bytes}, {"latency_cycles", b.latency_cycles}};
        add_model_parameters(j, b.model_parameters);
        return j;
    };
    const MainMemoryConfig& m = c.main_memory;
    nlohmann::json memory{{"model", m.model}, {"type", m.type}, {"bandwidth_gbps", m.bandwidth_gbps},
                          {"latency_ns", m.latency_ns}, {"banks", m.banks}, {"ranks", m.ranks},
                          {"channels", m.channels}};
    add_model_parameters(memory, m.model_parameters);
    return {{"name", c.name},
            {"source", c.source},
            {"clock_mhz", c.clock_mhz},
            {"technology", c.technology},
            {"pe", {{"count", c.pes}, {"lanes_per_pe", c.lanes_per_pe}, {"macs_per_lane", c.macs_per_lane},
                    {"softmax_per_pe", c.softmax_per_pe}, {"layernorm_per_pe", c.layernorm_per_pe},
                    {"nonlinearity", c.nonlinearity}}},
            {"tiling", {{"tile", {c.tile_b, c.tile_x, c.tile_y}}, {"loop_order", c.loop_order}}},
            {"numerics", {{"int_bits", c.int_bits}, {"frac_bits", c.frac_bits}, {"rounding", c.rounding}}},
            {"sparsity", {{"activation", c.activation_sparsity}, {"weight", c.weight_sparsity},
                          {"topk_elements_per_cycle", c.topk_elements_per_cycle}}},
            {"buffers", {{"activation", buffer(c.activation_buffer)}, {"weight", buffer(c.weight_buffer)},
                         {"mask", buffer(c.mask_buffer)}}},
            {"main_memory", memory},
            {"dma", {{"channels", c.dma.channels}, {"burst_bytes", c.dma.burst_bytes}}},
            {"power", {{"gating", c.power_gating}}}};
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
    j["accelerator"] = accelerator_json(config);
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
    if (s.contains("energy_j_per_seq")) {
        row("energy per sequence", fmt("%.3f uJ", s["energy_j_per_seq"].get<double>() * 1e6));
        row("average power", fmt("%.3f W", s["power_w"]["average"].get<double>()));
        if (s["power_w"].contains("peak"))
            row("peak power", fmt("%.3f W", s["power_w"]["peak"].get<double>()) +
                                  fmt(" (%.0f-cycle samples)", s["power_w"]["peak_sample_cycles"].get<double>()));
    }
    if (s.contains("area_mm2")) row("area", fmt("%.3f mm2", s["area_mm2"]["total"].get<double>()));
    row("tile ops", std::to_string(s["program"]["tile_ops"].get<std::uint64_t>()));
    row("MACs (effectual/total)", fmt("%.3g", s["macs"]["effectual"].get<double>()) + " / " +
                                      fmt("%.3g", double(s["macs"]["total"].get<std::uint64_t>())));
    if (s.contains("sparsity"))
        row("sparsity (act./weight)", fmt("%.1f %%", 100.0 * s["sparsity"]["activation"].get<double>()) + " / " +
                                          fmt("%.1f %%", 100.0 * s["sparsity"]["weight"].get<double>()) + " (" +
                                          s["sparsity"]["source"].get<std::string>() + ")");
    if (s.contains("functional"))
        row("output error vs dense", fmt("%.3g rms", s["functional"]["output_error_vs_dense"]["rms"].get<double>()));
    row("loads/spills/stores", std::to_string(s["program"]["loads"].get<std::uint64_t>()) + " / " +
                                   std::to_string(s["program"]["spills"].get<std::uint64_t>()) + " / " +
                                   std::to_string(s["program"]["stores"].get<std::uint64_t>()));
    row("wall time", fmt("%.3f s", s["wall_seconds"].get<double>()));
    return o.str();
}

}  // namespace acceltran::cli
