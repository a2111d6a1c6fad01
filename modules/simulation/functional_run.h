// The functional mode of a run (docs/dynatran.md): loads or generates the weights and tokens,
// builds the engine the processing elements compute real values with, and reports the measured
// sparsity and the output error against the reference forward passes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/accelerator_config.h"
#include "core/run_settings.h"
#include "modules/compute/functional_engine.h"
#include "workloads/functional/model_weights.h"
#include "workloads/op_graph.h"

namespace acceltran {

class FunctionalRun {
public:
    explicit FunctionalRun(FunctionalSettings settings);

    // Loads or generates the weights and tokens for `graph` and builds the engine. The weights
    // come from --weights, else from the model's ONNX file when it is one, else from the seed.
    void prepare(const workloads::OpGraph& graph, const AcceleratorConfig& config);
    compute::FunctionalEngine& engine() { return *engine_; }
    std::vector<double> planning_densities() const { return engine_->planning_densities(); }

    // summary.json's `functional` block (settings, output error against the references) and
    // `sparsity` (measured) after the simulation.
    nlohmann::json functional_json() const;
    nlohmann::json sparsity_json() const;

private:
    FunctionalSettings settings_;
    const workloads::OpGraph* graph_ = nullptr;
    functional::FixedPointFormat format_;
    functional::ModelWeights weights_;         // as loaded or generated
    std::string weights_source_;               // where from, for summary.json's functional.weights
    functional::ModelWeights pruned_weights_;  // after --weight-threshold: what the engine holds
    double weight_zeros_fraction_ = 0;
    std::vector<std::int32_t> tokens_;
    std::unique_ptr<compute::FunctionalEngine> engine_;
};

}  // namespace acceltran
