#include "explore/map_request.h"

#include <chrono>
#include <filesystem>
#include <sstream>

#include "explore/mapping_check.h"
#include "explore/model_mapper.h"
#include "modules/accelerator.h"
#include "modules/power/technology.h"
#include "workloads/generation.h"
#include "workloads/graph_builder.h"
#include "workloads/op_fusion.h"

namespace acceltran::explore {

int MapRequest::run(const OutputDirectory& output, const std::string& configs_dir, std::ostream& report) const {
    const workloads::CompileOptions options = compile_options(config);
    const bool generating = prompt_len.has_value() || gen_len.has_value();
    workloads::GenerationOptions generation;
    if (generating) {
        generation.prompt_len = prompt_len.value_or(128);
        generation.gen_len = gen_len.value_or(0);
        generation.batch = batch;
        generation.buffers = options;
        generation.decode_steps = workloads::sampled_decode_steps(generation.gen_len, simulated_steps);
    }
    workloads::OpGraph graph = generating ? workloads::build_generation_graph(model, generation)
                                          : workloads::build_op_graph(model, seq, batch, options);
    if (options.fuse_gelu) workloads::fuse_gelu_into_matmuls(graph);
    const power::Technology technology = power::load_technology(config.technology, configs_dir);
    technology.check_covers(config);
    const OpCostModel cost_model(config, technology);
    const MapspaceSearch searcher(cost_model, objective, search, budget, seed);
    const auto started = std::chrono::steady_clock::now();
    ModelMapper mapper(graph, options, cost_model, searcher);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::ostringstream check_report;
    nlohmann::json check_json;  // null without the check
    if (check) {
        MappingCheck checker(binary, run_args, objective, output.temporary() + "/.check");
        if (const int signal = checker.run(mapper, check_report)) return signal;
        check_json = checker.json();
        std::error_code ignored;
        std::filesystem::remove_all(output.temporary() + "/.check", ignored);
    }

    std::ostringstream yaml;
    mapper.write_yaml(yaml, !source.empty() ? source
                                            : "acceltran map of " + model.name + " on " + config.name + " (" +
                                                  to_string(search) + " search, objective " + to_string(objective) +
                                                  (check ? ", checked on the TLM model" : "") + ")");
    output.write("mapping.yaml", yaml.str());
    const nlohmann::json summary = {{"model", model.name},
                                    {"accelerator", config.name},
                                    {"seq", seq},
                                    {"batch", batch},
                                    {"prompt_len", generating ? nlohmann::json(generation.prompt_len) : nlohmann::json()},
                                    {"gen_len", generating ? nlohmann::json(generation.gen_len) : nlohmann::json()},
                                    {"simulated_steps", generating ? nlohmann::json(simulated_steps) : nlohmann::json()},
                                    {"objective", to_string(objective)},
                                    {"search", to_string(search)},
                                    {"budget", budget},
                                    {"seed", seed},
                                    {"evaluated", mapper.evaluated()},
                                    // Wall time of the searches alone (bench/run's mappings per second).
                                    {"search_seconds", seconds},
                                    {"shapes", mapper.mapspace_json()},
                                    {"fusions", mapper.fusion_json()},
                                    {"check", check_json}};
    output.write("mapspace.json", summary.dump(2) + "\n");
    std::size_t unmapped = 0;
    for (const auto& s : mapper.shapes()) unmapped += s.result.found ? 0 : 1;
    report << "  ops mapped                  " << mapper.ops().size() << " (" << mapper.shapes().size()
           << " distinct shapes searched once each)\n"
           << "  candidates evaluated        " << mapper.evaluated() << " in " << seconds << " s ("
           << (seconds > 0 ? double(mapper.evaluated()) / seconds : 0.0) << " mappings/s)\n";
    std::size_t fused = 0;
    for (const auto& f : mapper.fusions()) fused += f.chosen && f.used ? f.consumers.size() : 0;
    report << "  ops fused into a matmul     " << fused << " (mapspace.json \"fusions\")\n";
    report << check_report.str();
    if (unmapped)
        report << "  shapes with no mapping that fits: " << unmapped
               << " (mapspace.json \"best\": null; their ops keep the design point's mapping)\n";
    return 0;
}

}  // namespace acceltran::explore
