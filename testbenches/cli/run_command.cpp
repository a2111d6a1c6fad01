#include <cmath>
#include <iostream>
#include <memory>
#include <utility>

#include "core/accelerator_config.h"
#include "core/byte_size.h"
#include "core/errors.h"
#include "core/number_text.h"
#include "core/output_directory.h"
#include "core/output_file.h"
#include "core/run_settings.h"
#include "explore/op_report.h"
#include "modules/accelerator.h"
#include "modules/simulation/simulation.h"
#include "modules/simulation/summary_table.h"
#include "modules/trace/perfetto_trace.h"
#include "modules/trace/vcd_trace.h"
#include "testbenches/cli/commands.h"
#include "testbenches/cli/functional_options.h"
#include "testbenches/cli/input_arguments.h"
#include "testbenches/cli/interrupt_watch.h"
#include "testbenches/cli/option_parser.h"
#include "testbenches/cli/output_argument.h"
#include "testbenches/cli/plugin_options.h"
#include "testbenches/cli/progress_bar.h"
#include "workloads/mapping_plan.h"
#include "workloads/model_spec.h"

namespace acceltran::cli {

namespace {

std::string stem(const std::string& name_or_path) {
    std::string s = name_or_path;
    auto slash = s.find_last_of('/');
    if (slash != std::string::npos) s = s.substr(slash + 1);
    auto dot = s.find_last_of('.');
    if (dot != std::string::npos && dot > 0) s = s.substr(0, dot);
    return s;
}

// Writes a file of the output directory through a stream, failing loudly (with the reason).
template <typename Write>
void write_stream(const OutputDirectory& output, const std::string& name, Write write) {
    OutputFile out(output.file(name));
    write(out);
    out.close();
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
    namespace po = boost::program_options;
    po::options_description desc("run options");
    desc.add_options()
        ("model,m", po::value<std::string>()->default_value("bert-tiny"), "model: shipped name (see `acceltran list`), a model YAML, a Hugging Face config.json, an ONNX graph or a FlexiBERT dict (docs/models.md)")
        ("accel,a", po::value<std::string>()->default_value("acceltran-edge"), "accelerator: shipped name, a .yaml file or the original simulator's config YAML (docs/models.md)")
        ("seq", po::value<int>()->default_value(128), "sequence length (a decoder without --prompt-len/--gen-len: the prompt prefilled; not allowed with them)")
        ("prompt-len", po::value<int>(), "decoders: prompt tokens prefilled before generating (default 128; 0 allowed)")
        ("gen-len", po::value<int>(), "decoders: tokens generated after the prefill, one decode step each (docs/decoders.md)")
        ("simulated-steps", po::value<int>()->default_value(16), "decoders: decode steps simulated one by one at most; a longer generation interpolates the others (docs/decoders.md §9); 0: every step")
        ("simulated-layers", po::value<std::string>()->default_value("auto"), "layers simulated per phase (the encoder pass, the prefill, each simulated decode step), at least 2; the others count as repeats of the last (docs/model-reference.md §6b); 0: every layer; auto: every layer of a model of at most 48 layers, 3 of a deeper one with identical layers")
        ("max-memory", po::value<std::string>(), "refuse a run whose memory estimate exceeds SIZE, e.g. 512M, 2G (default: half the physical memory; docs/robustness.md)")
        ("batch", po::value<int>()->default_value(4), "batch size (sequences per run)")
        ("out,o", po::value<std::string>(), "output directory (default results/<model>_<accel>)")
        ("set", po::value<std::vector<std::string>>()->composing(), "override an accelerator key, e.g. --set pe.count=128 (repeatable)")
        ("compat", po::value<std::vector<std::string>>()->composing(), "switch on modelling choices of the original AccelTran Python simulator, for comparison only: a comma-separated list of option names (docs/configuration.md, compat) or acceltran-py for all (docs/validation.md §7.5; repeatable)")
        ("detail", po::value<std::string>()->default_value("full"), "full: every tile as its own transactions; fast: a job's tiles summed into a few aggregated transactions (same bytes, cycles within the tested tolerance; docs/model-reference.md)")
        ("sample-cycles", po::value<double>(), "timeline.csv sample period in cycles (default: adaptive, 2048 to 4096 rows)")
        ("vcd", "also write trace.vcd (waveforms per module instance)")
        ("vcd-filter", po::value<std::vector<std::string>>()->composing(), "keep only scopes matching this glob, e.g. 'pe0/*' or 'pe[0-3]' or '*buffer' (repeatable; implies --vcd)")
        ("vcd-window", po::value<std::string>(), "keep only cycles START:END, e.g. 1000:5000 (implies --vcd)")
        ("perfetto", po::value<std::string>()->implicit_value("runs"), "also write trace.perfetto.json (Chrome trace events): one slice per run of tiles of an op on a unit (=runs, the default) or per tile op (=tiles)")
        ("trace-filter", po::value<std::vector<std::string>>()->composing(), "keep only Perfetto tracks matching this glob, as --vcd-filter, e.g. 'pe0/*', 'dma', 'power' (repeatable; implies --perfetto)")
        ("trace-window", po::value<std::string>(), "keep only Perfetto slices touching cycles START:END (implies --perfetto)")
        ("mapping", po::value<std::string>(), "follow the mapping FILE gives (per op: tile, loop order, main-memory block; docs/mapping.md §3), e.g. one --write-mapping or acceltran map wrote")
        ("write-mapping", "also write mapping.yaml: the mapping of every op as run (blocks, tile, loop order; docs/mapping.md)")
        ("force", "replace an earlier run's directory at --out (one holding a summary.json; any other directory is refused)")
        ("quiet,q", "do not print the summary table");
    add_functional_options(desc);
    add_plugin_option(desc);
    add_progress_options(desc);
    po::variables_map vm;
    if (!parse_options(args, desc,
                       "usage: acceltran run [--model M] [--accel A] [--seq N] [--batch N] [--out DIR] [--set key.path=value ...]\n"
                       "                     [--sample-cycles N] [--vcd] [--vcd-filter GLOB] [--vcd-window START:END]\n"
                       "                     [--perfetto[=runs|tiles]] [--trace-filter GLOB] [--trace-window START:END] [--mapping FILE] [--write-mapping] [--force]\n"
                       "Simulates one forward pass of the batch and writes DIR/summary.json, timeline.csv, ops.csv and op_classes.csv\n"
                       "(and trace.vcd, trace.perfetto.json, mapping.yaml on request; see docs/outputs.md).",
                       vm))
        return 0;
    load_plugins(vm);  // before the config, which may select a plug-in's model
    const std::string dir = data_dir();
    const ProgressMode progress_setting = progress_mode(vm);  // checked before anything is loaded
    RunSettings settings;
    settings.detail = parse_detail_level(vm["detail"].as<std::string>());
    generation_requested(vm);
    settings.seq = vm["seq"].as<int>();
    settings.batch = vm["batch"].as<int>();
    if (vm.count("prompt-len")) settings.prompt_len = vm["prompt-len"].as<int>();
    if (vm.count("gen-len")) settings.gen_len = vm["gen-len"].as<int>();
    settings.simulated_steps = vm["simulated-steps"].as<int>();
    // Only a generation has decode steps to sample; without --gen-len the value would do nothing.
    if (!vm.count("gen-len") && !vm["simulated-steps"].defaulted())
        throw UsageError("--simulated-steps samples the decode steps of a generation; give --gen-len too");
    if (const std::string layers = vm["simulated-layers"].as<std::string>(); layers != "auto") {
        double n = 0;
        if (!parse_number(layers, n) || n != std::floor(n) || n < 0 || n > 1e6)
            throw UsageError("--simulated-layers must be auto, 0 (every layer) or a whole number of layers of at least "
                             "2, got '" + layers + "'");
        settings.simulated_layers = int(n);
    }
    if (vm.count("mapping")) settings.mapping = vm["mapping"].as<std::string>();
    if (vm.count("max-memory")) settings.max_memory = parse_byte_size(vm["max-memory"].as<std::string>(), "--max-memory");
    if (vm.count("sample-cycles")) {
        settings.sample_cycles = vm["sample-cycles"].as<double>();
        if (!(settings.sample_cycles >= 1) || !std::isfinite(settings.sample_cycles))  // std::to_string said 0.000000 for 1e-9
            throw UsageError("--sample-cycles must be a finite number of at least 1 cycle, got " +
                             nine_digit_text(settings.sample_cycles));
    }
    std::vector<std::string> overrides;
    if (vm.count("set")) overrides = vm["set"].as<std::vector<std::string>>();
    const std::string model_arg = vm["model"].as<std::string>(), accel_arg = vm["accel"].as<std::string>();
    const std::string out = vm.count("out") ? vm["out"].as<std::string>()
                                            : "results/" + stem(model_arg) + "_" + stem(accel_arg);
    check_output_directory(out, "summary.json", "run");
    AcceleratorConfig config = accelerator_argument("run", accel_arg, overrides);
    if (vm.count("compat"))
        for (const auto& list : vm["compat"].as<std::vector<std::string>>()) enable_compat(config.compat, list);
    settings.functional = functional_settings(vm, config.sparsity_rule);
    workloads::ModelSpec model = model_argument("run", model_arg);
    InterruptWatch interrupts;
    Simulation simulation(std::move(model), std::move(config), settings, dir + "/configs");
    interrupts.check();
    for (const std::string& w : simulation.warnings()) std::cerr << "acceltran run: warning: " << w << "\n";
    simulation.attach(&interrupts);
    std::vector<std::string> command_line{"acceltran", "run"};
    command_line.insert(command_line.end(), args.begin(), args.end());
    simulation.set_command_line(std::move(command_line));

    OutputDirectory output(out, vm.count("force") > 0);

    std::unique_ptr<trace::VcdTrace> vcd;
    if (vm.count("vcd") || vm.count("vcd-filter") || vm.count("vcd-window")) {
        trace::VcdOptions o;
        if (vm.count("vcd-filter")) o.filters = vm["vcd-filter"].as<std::vector<std::string>>();
        if (vm.count("vcd-window")) o.set_window(vm["vcd-window"].as<std::string>(), "--vcd-window");
        o.spill_directory = output.temporary();  // its sorted runs: unlinked at once, nothing to clean up
        vcd = std::make_unique<trace::VcdTrace>(simulation.config(), simulation.technology(), simulation.program(), o);
        for (const std::string& f : vcd->unmatched_filters())
            std::cerr << "acceltran run: warning: --vcd-filter '" << f << "' matches no scope of this design; its scopes: "
                      << trace::VcdTrace::scopes(simulation.config()) << "\n";
        simulation.attach(vcd.get());
    }
    std::unique_ptr<OutputFile> perfetto_file;
    std::unique_ptr<trace::PerfettoTrace> perfetto;
    if (vm.count("perfetto") || vm.count("trace-filter") || vm.count("trace-window")) {
        trace::TraceSelection selection;
        if (vm.count("trace-filter")) selection.filters = vm["trace-filter"].as<std::vector<std::string>>();
        if (vm.count("trace-window")) selection.set_window(vm["trace-window"].as<std::string>(), "--trace-window");
        const auto slices = trace::parse_perfetto_slices(
            vm.count("perfetto") ? vm["perfetto"].as<std::string>() : std::string("runs"), "--perfetto");
        perfetto_file = std::make_unique<OutputFile>(output.file("trace.perfetto.json"));
        perfetto = std::make_unique<trace::PerfettoTrace>(*perfetto_file, simulation.config(), simulation.program(),
                                                          std::move(selection), slices);
        for (const std::string& f : perfetto->unmatched_filters())
            std::cerr << "acceltran run: warning: --trace-filter '" << f << "' matches no track of this design; its tracks: "
                      << trace::PerfettoTrace::scopes(simulation.config()) << "\n";
        simulation.attach(perfetto.get());
    }
    ProgressBar progress(progress_setting);
    if (progress.active()) simulation.attach(&progress);
    const SimulationResult result = [&] {
        try {
            return simulation.run();
        } catch (const SimulationError&) {
            interrupts.check();  // stopped by a signal, not by the model: say so
            throw;
        }
    }();
    progress.finish();
    interrupts.check();
    const nlohmann::json& summary = result.summary;
    const trace::TimelineReport& timeline_report = result.timeline;
    output.write("summary.json", summary.dump(2) + "\n");
    write_stream(output, "timeline.csv", [&](std::ostream& o) { timeline_report.write_csv(o); });
    write_stream(output, "ops.csv", [&](std::ostream& o) { result.ops.write_csv(o); });
    write_stream(output, "op_classes.csv", [&](std::ostream& o) { result.op_classes.write_csv(o); });
    if (vcd) write_stream(output, "trace.vcd", [&](std::ostream& o) { vcd->write(o, result.run.cycles, timeline_report); });
    if (vm.count("write-mapping"))
        write_stream(output, "mapping.yaml", [&](std::ostream& o) {
            simulation.mapping_plan().write_yaml(o, (settings.mapping.empty() ? "default mapping" : "mapping") + std::string(" of ") +
                                                        stem(model_arg) + " on " + stem(accel_arg) +
                                                        (settings.mapping.empty() ? "" : " from " + settings.mapping));
        });
    if (perfetto) {
        perfetto->finish(timeline_report);
        perfetto_file->close();
    }
    output.commit();
    if (!vm.count("quiet")) {
        std::string files = "summary.json, timeline.csv, ops.csv, op_classes.csv";
        if (vcd) files += ", trace.vcd";
        if (perfetto) files += ", trace.perfetto.json";
        if (vm.count("write-mapping")) files += ", mapping.yaml";
        std::cout << summary_table(summary) << "  output                      " << out << "/ (" << files << ")\n"
                  << "  top ops by critical-path cycles (acceltran report " << out << " for more):\n"
                  << explore::op_report_text(result.ops, explore::OpGrouping::Op, 5);
    }
    // The design points' sparsity ratios come from encoder studies; a decoder inherits them
    // unless told otherwise, and its time per token depends strongly on them: say so where it is seen.
    const nlohmann::json& sparsity = summary["sparsity"];
    if (summary.contains("generation") && sparsity["source"] == "configured" &&
        (sparsity["activation"].get<double>() > 0 || sparsity["weight"].get<double>() > 0))
        std::cerr << "acceltran run: note: this generation assumes the accelerator's configured sparsity (activation "
                  << 100 * sparsity["activation"].get<double>() << " %, weight " << 100 * sparsity["weight"].get<double>()
                  << " %; sparsity.activation and sparsity.weight in its YAML); for dense decoding add --set "
                     "sparsity.activation=0 --set sparsity.weight=0\n";
    return 0;
}

}  // namespace acceltran::cli
