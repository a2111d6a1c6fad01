// summary.json and the human summary table of one run.
#pragma once

#include <string>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "modules/common/accelerator_config.h"
#include "modules/run_result.h"
#include "workloads/op_graph.h"

namespace acceltran::cli {

// A YAML tree as JSON (scalars become numbers or booleans where they parse as such).
nlohmann::json yaml_to_json(const YAML::Node& node);

nlohmann::json summary_json(const RunResult& result, const workloads::OpGraph& graph,
                            const AcceleratorConfig& config, double wall_seconds);
std::string summary_table(const nlohmann::json& summary);

}  // namespace acceltran::cli
