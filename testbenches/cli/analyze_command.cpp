#include <iostream>
#include <sstream>

#include <optional>

#include "core/accelerator_config.h"
#include "explore/traffic_report.h"
#include "testbenches/cli/commands.h"
#include "testbenches/cli/input_arguments.h"
#include "testbenches/cli/option_parser.h"
#include "workloads/analyzer.h"
#include "workloads/generation.h"
#include "workloads/model_spec.h"
#include "workloads/op_graph.h"
#include "workloads/graph_builder.h"

namespace acceltran::cli {

namespace {

// An optional count that may be 0 (an empty prompt); absent means 0.
int non_negative(const boost::program_options::variables_map& vm, const std::string& name) {
    if (!vm.count(name)) return 0;
    const int v = vm[name].as<int>();
    if (v < 0) throw UsageError("--" + name + " must be 0 or more, got " + std::to_string(v));
    return v;
}

}  // namespace

int analyze_command(const std::vector<std::string>& args) {
    namespace po = boost::program_options;
    po::options_description desc("analyze options");
    desc.add_options()
        ("model,m", po::value<std::string>()->required(), "model: a shipped name (see `acceltran list`), a model YAML, a Hugging Face config.json, an ONNX graph or a FlexiBERT dict (docs/models.md)")
        ("seq", po::value<int>()->default_value(128), "sequence length")
        ("batch", po::value<int>()->default_value(4), "batch size")
        ("prompt-len", po::value<int>(), "decoders: prompt tokens prefilled (default 0 with --gen-len)")
        ("gen-len", po::value<int>(), "decoders: decode steps after the prefill (default 0 with --prompt-len)")
        ("no-lm-head", "decoders: leave out the final norm and vocabulary projection, as the survey's totals do")
        ("bytes-per-element", po::value<double>()->default_value(1.0), "bytes per value for the byte counts")
        ("accel,a", po::value<std::string>(), "a Gemmini design (such as survey-analytic): add the survey's DRAM->L2 traffic rule for it (Table 5; docs/gemmini.md)")
        ("json", "print one JSON object instead of a table");
    po::variables_map vm;
    if (!parse_options(args, desc,
                       "usage: acceltran analyze --model M [--seq N | --prompt-len P --gen-len G [--no-lm-head]]\n"
                       "                         [--batch N] [--bytes-per-element N] [--accel A] [--json]\n"
                       "Per-operator FLOPs (multiply-add = 2), bytes moved (each op reads its inputs and\n"
                       "writes its output once) and arithmetic intensity, from the same op graph the\n"
                       "simulator runs. For a decoder, --seq N is the prefill of N tokens; --prompt-len and\n"
                       "--gen-len give a generation (docs/decoders.md).",
                       vm))
        return 0;
    const double bpe = vm["bytes-per-element"].as<double>();
    // Byte counts are products of element counts and this; an infinite or absurd value would
    // print inf or overflow-sized figures instead of an error.
    if (!(bpe > 0 && bpe <= 1024)) {
        std::ostringstream found;
        found << bpe;
        throw UsageError("--bytes-per-element must be a number greater than 0 and at most 1024, got " + found.str());
    }
    const workloads::ModelSpec model = model_argument("analyze", vm["model"].as<std::string>());
    const bool generation = generation_requested(vm);
    if ((generation || vm.count("no-lm-head")) && !model.decoder())
        throw UsageError("--prompt-len, --gen-len and --no-lm-head apply to decoders; '" + model.name +
                         "' is an encoder (use --seq)");
    workloads::GenerationOptions options;
    options.batch = positive(vm, "batch");
    options.prompt_len = generation ? non_negative(vm, "prompt-len") : positive(vm, "seq");
    options.gen_len = generation ? non_negative(vm, "gen-len") : 0;
    options.lm_head = !vm.count("no-lm-head");
    const workloads::OpGraph graph = model.decoder()
                                         ? workloads::build_generation_graph(model, options)
                                         : workloads::build_op_graph(model, options.prompt_len, options.batch);
    const workloads::Analysis analysis = workloads::analyze(graph, bpe);
    std::optional<explore::TrafficReport> traffic;
    if (vm.count("accel")) traffic = explore::TrafficReport(accelerator_argument("analyze", vm["accel"].as<std::string>(), {}), graph);
    if (vm.count("json")) {
        nlohmann::json j = nlohmann::json::parse(workloads::analysis_json(graph, analysis, bpe));
        if (traffic) j["analytic_traffic"] = traffic->json();
        std::cout << j << "\n";
    } else {
        std::cout << workloads::analysis_table(graph, analysis) << (traffic ? "\n" + traffic->table() : "");
    }
    return 0;
}

}  // namespace acceltran::cli
