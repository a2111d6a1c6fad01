#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>

#include <systemc>

#include "modules/accelerator.h"
#include "modules/common/accelerator_config.h"
#include "modules/power/area_model.h"
#include "modules/power/energy_model.h"
#include "modules/power/technology.h"
#include "modules/trace/observer_list.h"
#include "modules/trace/phase_tracker.h"
#include "modules/trace/perfetto_trace.h"
#include "modules/trace/timeline.h"
#include "modules/trace/timeline_report.h"
#include "modules/trace/vcd_trace.h"
#include "testbenches/cli/commands.h"
#include "testbenches/cli/functional_run.h"
#include "testbenches/cli/option_parser.h"
#include "testbenches/cli/output_directory.h"
#include "testbenches/cli/plugin_options.h"
#include "testbenches/cli/progress_bar.h"
#include "testbenches/cli/summary_report.h"
#include "workloads/generation.h"
#include "workloads/model_spec.h"
#include "workloads/op_graph.h"
#include "workloads/tiled_program.h"

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

power::RunActivity activity_of(const RunResult& r) {
    power::RunActivity a;
    a.cycles = r.cycles;
    a.lane_busy_unit_cycles = r.units[int(workloads::UnitClass::MacLane)].busy_unit_cycles;
    a.softmax_busy_unit_cycles = r.units[int(workloads::UnitClass::Softmax)].busy_unit_cycles;
    a.layernorm_busy_unit_cycles = r.units[int(workloads::UnitClass::LayerNorm)].busy_unit_cycles;
    a.pre_sparsity_tiles = r.pre_sparsity_tiles;
    a.post_sparsity_tiles = r.post_sparsity_tiles;
    for (int b = 0; b < workloads::kBufferKinds; ++b) {
        a.buffer_bytes[b] = r.buffers[b].read_bytes + r.buffers[b].write_bytes;
        a.buffer_busy_cycles[b] = r.buffers[b].busy_cycles;
    }
    a.memory_bytes = r.memory_read_bytes + r.memory_write_bytes;
    for (int b = 0; b < workloads::kBufferKinds; ++b) a.buffer_model_energy_j[b] = r.buffers[b].model_energy_j;
    a.memory_model_energy_j = r.memory_model_energy_j;
    return a;
}

void add_energy(nlohmann::json& summary, const power::EnergyBreakdown& e, const RunResult& r,
                const trace::TimelineReport& timeline) {
    const double total = e.total();
    summary["energy_j"] = total;
    summary["energy_j_per_seq"] = r.batch > 0 ? total / r.batch : 0;
    summary["power_w"] = {{"average", r.seconds > 0 ? total / r.seconds : 0},
                          {"peak", timeline.peak_power_w()},
                          {"peak_sample_cycles", timeline.samples().empty() ? 0.0 : timeline.samples()[0].cycles}};
    summary["energy_breakdown_j"] = power::to_json(e);
}

// "START:END" in cycles; either side may be empty (from the start, to the end).
void parse_window(const std::string& text, trace::VcdOptions& o) {
    const auto colon = text.find(':');
    auto number = [&](const std::string& s, double fallback) {
        if (s.empty()) return fallback;
        double v = -1;
        if (!parse_number(s, v) || !(v >= 0))
            throw UsageError("--vcd-window expects START:END in cycles (non-negative numbers, either may be empty), got '" +
                             text + "'");
        return v;
    };
    if (colon == std::string::npos)
        throw UsageError("--vcd-window expects START:END in cycles, e.g. 1000:5000 or 1000:, got '" + text + "'");
    o.window_start = number(text.substr(0, colon), 0);
    o.window_end = number(text.substr(colon + 1), std::numeric_limits<double>::infinity());
    if (!(o.window_end > o.window_start))
        throw UsageError("--vcd-window END must be after START, got '" + text + "'");
}

// Prefill and decode figures of a generation run (docs/decoders.md, docs/outputs.md).
nlohmann::json generation_json(const workloads::GenerationOptions& g, const trace::PhaseTracker& phases,
                               const trace::TimelineReport& timeline, const workloads::TiledProgram& program,
                               const RunResult& r) {
    const double hz = r.clock_mhz * 1e6;
    // With no prompt the first token comes out of decode step 1.
    const int first_step = g.prompt_len > 0 ? 0 : 1;
    const double first_token = phases.step_done(first_step);
    nlohmann::json steps = nlohmann::json::array();
    double previous = first_token;
    for (int t = first_step + 1; t <= g.gen_len; ++t) {
        steps.push_back((phases.step_done(t) - previous) / hz);
        previous = phases.step_done(t);
    }
    const double decode_cycles = r.cycles - first_token;
    const double tokens = double(g.batch) * (g.gen_len - (first_step == 1 ? 1 : 0));
    const double prefill_energy = timeline.energy_between(0, first_token);
    const double decode_energy = timeline.energy_between(first_token, r.cycles);
    std::uint64_t kv_bytes = 0;
    for (const auto& e : program.entries)
        if (e.kind != workloads::EntryKind::Compute && e.tensor >= 0 &&
            program.graph->tensors[std::size_t(e.tensor)].cache != workloads::CacheRole::None)
            kv_bytes += e.data_bytes + e.mask_bytes;
    return {{"prompt_len", g.prompt_len},
            {"gen_len", g.gen_len},
            {"batch", g.batch},
            {"time_to_first_token_s", first_token / hz},
            {"time_per_output_token_s", steps.empty() ? 0.0 : decode_cycles / hz / double(steps.size())},
            {"time_per_output_token_by_step_s", steps},
            {"tokens_per_s", decode_cycles > 0 ? tokens / (decode_cycles / hz) : 0.0},
            {"prefill_energy_j", prefill_energy},
            {"decode_energy_j", decode_energy},
            {"energy_per_token_j", tokens > 0 ? decode_energy / tokens : 0.0},
            {"kv_cache_main_memory_bytes", kv_bytes}};
}

