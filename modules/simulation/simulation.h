// One simulation: a model, a design point and run settings in; a result out. Every front end
// (the acceltran CLI, the tests, an embedding program: examples/embed) runs the model through
// this class, so none of them repeats the pipeline:
//
//   ModelSpec --build_op_graph / build_generation_graph--> OpGraph --compile_program-->
//   TiledProgram --Accelerator + sc_start--> RunResult --energy, timeline--> SimulationResult
//
// Construction compiles the program and checks that the technology table covers the design,
// so bad input is refused before anything is simulated. Sinks (VCD, Perfetto, a progress bar)
// are activity observers the caller makes from config(), technology() and program() and
// attaches before run(). SystemC elaborates once per process: run() may be called once, and
// one Simulation runs per process (sweeps launch one process per point).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/accelerator_config.h"
#include "core/run_settings.h"
#include "modules/activity/activity_observer.h"
#include "modules/power/area_model.h"
#include "modules/power/technology.h"
#include "modules/run_result.h"
#include "modules/simulation/op_class_breakdown.h"
#include "modules/simulation/op_table.h"
#include "modules/trace/timeline_report.h"
#include "workloads/generation.h"
#include "workloads/mapping_plan.h"
#include "workloads/model_spec.h"
#include "workloads/op_graph.h"
#include "workloads/tiled_program.h"

namespace acceltran {

class DecodeExtrapolation;
class FunctionalRun;
namespace trace {
class PhaseTracker;
}

struct SimulationResult {
    RunResult run;                  // what the modules measured
    trace::TimelineReport timeline; // utilization and power per sample period
    nlohmann::json summary;         // summary.json (docs/outputs.md)
    OpTable ops;                    // ops.csv: the run per op (op_accounting.h)
    OpClassBreakdown op_classes;    // op_classes.csv and summary.json's op_classes
};

class Simulation {
public:
    // `configs_dir` holds the technology tables (configs/technology/) the design point names.
    // Throws InputError/UsageError for what cannot run (a model too large for a buffer, a
    // decoder option on an encoder, a design the technology table cannot price).
    Simulation(workloads::ModelSpec model, AcceleratorConfig config, RunSettings settings,
               const std::string& configs_dir);
    ~Simulation();
    Simulation(const Simulation&) = delete;
    Simulation& operator=(const Simulation&) = delete;

    const AcceleratorConfig& config() const { return config_; }
    const RunSettings& settings() const { return settings_; }
    const workloads::OpGraph& graph() const { return *graph_; }
    const workloads::TiledProgram& program() const { return *program_; }
    const power::Technology& technology() const { return technology_; }
    // The mapping of every op as compiled: the default one, or RunSettings::mapping's choices
    // (docs/mapping.md); what `--write-mapping` writes.
    workloads::MappingPlan mapping_plan() const;
    // Doubtful but harmless input the run went ahead with (a mapping file's derived value that
    // disagrees), one "file:line:column: ..." line each, for the front end to show.
    const std::vector<std::string>& warnings() const { return warnings_; }

    // The command line that asked for this run, program name first, for summary.json's
    // provenance (core/provenance.h; `acceltran rerun` runs it again). Empty by default.
    void set_command_line(std::vector<std::string> words) { command_line_ = std::move(words); }

    // Adds a sink that hears every module's activity during run(); not owned.
    void attach(activity::ActivityObserver* sink);

    // Elaborates the accelerator, simulates to completion and gathers the result. Once.
    SimulationResult run();

    // The memory estimate of a generation run (modules/simulation/memory_estimate.h); 0 for
    // other runs.
    std::uint64_t memory_estimate() const { return estimate_; }
    // Layers simulated per phase (docs/model-reference.md §6b), or 0 when every layer is.
    int simulated_layers() const { return simulated_layers_; }

private:
    // InputError when the run's memory estimate exceeds RunSettings::max_memory.
    void refuse_beyond_memory_limit();
    SimulationResult simulate();
    std::string out_of_memory(const std::string& doing) const;
    nlohmann::json generation_json(const trace::PhaseTracker& phases, const trace::TimelineReport& timeline,
                                   const RunResult& r, const RunResult& simulated, const DecodeExtrapolation* sampled,
                                   double energy_j) const;

    workloads::ModelSpec model_;
    AcceleratorConfig config_;
    RunSettings settings_;
    workloads::GenerationOptions generation_;
    std::unique_ptr<workloads::OpGraph> graph_;
    std::unique_ptr<FunctionalRun> functional_;
    std::unique_ptr<workloads::TiledProgram> program_;
    workloads::CompileOptions compile_;  // as the program was compiled: directives, densities
    std::vector<std::string> warnings_;
    power::Technology technology_;
    power::AreaBreakdown area_;
    std::vector<activity::ActivityObserver*> sinks_;
    std::vector<std::string> command_line_;
    std::uint64_t estimate_ = 0;
    int simulated_layers_ = 0;
    bool ran_ = false;
};

}  // namespace acceltran
