// `acceltran list` and `acceltran validate`: look at inputs without simulating.
#include <iostream>

#include "modules/accelerator.h"
#include "core/accelerator_config.h"
#include "modules/power/area_model.h"
#include "modules/power/technology.h"
#include "testbenches/cli/commands.h"
#include "testbenches/cli/input_arguments.h"
#include "testbenches/cli/option_parser.h"
#include "testbenches/cli/plugin_options.h"
#include "core/model_registry.h"
#include "workloads/model_spec.h"
#include "workloads/op_graph.h"
#include "workloads/tiled_program.h"
#include "workloads/graph_builder.h"
#include "workloads/buffer_planner.h"

namespace acceltran::cli {

int list_command(const std::vector<std::string>& args) {
    namespace po = boost::program_options;
    po::options_description desc("list options");
    add_plugin_option(desc);
    po::variables_map vm;
    if (!parse_options(args, desc,
                       "usage: acceltran list [--plugin LIB.so ...]\n"
                       "The shipped models and accelerator design points, and the registered buffer and memory models.",
                       vm))
        return 0;
    load_plugins(vm);
    const std::string dir = data_dir();
    std::cout << "models (" << dir << "/workloads/models):\n";
    for (const auto& name : workloads::shipped_models(dir + "/workloads/models")) {
        const auto m = workloads::load_model(name, dir + "/workloads/models");
        std::cout << "  " << name << "  layers " << m.layers.size() << ", hidden " << m.hidden() << ", heads "
                  << m.layers.front().heads.size() << ", ffn " << m.layers.front().ffn.front() << "\n";
    }
    std::cout << "accelerators (" << dir << "/configs/accelerators):\n";
    for (const auto& name : shipped_accelerators(dir + "/configs")) {
        const auto a = load_accelerator(name, dir + "/configs");
        std::cout << "  " << name << "  " << a.pes << " PEs x " << a.lanes_per_pe << " lanes x " << a.macs_per_lane
                  << " MACs, " << a.softmax_per_pe << " softmax/PE, buffers " << a.activation_buffer.size_mb << "/"
                  << a.weight_buffer.size_mb << "/" << a.mask_buffer.size_mb << " MB, " << a.main_memory.type << " "
                  << a.main_memory.bandwidth_gbps << " GB/s\n";
    }
    // The registered buffer and memory models, each with its parameters (docs/plugins.md).
    const ModelRegistry& registry = ModelRegistry::instance();
    for (ModelKind kind : {ModelKind::Buffer, ModelKind::Memory}) {
        std::cout << (kind == ModelKind::Buffer ? "buffer models (buffers.<name>.model):\n"
                                                : "memory models (main_memory.model):\n");
        for (const ModelEntry* e : registry.entries(kind)) {
            std::cout << "  " << e->name << "  " << e->description;
            if (e->origin != "built-in") std::cout << " [plug-in " << e->origin << "]";
            std::cout << "\n";
            for (const auto& p : e->parameters)
                std::cout << "      " << p.name << " (" << p.type_text() << ", default " << p.default_value << ")  "
                          << p.description << "\n";
        }
    }
    return 0;
}

int validate_command(const std::vector<std::string>& args) {
    namespace po = boost::program_options;
    po::options_description desc("validate options");
    desc.add_options()
        ("model,m", po::value<std::string>(), "model name or file to check")
        ("accel,a", po::value<std::string>(), "accelerator name or file to check")
        ("seq", po::value<int>()->default_value(128), "sequence length (with both --model and --accel)")
        ("batch", po::value<int>()->default_value(4), "batch size (with both --model and --accel)")
        ("set", po::value<std::vector<std::string>>()->composing(), "override an accelerator key: key.path=value");
    add_plugin_option(desc);
    po::variables_map vm;
    if (!parse_options(args, desc,
                       "usage: acceltran validate [--model M] [--accel A [--set k=v ...]] [--seq N] [--batch N]\n"
                       "Checks the files; with both, also that the model's working sets fit the buffers.",
                       vm))
        return 0;
    if (!vm.count("model") && !vm.count("accel")) throw UsageError("give --model, --accel or both");
    // Options that only one form reads would otherwise be dropped without a word (`validate --model M
    // --set pe.count=4` said ok without looking at the override); so would a bad --seq or --batch.
    if (!vm.count("accel") && vm.count("set")) throw UsageError("--set overrides a key of --accel; give --accel too");
    for (const char* name : {"seq", "batch"})
        if (!(vm.count("model") && vm.count("accel")) && !vm[name].defaulted())
            throw UsageError(std::string("--") + name + " sizes the working sets checked with both --model and --accel; give both");
    if (vm.count("model") && vm.count("accel")) {
        (void)positive(vm, "seq");
        (void)positive(vm, "batch");
    }
    load_plugins(vm);
    const std::string dir = data_dir();
    std::vector<std::string> overrides;
    if (vm.count("set")) overrides = vm["set"].as<std::vector<std::string>>();
    if (vm.count("model")) {
        const auto m = model_argument("validate", vm["model"].as<std::string>());
        std::cout << "model " << m.name << ": ok (" << m.layers.size() << " layers)\n";
        if (vm.count("accel")) {
            const auto a = accelerator_argument("validate", vm["accel"].as<std::string>(), overrides);
            // As run does: a design the technology table cannot price is refused here too.
            power::load_technology(a.technology, dir + "/configs").check_covers(a);
            const auto graph = workloads::build_op_graph(m, positive(vm, "seq"), positive(vm, "batch"));
            const auto program = workloads::compile_program(graph, compile_options(a));
            std::cout << "accelerator " << a.name << ": ok; program of " << program.entries.size() << " entries, "
                      << program.totals.tile_ops << " tile ops, " << program.totals.spill_entries << " spills\n";
        }
    } else {
        const auto a = accelerator_argument("validate", vm["accel"].as<std::string>(), overrides);
        const power::Technology technology = power::load_technology(a.technology, dir + "/configs");
        technology.check_covers(a);
        const power::AreaBreakdown area = power::area(a, technology);
        std::cout << "accelerator " << a.name << ": ok (area " << area.total << " mm2)\n";
    }
    return 0;
}

}  // namespace acceltran::cli
