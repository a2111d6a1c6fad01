// The human summary table a run prints, made from its summary.json (run_summary.h). In the
// library, not the CLI, so that any front end prints the same table.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace acceltran {

std::string summary_table(const nlohmann::json& summary);

}  // namespace acceltran
