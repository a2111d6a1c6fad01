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

// The rule evaluated for one Gemmini design on one op graph, in text and JSON: Table 5's columns
// (FLOPs, DRAM -> L2 bytes, arithmetic intensity), the blocks' total and the whole graph's, then
// any op left out and why.
class TrafficReport {
public:
    TrafficReport(const AcceleratorConfig& config, const workloads::OpGraph& graph);
    const TrafficAnalysis& analysis() const { return analysis_; }
    std::string table() const;
    nlohmann::json json() const;

private:
    std::string accelerator_;
    TrafficAnalysis analysis_;
};

}  // namespace acceltran::explore
