// The human summary table a run prints, made from its summary.json (run_summary.h).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace acceltran::cli {

std::string summary_table(const nlohmann::json& summary);

}  // namespace acceltran::cli
