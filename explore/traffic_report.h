// The survey's analytic traffic rule (analytic_traffic_model.h) for a Gemmini design point, and
// its text and JSON forms for `acceltran analyze --accel` (docs/gemmini.md §5).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/accelerator_config.h"
#include "explore/analytic_traffic_model.h"

namespace acceltran::explore {

// The template parameters of a Gemmini design (array dimension, L2); UsageError for an
// AccelTran design, which the rule does not describe.
AnalyticTemplate analytic_template_of(const AcceleratorConfig& config);

// Table 5's columns (FLOPs, DRAM -> L2 bytes, arithmetic intensity), the blocks' total and the
// whole graph's, then any op left out and why.
std::string traffic_table(const TrafficAnalysis& analysis, const std::string& accelerator);
nlohmann::json traffic_json(const TrafficAnalysis& analysis, const std::string& accelerator);

}  // namespace acceltran::explore
