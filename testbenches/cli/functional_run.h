// `acceltran run --functional`: the options that bring real numbers into a run (weights, tokens,
// DynaTran or top-k, the fixed-point format) and what the run reports about them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "modules/common/accelerator_config.h"
#include "modules/compute/functional_engine.h"
#include "workloads/functional/model_weights.h"
#include "workloads/op_graph.h"

namespace acceltran::cli {

class FunctionalRun {
public:
    // Adds --functional, --weights, --tokens, --seed, --sparsity, --threshold, --k,
    // --weight-threshold.
    static void add_options(boost::program_options::options_description& desc);
    // The options given, checked (UsageError for misuse, e.g. --threshold without --functional);
    // nullopt when --functional is absent.
    static std::optional<FunctionalRun> from(const boost::program_options::variables_map& vm);

    // Loads or generates the weights and tokens for `graph` and builds the engine.
    void prepare(const workloads::OpGraph& graph, const AcceleratorConfig& config);
    compute::FunctionalEngine& engine() { return *engine_; }
    std::vector<double> planning_densities() const { return engine_->planning_densities(); }

    // summary.json's `functional` block (settings, output error against the references) and
    // `sparsity` (measured) after the simulation.
    nlohmann::json functional_json() const;
    nlohmann::json sparsity_json() const;

private:
    std::string weights_path_, tokens_path_;
    std::uint64_t seed_ = 1;
    sparsity::DynaTranConfig sparsity_;
    const workloads::OpGraph* graph_ = nullptr;
    functional::FixedPointFormat format_;
    functional::ModelWeights weights_;         // as loaded or generated
    functional::ModelWeights pruned_weights_;  // after --weight-threshold: what the engine holds
    double weight_zeros_fraction_ = 0;
    std::vector<std::int32_t> tokens_;
    std::unique_ptr<compute::FunctionalEngine> engine_;
};

}  // namespace acceltran::cli
