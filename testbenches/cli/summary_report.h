// summary.json and the human summary table of one run.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "modules/common/accelerator_config.h"
#include "modules/run_result.h"
#include "workloads/op_graph.h"

namespace acceltran::cli {

// The design point as run: every parameter, defaults included.
nlohmann::json accelerator_json(const AcceleratorConfig& config);

nlohmann::json summary_json(const RunResult& result, const workloads::OpGraph& graph,
                            const AcceleratorConfig& config, double wall_seconds);
std::string summary_table(const nlohmann::json& summary);

}  // namespace acceltran::cli
