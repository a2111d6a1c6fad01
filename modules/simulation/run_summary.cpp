#include "modules/simulation/run_summary.h"

#include <memory>

#include "core/memory_model.h"
#include "core/number_text.h"
#include "modules/memory/main_memory.h"

namespace acceltran {

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
    // A model's own figures where it resolves a parameter itself (dram: a 0 that means "the
    // preset's"), asked of the model the configuration builds, as the run built it.
    const std::unique_ptr<TimingModel> model = MainMemory::make_model(c.clock_mhz, c);
    const auto* memory_model = dynamic_cast<const MemoryModel*>(model.get());
    add_model_parameters(memory, memory_model ? m.model_parameters.with_values(memory_model->effective_parameters())
                                              : m.model_parameters);
    nlohmann::json j = {{"name", c.name},
            {"source", c.source},
            {"clock_mhz", c.clock_mhz},
            {"technology", c.technology},
            {"pe", {{"count", c.pes}, {"lanes_per_pe", c.lanes_per_pe}, {"macs_per_lane", c.macs_per_lane},
                    {"softmax_per_pe", c.softmax_per_pe}, {"layernorm_per_pe", c.layernorm_per_pe},
                    {"nonlinearity", c.nonlinearity}}},
            {"tiling", {{"tile", {c.tile_b, c.tile_x, c.tile_y}}, {"loop_order", c.loop_order.str()}}},
            {"numerics", {{"int_bits", c.int_bits}, {"frac_bits", c.frac_bits}, {"rounding", c.rounding}}},
            {"sparsity", {{"activation", c.activation_sparsity}, {"weight", c.weight_sparsity},
                          {"topk_elements_per_cycle", c.topk_elements_per_cycle},
                          {"mode", sparsity::to_string(c.sparsity_rule.mode)},
                          {"threshold", c.sparsity_rule.threshold},
                          {"k", c.sparsity_rule.k},
                          {"weight_threshold", c.sparsity_rule.weight_threshold}}},
            {"buffers", {{"activation", buffer(c.activation_buffer)}, {"weight", buffer(c.weight_buffer)},
                         {"mask", buffer(c.mask_buffer)}}},
            {"main_memory", memory},
            {"dma", {{"channels", c.dma.channels}, {"burst_bytes", c.dma.burst_bytes}}},
            {"power", {{"gating", c.power_gating}}}};
    // Only when an option is on, so that default summaries are unchanged.
    if (c.compat.any()) j["compat"] = c.compat.enabled();
    return j;
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

}  // namespace acceltran
