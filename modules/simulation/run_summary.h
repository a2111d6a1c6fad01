// summary.json of one run (docs/outputs.md): the measured figures of RunResult, the model as
// run and the design point with every parameter, defaults included.
#pragma once

#include <nlohmann/json.hpp>

#include "core/accelerator_config.h"
#include "modules/run_result.h"
#include "workloads/op_graph.h"

namespace acceltran {

// The design point as run: every parameter, defaults included, in the YAML's own layout.
nlohmann::json accelerator_json(const AcceleratorConfig& config);

nlohmann::json summary_json(const RunResult& result, const workloads::OpGraph& graph,
                            const AcceleratorConfig& config, double wall_seconds);

}  // namespace acceltran
