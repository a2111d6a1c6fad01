#include "modules/simulation/simulation.h"

#include <chrono>
#include <new>
#include <optional>
#include <sstream>
#include <utility>

#include <systemc>

#include "core/byte_size.h"
#include "core/errors.h"
#include "core/provenance.h"
#include "modules/accelerator.h"
#include "modules/builtin_models.h"
#include "modules/simulation/compat_energy_counters.h"
#include "modules/power/energy_model.h"
#include "modules/simulation/decode_extrapolation.h"
#include "modules/simulation/functional_run.h"
#include "modules/simulation/layer_extrapolation.h"
#include "workloads/op_fusion.h"
#include "modules/simulation/memory_estimate.h"
#include "modules/simulation/op_accounting.h"
#include "modules/simulation/op_kind_breakdown.h"
#include "modules/simulation/run_summary.h"
#include "modules/trace/observer_list.h"
#include "modules/trace/phase_tracker.h"
#include "modules/trace/timeline.h"
#include "workloads/buffer_planner.h"
#include "workloads/graph_builder.h"
#include "workloads/layer_sampling.h"
#include "workloads/mapping_file.h"

namespace acceltran {

namespace {

// A value as an architect wrote it (0.05, not 0.050000).
std::string number_text(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
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
    a.memory_device_share = a.memory_bytes > 0 ? r.memory_device_bytes / a.memory_bytes : 1;
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

}  // namespace

Simulation::Simulation(workloads::ModelSpec model, AcceleratorConfig config, RunSettings settings,
                       const std::string& configs_dir)
    : model_(std::move(model)), config_(std::move(config)), settings_(std::move(settings)) {
    register_builtin_models();
    // A configured rule that prunes can only be applied to values: it makes the run functional
    // (docs/dynatran.md §1.1), for every front end.
    if (!settings_.functional && config_.sparsity_rule.zero_skipping()) {
        FunctionalSettings f;
        f.sparsity = config_.sparsity_rule;
        f.configured = true;
        settings_.functional = std::move(f);
    }
    // What made the run functional, for the messages below.
    std::string functional_why = "--functional";
    if (settings_.functional && settings_.functional->configured) {
        const sparsity::DynaTranConfig& rule = config_.sparsity_rule;
        std::string what;
        if (rule.mode == sparsity::SparsityMode::TopK) what = "sparsity.mode topk, k " + std::to_string(rule.k);
        if (rule.prunes_activations()) what = "sparsity.mode dynatran with threshold " + number_text(rule.threshold);
        if (rule.weight_threshold > 0)
            what += (what.empty() ? "" : ", ") + std::string("sparsity.weight_threshold ") +
                    number_text(rule.weight_threshold);
        functional_why = "the accelerator's sparsity rule (" + what +
                         ") prunes, which makes this a functional run (docs/dynatran.md §1.1); it";
    }
    if (settings_.functional && settings_.detail != DetailLevel::Full)
        throw UsageError(functional_why + " runs at --detail full (every tile computes its values)");
    // The compat options mirror the original AccelTran simulator's units and memories.
    if (config_.gemmini() && config_.compat.any()) {
        std::string names;
        for (const auto& n : config_.compat.enabled()) names += (names.empty() ? "" : ", ") + n;
        throw UsageError("the compat options (" + names +
                         ") mirror the original AccelTran simulator and apply to the AccelTran template only, not to '" +
                         config_.name + "' (architecture gemmini)");
    }
    // Split k steps run at once on several lanes, so an output's last part could finish before
    // the others have added theirs: timing only, as in the original (no values, no adds).
    if (settings_.functional && config_.compat.spread_k_tiles)
        throw UsageError(functional_why + " computes values, which the compat option spread_k_tiles cannot give: it runs "
                                          "an output's k steps on several lanes at once without ordering their partial sums");
    const bool generating = settings_.generating();
    if (generating && !model_.decoder())
        throw InputError("model '" + model_.name + "' is an encoder: --prompt-len and --gen-len need a decoder "
                         "(e.g. gpt2, llama-1b; see acceltran list)");
    if (settings_.seq < 1) throw UsageError("--seq must be a positive integer, got " + std::to_string(settings_.seq));
    if (settings_.batch < 1)
        throw UsageError("--batch must be a positive integer, got " + std::to_string(settings_.batch));
    // The buffer capacities let the graph builder slice matmuls whose weights would not fit
    // (docs/decoders.md §2.1); graphs that fit are unchanged.
    const workloads::CompileOptions buffers = compile_options(config_);
    // The estimate refuses what cannot fit before anything large is built; an allocation that
    // fails all the same is said to be one, never an internal error.
    try {
        if (generating) {
            generation_.prompt_len = settings_.prompt_len.value_or(128);
            generation_.gen_len = settings_.gen_len.value_or(0);
            if (generation_.prompt_len < 0 || generation_.gen_len < 0)
                throw UsageError("--prompt-len and --gen-len must be at least 0");
            generation_.batch = settings_.batch;
            generation_.buffers = buffers;
            generation_.decode_steps = workloads::sampled_decode_steps(generation_.gen_len, settings_.simulated_steps);
            // Their figures (CompatEnergyCounters) are measured, not extrapolated over skipped steps.
            const CompatConfig& compat = config_.compat;
            if (!generation_.decode_steps.empty() &&
                (compat.main_memory_energy || compat.buffer_leakage_while_loading || compat.no_operand_read_energy))
                throw UsageError("the compat options main_memory_energy, buffer_leakage_while_loading and "
                                 "no_operand_read_energy need every decode step simulated; raise --simulated-steps to --gen-len");
            refuse_beyond_memory_limit();
            graph_ = std::make_unique<workloads::OpGraph>(workloads::build_generation_graph(model_, generation_));
        } else {
            graph_ = std::make_unique<workloads::OpGraph>(
                workloads::build_op_graph(model_, settings_.seq, settings_.batch, buffers));
        }
        if (buffers.fuse_gelu) workloads::fuse_gelu_into_matmuls(*graph_);
        workloads::CompileOptions compile = buffers;
        if (!settings_.mapping.empty()) {
            // Read after the graph: the file names its ops and is checked against their extents.
            const workloads::MappingDirectives directives = workloads::MappingFile::load(settings_.mapping).directives(
                *graph_, workloads::MappingPlan::derive(*graph_, buffers), buffers);
            compile.op_directives = directives.ops;
            warnings_ = directives.warnings;
        }
        if (settings_.functional) {
            if (generating) throw UsageError(functional_why + " supports encoders, not --prompt-len/--gen-len");
            if (config_.gemmini())
                throw UsageError(functional_why + " models AccelTran's fixed-point datapath and DynaTran; '" +
                                 config_.name + "' is a Gemmini design, which runs timing only (docs/gemmini.md)");
            functional_ = std::make_unique<FunctionalRun>(*settings_.functional);
            functional_->prepare(*graph_, config_);
            compile.tensor_density = functional_->planning_densities();
        }
        program_ = std::make_unique<workloads::TiledProgram>(workloads::compile_program(*graph_, compile));
        compile_ = std::move(compile);
        simulated_layers_ = workloads::sampled_layer_count(model_, settings_.simulated_layers);
        if (simulated_layers_ > 0) {
            // Repeated layers are counted, not computed: there are no values to give, and the
            // compat energy counters are measured per transfer.
            if (settings_.functional)
                throw UsageError(functional_why + " computes every layer's values: simulate every layer with "
                                                  "--simulated-layers 0");
            const CompatConfig& compat = config_.compat;
            if (compat.main_memory_energy || compat.buffer_leakage_while_loading || compat.no_operand_read_energy)
                throw UsageError("the compat options main_memory_energy, buffer_leakage_while_loading and "
                                 "no_operand_read_energy need every layer simulated; add --simulated-layers 0");
            workloads::mark_repeated_layers(*program_, simulated_layers_);
        }
    } catch (const std::bad_alloc&) {
        throw SimulationError(out_of_memory("building the program of"));
    }
    technology_ = power::load_technology(config_.technology, configs_dir);
    technology_.check_covers(config_);  // refuse a design the table cannot price before simulating it
    area_ = power::area(config_, technology_);
}

Simulation::~Simulation() = default;

workloads::MappingPlan Simulation::mapping_plan() const {
    workloads::MappingPlan plan = workloads::MappingPlan::derive(*graph_, compile_);
    plan.record_blocks(*program_);
    return plan;
}

void Simulation::refuse_beyond_memory_limit() {
    // A shape the graph builder refuses is left to its message.
    if (std::int64_t(generation_.prompt_len) + generation_.gen_len > model_.max_positions) return;
    const MemoryEstimate e = estimate_generation_memory(model_, generation_);
    const std::uint64_t limit = settings_.max_memory > 0 ? settings_.max_memory : default_memory_limit();
    estimate_ = e.bytes;
    if (e.bytes <= limit) return;
    const workloads::GenerationOptions& g = generation_;
    throw InputError("model '" + model_.name + "' generating " + std::to_string(g.gen_len) + " tokens (prompt " +
                     std::to_string(g.prompt_len) + ", batch " + std::to_string(g.batch) + ", " +
                     (g.decode_steps.empty() ? std::string("every decode step simulated")
                                             : std::to_string(g.decode_steps.size()) + " decode steps simulated") +
                     ") needs an estimated " + byte_size_text(e.bytes) + " of memory (" + std::to_string(e.ops) +
                     " ops, " + std::to_string(e.cache_reads) + " KV-cache segment reads), above the limit of " +
                     byte_size_text(limit) +
                     (settings_.max_memory > 0 ? " set by --max-memory" : " (half of this machine's memory)") +
                     "; raise it with --max-memory SIZE, or simulate fewer decode steps with "
                     "--simulated-steps N (docs/robustness.md, Memory)");
}

void Simulation::attach(activity::ActivityObserver* sink) {
    if (sink) sinks_.push_back(sink);
}

SimulationResult Simulation::run() {
    if (ran_) throw std::logic_error("Simulation::run() called twice: SystemC elaborates once per process");
    ran_ = true;
    try {
        return simulate();
    } catch (const std::bad_alloc&) {
        throw SimulationError(out_of_memory("simulating"));
    }
}

std::string Simulation::out_of_memory(const std::string& doing) const {
    std::string m = "out of memory while " + doing + " model '" + model_.name + "'";
    if (settings_.generating())
        m += " (prompt " + std::to_string(generation_.prompt_len) + ", " + std::to_string(generation_.gen_len) +
             " tokens generated, estimate " + byte_size_text(estimate_) + ")";
    return m + "; lower --gen-len, --batch or --simulated-steps, or free memory (docs/robustness.md, Memory)";
}

SimulationResult Simulation::simulate() {
    trace::Timeline timeline(settings_.sample_cycles);
    trace::ObserverList observers;
    observers.add(&timeline);
    OpKindBreakdown op_kinds(*program_);
    observers.add(&op_kinds);
    OpAccounting op_accounting(*program_);
    observers.add(&op_accounting);
    const CompatConfig& compat = config_.compat;
    std::optional<CompatEnergyCounters> compat_energy;
    if (compat.main_memory_energy || compat.buffer_leakage_while_loading || compat.no_operand_read_energy) {
        compat_energy.emplace(*program_);
        observers.add(&*compat_energy);
    }
    trace::PhaseTracker phases(*program_);
    if (settings_.generating()) observers.add(&phases);
    // A sampled run snapshots the modules' counters as layers and simulated steps finish. With
    // its layers sampled, every run goes through DecodeExtrapolation (with every step, or none
    // for an encoder), which adds the repeated layers to its snapshots once the run is over.
    const Accelerator* counted = nullptr;
    const auto counters = [&counted](double at) { return counted->counters(at); };
    std::unique_ptr<LayerExtrapolation> layers;
    if (simulated_layers_ > 0) {
        layers = std::make_unique<LayerExtrapolation>(*program_, int(model_.layers.size()), simulated_layers_, counters);
        observers.add(layers.get());
    }
    std::unique_ptr<DecodeExtrapolation> sampled;
    if (!generation_.decode_steps.empty() || layers) {
        std::vector<int> steps = generation_.decode_steps;
        if (steps.empty())
            for (int t = 1; t <= generation_.gen_len; ++t) steps.push_back(t);
        sampled = std::make_unique<DecodeExtrapolation>(*program_, std::move(steps), counters, layers.get());
        observers.add(sampled.get());
    }
    for (auto* sink : sinks_) observers.add(sink);

    const auto wall_start = std::chrono::steady_clock::now();
    Accelerator accelerator("acceltran", config_, *program_, &observers, settings_.detail);
    counted = &accelerator;
    if (functional_) accelerator.attach_functional(&functional_->engine());
    sc_core::sc_start();
    const RunResult simulated = accelerator.result();
    if (layers) layers->finish(simulated);
    RunResult result = sampled ? sampled->extrapolate(simulated) : simulated;
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

    nlohmann::json summary = summary_json(result, *graph_, config_, wall);
    summary["area_mm2"] = power::to_json(area_);
    summary["detail"] = to_string(settings_.detail);
    summary["op_kinds"] = sampled ? sampled->op_kinds() : op_kinds.to_json();
    // Like ops.csv, of what was simulated (a sampled generation's simulated steps).
    OpClassBreakdown op_classes(*graph_, op_accounting.critical_split(), simulated.clock_mhz);
    summary["op_classes"] = op_classes.to_json();
    // The timeline covers the simulated run (for a sampled generation, its simulated steps).
    std::vector<trace::TimelineSample> samples = timeline.samples(simulated.cycles);
    // A period's share of the off-chip bytes is the run's (an L2's hits are not traced in time).
    const double run_memory_bytes = double(simulated.memory_read_bytes + simulated.memory_write_bytes);
    for (auto& sample : samples)
        sample.activity.memory_device_share =
            run_memory_bytes > 0 ? simulated.memory_device_bytes / run_memory_bytes : 1;
    if (compat_energy) {
        // Each period's share of the compat figures, so that the periods still add up to the run.
        const power::RunActivity run = activity_of(simulated);
        for (auto& sample : samples) {
            const power::RunActivity& a = sample.activity;
            double buffer_share[workloads::kBufferKinds];
            for (int b = 0; b < workloads::kBufferKinds; ++b)
                buffer_share[b] = run.buffer_bytes[b] > 0 ? a.buffer_bytes[b] / run.buffer_bytes[b] : 0;
            compat_energy->add_share_to(sample.activity, run.memory_bytes > 0 ? a.memory_bytes / run.memory_bytes : 0,
                                        buffer_share);
        }
    }
    trace::TimelineReport report(std::move(samples), config_, technology_);
    power::RunActivity activity = activity_of(result);
    if (compat_energy) compat_energy->add_to(activity);
    const power::EnergyBreakdown energy = power::energy(config_, technology_, activity);
    add_energy(summary, energy, result, report);
    if (settings_.generating()) {
        summary["generation"] = generation_json(phases, report, result, simulated, sampled.get(), energy.total());
    }
    if (layers)
        summary["layers"] = {{"count", model_.layers.size()},
                             {"simulated_per_phase", simulated_layers_},
                             {"phases", layers->phases_measured()}};
    if (functional_) {
        summary["sparsity"] = functional_->sparsity_json();
        summary["functional"] = functional_->functional_json();
    } else {
        summary["sparsity"] = {{"source", "configured"},
                               {"activation", config_.activation_sparsity},
                               {"weight", config_.weight_sparsity}};
    }
    summary["provenance"] = Provenance::of_this_process(command_line_, settings_).to_json();
    OpTable ops = op_accounting.table(simulated, config_, technology_, compat_energy ? &*compat_energy : nullptr);
    ops.sampled = sampled != nullptr;
    return SimulationResult{std::move(result), std::move(report), std::move(summary), std::move(ops),
                            std::move(op_classes)};
}

// Prefill and decode figures of a generation run (docs/decoders.md, docs/outputs.md). A sampled
// generation takes its step times, KV-cache bytes and decode energy from the extrapolation.
nlohmann::json Simulation::generation_json(const trace::PhaseTracker& phases, const trace::TimelineReport& timeline,
                                           const RunResult& r, const RunResult& simulated,
                                           const DecodeExtrapolation* sampled, double energy_j) const {
    const workloads::GenerationOptions& g = generation_;
    const auto step_done = [&](int t) { return phases.step_done(t); };
    const double hz = r.clock_mhz * 1e6;
    // With no prompt the first token comes out of decode step 1.
    const int first_step = g.prompt_len > 0 ? 0 : 1;
    // With its layers sampled, the phases' ends and the prefill's figures include their
    // repeated layers (the timeline and PhaseTracker see the simulated run only).
    const bool layers = simulated_layers_ > 0;
    const double first_token = layers ? sampled->phase_end_cycles(first_step) : step_done(first_step);
    nlohmann::json steps = nlohmann::json::array();
    if (sampled) {
        const std::vector<double> cycles = sampled->step_cycles();
        for (int t = first_step + 1; t <= g.gen_len; ++t) steps.push_back(cycles[std::size_t(t - 1)] / hz);
    } else {
        double previous = first_token;
        for (int t = first_step + 1; t <= g.gen_len; ++t) {
            steps.push_back((step_done(t) - previous) / hz);
            previous = step_done(t);
        }
    }
    const double decode_cycles = r.cycles - first_token;
    const double tokens = double(g.batch) * (g.gen_len - (first_step == 1 ? 1 : 0));
    // The timeline covers the simulated run: the repeated layers up to the first token add the
    // energy of their activity, priced as the run's is.
    double prefill_energy = timeline.energy_between(0, layers ? step_done(first_step) : first_token);
    if (layers) {
        const auto priced = [&](bool repeats) {
            return power::energy(config_, technology_, activity_of(sampled->through(first_step, simulated, repeats)))
                .total();
        };
        prefill_energy += priced(true) - priced(false);
    }
    const double decode_energy = sampled ? energy_j - prefill_energy : timeline.energy_between(first_token, r.cycles);
    std::uint64_t kv_bytes = 0;
    if (sampled) {
        kv_bytes = sampled->kv_cache_bytes();
    } else {
        for (const auto& e : program_->entries)
            if (e.kind != workloads::EntryKind::Compute && e.tensor >= 0 &&
                program_->graph->tensors[std::size_t(e.tensor)].cache != workloads::CacheRole::None)
                kv_bytes += e.data_bytes + e.mask_bytes;
    }
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
            {"kv_cache_main_memory_bytes", kv_bytes},
            {"simulated_steps", g.decode_steps.empty() ? g.gen_len : int(g.decode_steps.size())}};
}

}  // namespace acceltran