// Writes a file of the output directory through a stream, failing loudly.
template <typename Write>
void write_stream(const OutputDirectory& output, const std::string& name, Write write) {
    std::ofstream out(output.file(name));
    write(out);
    out.flush();
    if (!out) throw SimulationError("could not write " + output.file(name));
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
    namespace po = boost::program_options;
    po::options_description desc("run options");
    desc.add_options()
        ("model,m", po::value<std::string>()->default_value("bert-tiny"), "model: shipped name (see `acceltran list`) or a .yaml/.json file")
        ("accel,a", po::value<std::string>()->default_value("acceltran-edge"), "accelerator: shipped name or a .yaml file")
        ("seq", po::value<int>()->default_value(128), "sequence length (a decoder without --gen-len: the prompt prefilled)")
        ("prompt-len", po::value<int>(), "decoders: prompt tokens prefilled before generating (default 128; 0 allowed)")
        ("gen-len", po::value<int>(), "decoders: tokens generated after the prefill, one decode step each (docs/decoders.md)")
        ("batch", po::value<int>()->default_value(4), "batch size (sequences per run)")
        ("out,o", po::value<std::string>(), "output directory (default results/<model>_<accel>)")
        ("set", po::value<std::vector<std::string>>()->composing(), "override an accelerator key, e.g. --set pe.count=128 (repeatable)")
        ("detail", po::value<std::string>()->default_value("full"), "full: every tile as its own transactions; fast: a job's tiles summed into a few aggregated transactions (same bytes, cycles within the tested tolerance; docs/model-reference.md)")
        ("sample-cycles", po::value<double>(), "timeline.csv sample period in cycles (default: adaptive, 2048 to 4096 rows)")
        ("vcd", "also write trace.vcd (waveforms per module instance)")
        ("vcd-filter", po::value<std::vector<std::string>>()->composing(), "keep only scopes matching this glob, e.g. 'pe0/*' or 'pe[0-3]' or '*buffer' (repeatable; implies --vcd)")
        ("vcd-window", po::value<std::string>(), "keep only cycles START:END, e.g. 1000:5000 (implies --vcd)")
        ("perfetto", "also write trace.perfetto.json (Chrome trace events: one slice per tile op)")
        ("no-progress", "no progress bar (it is shown only when stderr is a terminal)")
        ("force", "replace the output directory if it exists")
        ("quiet,q", "do not print the summary table");
    FunctionalRun::add_options(desc);
    add_plugin_option(desc);
    po::variables_map vm;
    if (!parse_options(args, desc,
                       "usage: acceltran run [--model M] [--accel A] [--seq N] [--batch N] [--out DIR] [--set key.path=value ...]\n"
                       "                     [--sample-cycles N] [--vcd] [--vcd-filter GLOB] [--vcd-window START:END] [--perfetto] [--force]\n"
                       "Simulates one forward pass of the batch and writes DIR/summary.json and DIR/timeline.csv\n"
                       "(and trace.vcd, trace.perfetto.json on request; see docs/outputs.md).",
                       vm))
        return 0;
    load_plugins(vm);  // before the config, which may select a plug-in's model
    const std::string dir = data_dir();
    const DetailLevel detail = parse_detail_level(vm["detail"].as<std::string>());
    std::optional<FunctionalRun> functional = FunctionalRun::from(vm);
    if (functional && detail != DetailLevel::Full)
        throw UsageError("--functional runs at --detail full (every tile computes its values)");
    std::vector<std::string> overrides;
    if (vm.count("set")) overrides = vm["set"].as<std::vector<std::string>>();
    const std::string model_arg = vm["model"].as<std::string>(), accel_arg = vm["accel"].as<std::string>();
    const AcceleratorConfig config = load_accelerator(accel_arg, dir + "/configs", overrides);
    const workloads::ModelSpec model = workloads::load_model(model_arg, dir + "/workloads/models");
    const bool generating = vm.count("gen-len") > 0 || vm.count("prompt-len") > 0;
    if (generating && !model.decoder())
        throw InputError("model '" + model.name + "' is an encoder: --prompt-len and --gen-len need a decoder "
                         "(e.g. gpt2, llama-1b; see acceltran list)");
    workloads::GenerationOptions generation;
    if (generating) {
        generation.prompt_len = vm.count("prompt-len") ? vm["prompt-len"].as<int>() : 128;
        generation.gen_len = vm.count("gen-len") ? vm["gen-len"].as<int>() : 0;
        if (generation.prompt_len < 0 || generation.gen_len < 0)
            throw UsageError("--prompt-len and --gen-len must be at least 0");
        generation.batch = positive(vm, "batch");
    }
    // The buffer capacities let the graph builder slice matmuls whose weights would not fit
    // (docs/decoders.md §2.1); graphs that fit are unchanged.
    const workloads::CompileOptions buffers = compile_options(config);
    if (generating) generation.buffers = buffers;
    const workloads::OpGraph graph =
        generating ? workloads::build_generation_graph(model, generation)
                   : workloads::build_op_graph(model, positive(vm, "seq"), positive(vm, "batch"), buffers);
    workloads::CompileOptions compile = buffers;
    if (functional) {
        if (generating) throw UsageError("--functional supports encoders, not --prompt-len/--gen-len");
        functional->prepare(graph, config);
        compile.tensor_density = functional->planning_densities();
    }
    const workloads::TiledProgram program = workloads::compile_program(graph, compile);
    const power::Technology technology = power::load_technology(config.technology, dir + "/configs");
    technology.check_covers(config);  // refuse a design the table cannot price before simulating it
    const power::AreaBreakdown area = power::area(config, technology);

    const std::string out = vm.count("out") ? vm["out"].as<std::string>()
                                            : "results/" + stem(model_arg) + "_" + stem(accel_arg);
    if (out.empty()) throw UsageError("--out must name a directory, got an empty path");
    OutputDirectory output(out, vm.count("force") > 0);

    double sample_cycles = 0;
    if (vm.count("sample-cycles")) {
        sample_cycles = vm["sample-cycles"].as<double>();
        if (!(sample_cycles >= 1) || !std::isfinite(sample_cycles))
            throw UsageError("--sample-cycles must be a finite number of at least 1 cycle, got " +
                             std::to_string(sample_cycles));
    }
    trace::Timeline timeline(sample_cycles);
    trace::ObserverList observers;
    observers.add(&timeline);
    std::unique_ptr<trace::VcdTrace> vcd;
    if (vm.count("vcd") || vm.count("vcd-filter") || vm.count("vcd-window")) {
        trace::VcdOptions o;
        if (vm.count("vcd-filter")) o.filters = vm["vcd-filter"].as<std::vector<std::string>>();
        if (vm.count("vcd-window")) parse_window(vm["vcd-window"].as<std::string>(), o);
        vcd = std::make_unique<trace::VcdTrace>(config, technology, program, o);
        observers.add(vcd.get());
    }
    std::ofstream perfetto_file;
    std::unique_ptr<trace::PerfettoTrace> perfetto;
    if (vm.count("perfetto")) {
        perfetto_file.open(output.file("trace.perfetto.json"));
        perfetto = std::make_unique<trace::PerfettoTrace>(perfetto_file, config, program);
        observers.add(perfetto.get());
    }
    trace::PhaseTracker phases(program);
    if (generating) observers.add(&phases);
    ProgressBar progress(!vm.count("no-progress"));
    if (progress.active()) observers.add(&progress);

    const auto wall_start = std::chrono::steady_clock::now();
    Accelerator accelerator("acceltran", config, program, &observers, detail);
    if (functional) accelerator.attach_functional(&functional->engine());
    sc_core::sc_start();
    progress.finish();
    const RunResult result = accelerator.result();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

    nlohmann::json summary = summary_json(result, graph, config, wall);
    summary["area_mm2"] = power::to_json(area);
    summary["detail"] = to_string(detail);
    const trace::TimelineReport timeline_report(timeline.samples(result.cycles), config, technology);
    add_energy(summary, power::energy(config, technology, activity_of(result)), result, timeline_report);
    if (generating) summary["generation"] = generation_json(generation, phases, timeline_report, program, result);
    if (functional) {
        summary["sparsity"] = functional->sparsity_json();
        summary["functional"] = functional->functional_json();
    } else {
        summary["sparsity"] = {{"source", "configured"},
                               {"activation", config.activation_sparsity},
                               {"weight", config.weight_sparsity}};
    }
    output.write("summary.json", summary.dump(2) + "\n");
    write_stream(output, "timeline.csv", [&](std::ostream& o) { timeline_report.write_csv(o); });
    if (vcd) write_stream(output, "trace.vcd", [&](std::ostream& o) { vcd->write(o, result.cycles, timeline_report); });
    if (perfetto) {
        perfetto->finish(timeline_report);
        perfetto_file.flush();
        if (!perfetto_file) throw SimulationError("could not write " + output.file("trace.perfetto.json"));
        perfetto_file.close();
    }
    output.commit();
    if (!vm.count("quiet")) {
        std::string files = "summary.json, timeline.csv";
        if (vcd) files += ", trace.vcd";
        if (perfetto) files += ", trace.perfetto.json";
        std::cout << summary_table(summary) << "  output                      " << out << "/ (" << files << ")\n";
    }
    return 0;
}

}  // namespace acceltran::cli
