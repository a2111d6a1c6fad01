#include <iostream>

#include "modules/common/accelerator_config.h"
#include "testbenches/cli/commands.h"
#include "testbenches/cli/option_parser.h"
#include "workloads/analyzer.h"
#include "workloads/model_spec.h"
#include "workloads/op_graph.h"

namespace acceltran::cli {

int analyze_command(const std::vector<std::string>& args) {
    namespace po = boost::program_options;
    po::options_description desc("analyze options");
    desc.add_options()
        ("model,m", po::value<std::string>()->required(), "model: a shipped name (see `acceltran list`) or a .yaml/.json file")
        ("seq", po::value<int>()->default_value(128), "sequence length")
        ("batch", po::value<int>()->default_value(4), "batch size")
        ("bytes-per-element", po::value<double>()->default_value(1.0), "bytes per value for the byte counts")
        ("json", "print one JSON object instead of a table");
    po::variables_map vm;
    if (!parse_options(args, desc,
                       "usage: acceltran analyze --model M [--seq N] [--batch N] [--bytes-per-element N] [--json]\n"
                       "Per-operator FLOPs (multiply-add = 2), bytes moved (each op reads its inputs and\n"
                       "writes its output once) and arithmetic intensity, from the same op graph the\n"
                       "simulator runs.",
                       vm))
        return 0;
    const double bpe = vm["bytes-per-element"].as<double>();
    if (!(bpe > 0)) throw UsageError("--bytes-per-element must be greater than 0");
    const workloads::ModelSpec model =
        workloads::load_model(vm["model"].as<std::string>(), data_dir() + "/workloads/models");
    const workloads::OpGraph graph = workloads::build_op_graph(model, positive(vm, "seq"), positive(vm, "batch"));
    const workloads::Analysis analysis = workloads::analyze(graph, bpe);
    if (vm.count("json"))
        std::cout << workloads::analysis_json(graph, analysis, bpe) << "\n";
    else
        std::cout << workloads::analysis_table(graph, analysis);
    return 0;
}

}  // namespace acceltran::cli
