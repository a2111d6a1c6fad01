#include <cstring>
#include <iostream>

#include "core/errors.h"
#include "explore/map_request.h"
#include "testbenches/cli/commands.h"
#include "testbenches/cli/input_arguments.h"
#include "testbenches/cli/option_parser.h"
#include "testbenches/cli/output_argument.h"
#include "testbenches/cli/self_binary.h"

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
        ("search", po::value<std::string>()->default_value("heuristic"), "exhaustive|random|heuristic (docs/mapping.md §7; heuristic, the default, found better mappings than random in every case measured there)")
        ("budget", po::value<int>()->default_value(10000), "candidates per distinct op shape (random, heuristic)")
        ("seed", po::value<int>()->default_value(1), "seed of the random and heuristic searches (1 or more)")
        ("check", po::value<std::string>()->default_value("tlm"), "tlm|none: keep each op shape's choice and fusion only if a fast-level run of the whole model with it beats the best so far, starting from the mapping the compiler derives (one `acceltran run` per choice; docs/mapping.md §7.1); none: the cost model's choices as found")
        ("out,o", po::value<std::string>()->required(), "output directory: mapping.yaml and mapspace.json")
        ("force", "replace an earlier map's directory at --out (one holding a mapping.yaml; any other directory is refused)");
    po::variables_map vm;
    if (!parse_options(args, desc,
                       "usage: acceltran map --model M --accel A [--seq N | --prompt-len P --gen-len G] [--batch N]\n"
                       "                     [--objective edp|latency|energy] [--search exhaustive|random|heuristic]\n"
                       "                     [--budget N] [--seed S] [--check tlm|none] --out DIR [--force]\n"
                       "Searches each op's mapspace (tile, loop order, main-memory block, k parts across units) with the\n"
                       "analytic cost model, checks the choices on the TLM model, and writes DIR/mapping.yaml (the best\n"
                       "mapping per op, for run --mapping) and DIR/mapspace.json.",
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
    const std::string check = vm["check"].as<std::string>();
    if (check != "tlm" && check != "none") throw UsageError("--check must be tlm or none, not '" + check + "'");
    request.check = check == "tlm";
    if (request.check) {
        request.binary = self_binary();
        // The trials run the graph this map searched: the same model, design point and lengths.
        request.run_args = {"--model", vm["model"].as<std::string>(), "--accel", vm["accel"].as<std::string>(),
                            "--batch", std::to_string(request.batch)};
        const bool generating = request.prompt_len || request.gen_len;
        if (generating) {
            if (request.prompt_len) request.run_args.insert(request.run_args.end(), {"--prompt-len", std::to_string(*request.prompt_len)});
            // `run` takes --simulated-steps only with --gen-len, as this command does.
            if (request.gen_len)
                request.run_args.insert(request.run_args.end(), {"--gen-len", std::to_string(*request.gen_len),
                                                                 "--simulated-steps", std::to_string(request.simulated_steps)});
        } else {
            request.run_args.insert(request.run_args.end(), {"--seq", std::to_string(request.seq)});
        }
    }
    request.config = accelerator_argument("map", vm["accel"].as<std::string>(), {});
    request.model = model_argument("map", vm["model"].as<std::string>());
    OutputDirectory output(out, vm.count("force") > 0);
    if (const int signal = request.run(output, data_dir() + "/configs", std::cout)) {
        std::cerr << "acceltran map: stopped by " << strsignal(signal) << "; nothing written\n";
        return 128 + signal;
    }
    output.commit();
    std::cout << "  output                      " << output.path() << "/ (mapping.yaml, mapspace.json)\n";
    return 0;
}

}  // namespace acceltran::cli
