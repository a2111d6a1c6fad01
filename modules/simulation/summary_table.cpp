#include "modules/simulation/summary_table.h"

#include <cstdio>
#include <sstream>

#include "modules/simulation/op_class_breakdown.h"

namespace acceltran {

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
    if (s.contains("generation")) {
        const nlohmann::json& g = s["generation"];
        row("time to first token", fmt("%.3f ms", g["time_to_first_token_s"].get<double>() * 1e3));
        row("time per output token", fmt("%.3f ms", g["time_per_output_token_s"].get<double>() * 1e3));
        row("tokens per second", fmt("%.1f", g["tokens_per_s"].get<double>()));
        // An interpolated figure must never pass for a simulated one (docs/decoders.md §9).
        if (g.contains("simulated_steps") && g["simulated_steps"].get<int>() < g["gen_len"].get<int>())
            row("decode steps simulated", std::to_string(g["simulated_steps"].get<int>()) + " of " +
                                              std::to_string(g["gen_len"].get<int>()) +
                                              ", the others interpolated (--simulated-steps 0: all)");
    }
    if (s.contains("layers")) {
        const nlohmann::json& l = s["layers"];
        row("layers simulated", std::to_string(l["simulated_per_phase"].get<int>()) + " of " +
                                    std::to_string(l["count"].get<int>()) +
                                    " per phase, the others repeat the last (--simulated-layers 0: all)");
    }
    if (s.contains("op_classes")) {
        // The classes that took any time, in OpClass order (docs/outputs.md, op_classes).
        std::string shares;
        for (int c = 0; c < kOpClassCount; ++c) {
            const char* name = to_string(OpClass(c));
            const nlohmann::json& figures = s["op_classes"].value(name, nlohmann::json::object());
            const double share = figures.value("share", 0.0);
            if (share > 0) shares += (shares.empty() ? "" : ", ") + std::string(name) + fmt(" %.1f %%", 100.0 * share);
        }
        if (!shares.empty()) row("time by op class", shares);
    }
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

}  // namespace acceltran
