#include <iostream>

#include "core/errors.h"
#include "explore/map_request.h"
#include "testbenches/cli/commands.h"
#include "testbenches/cli/input_arguments.h"
#include "testbenches/cli/option_parser.h"
#include "testbenches/cli/output_argument.h"

namespace acceltran::cli {

int map_command(const std::vector<std::string>& args) {
    namespace po = boost::program_options;
    po::options_description desc("map options");
    desc.add_options()
        ("model,m", po::value<std::string>()->required(), "model: a shipped name (see `acceltran list`) or a model file (docs/models.md)")
        ("accel,a", po::value<std::string>()->required(), "accelerator: a shipped name or a YAML file")
        ("seq", po::value<int>()->default_value(128), "sequence length")
        ("batch", po::value<int>()->default_value(4), "batch size")
        ("prompt-len", po::value<int>(), "decoders: map the generation `acceltran run --prompt-len P` simulates (default 128; docs/decoders.md)")
        ("gen-len", po::value<int>(), "decoders: tokens generated, as for `acceltran run --gen-len G`")
        ("simulated-steps", po::value<int>()->default_value(16), "decoders: decode steps simulated at most, as for `acceltran run` (the mapping names the ops of those steps; give the run the same value)")
        ("objective", po::value<std::string>()->default_value("edp"), "edp|latency|energy: what each op's best mapping minimises")
        ("search", po::value<std::string>()->default_value("random"), "exhaustive|random|heuristic (docs/mapping.md §7)")
        ("budget", po::value<int>()->default_value(10000), "candidates per distinct op shape (random, heuristic)")
        ("seed", po::value<int>()->default_value(1), "seed of the random and heuristic searches (1 or more)")
        ("out,o", po::value<std::string>()->required(), "output directory: mapping.yaml and mapspace.json")
        ("force", "replace an earlier map's directory at --out (one holding a mapping.yaml; any other directory is refused)");
    po::variables_map vm;
    if (!parse_options(args, desc,
                       "usage: acceltran map --model M --accel A [--seq N | --prompt-len P --gen-len G] [--batch N]\n"
                       "                     [--objective edp|latency|energy] [--search exhaustive|random|heuristic]\n"
                       "                     [--budget N] [--seed S] --out DIR [--force]\n"
                       "Searches each op's mapspace (tile, loop order, main-memory block, k parts across units) with the\n"
                       "analytic cost model and writes DIR/mapping.yaml (the best mapping per op, for run --mapping) and\n"
                       "DIR/mapspace.json.",
                       vm))
        return 0;
    explore::MapRequest request;
    request.objective = explore::parse_objective(vm["objective"].as<std::string>());
    request.search = explore::parse_search(vm["search"].as<std::string>());
    // An exhaustive search tries every mapping: a --budget or --seed given with it would do nothing.
    if (request.search == explore::SearchKind::Exhaustive)
        for (const char* name : {"budget", "seed"})
            if (!vm[name].defaulted())
                throw UsageError(std::string("--") + name + " is for --search random or heuristic; --search exhaustive tries every mapping");
    generation_requested(vm);  // --seq beside --prompt-len/--gen-len is refused, as by run
    request.seq = positive(vm, "seq");
    request.batch = positive(vm, "batch");
    if (vm.count("prompt-len")) request.prompt_len = vm["prompt-len"].as<int>();
    if (vm.count("gen-len")) request.gen_len = vm["gen-len"].as<int>();
    if ((request.prompt_len && *request.prompt_len < 0) || (request.gen_len && *request.gen_len < 0))
        throw UsageError("--prompt-len and --gen-len must be at least 0");
    request.simulated_steps = vm["simulated-steps"].as<int>();
    // Only a generation has decode steps to sample; without --gen-len the value would do nothing.
    if (!vm.count("gen-len") && !vm["simulated-steps"].defaulted())
        throw UsageError("--simulated-steps samples the decode steps of a generation; give --gen-len too");
    const std::string out = vm["out"].as<std::string>();
    check_output_directory(out, "mapping.yaml", "map");
    request.budget = std::uint64_t(positive(vm, "budget"));
    request.seed = std::uint64_t(positive(vm, "seed"));
    request.config = accelerator_argument("map", vm["accel"].as<std::string>(), {});
    request.model = model_argument("map", vm["model"].as<std::string>());
    OutputDirectory output(out, vm.count("force") > 0);
    request.run(output, data_dir() + "/configs", std::cout);
    output.commit();
    std::cout << "  output                      " << output.path() << "/ (mapping.yaml, mapspace.json)\n";
    return 0;
}

}  // namespace acceltran::cli
