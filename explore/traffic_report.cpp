#include "explore/traffic_report.h"

#include <cstdio>

#include "core/errors.h"

namespace acceltran::explore {

AnalyticTemplate analytic_template_of(const AcceleratorConfig& config) {
    if (!config.gemmini())
        throw UsageError("the survey's analytic traffic rule describes the Gemmini template; '" + config.name +
                         "' is an AccelTran design (try --accel survey-analytic)");
    AnalyticTemplate t;
    t.array_dim = config.systolic.dim;
    t.l2_bytes = std::int64_t(config.l2_kb * 1024);
    return t;
}

namespace {
std::string traffic_row(const std::string& name, const TrafficCount& c) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-22s %14.4g %14.4g %10.2f\n", name.c_str(), c.flops, c.dram_bytes, c.intensity());
    return line;
}

nlohmann::json traffic_entry(const TrafficCount& c) {
    return {{"flops", c.flops}, {"dram_bytes", c.dram_bytes}, {"intensity", c.intensity()}};
}
}  // namespace

TrafficReport::TrafficReport(const AcceleratorConfig& config, const workloads::OpGraph& graph)
    : accelerator_(config.name), analysis_(AnalyticTrafficModel(analytic_template_of(config)).analyze(graph)) {}

std::string TrafficReport::table() const {
    const TrafficAnalysis& a = analysis_;
    const std::string& accelerator = accelerator_;
    std::string out = "DRAM -> L2 traffic on " + accelerator + " (the survey's Table 5 rule, L2 tiles of " +
                      std::to_string(a.l2_tile_edge) + "; docs/validation.md §8)\n";
    char head[160];
    std::snprintf(head, sizeof head, "  %-22s %14s %14s %10s\n", "column", "FLOPs", "DRAM bytes", "FLOPs/B");
    out += head;
    for (int c = 0; c < kTrafficColumnCount; ++c)
        if (a.columns[std::size_t(c)].flops > 0 || a.columns[std::size_t(c)].dram_bytes > 0)
            out += traffic_row(to_string(TrafficColumn(c)), a.columns[std::size_t(c)]);
    out += traffic_row("blocks (Table 5 total)", a.blocks);
    out += traffic_row("whole graph", a.total);
    for (const UnmodelledOp& u : a.unmodelled) out += "  not modelled: " + u.name + " (" + u.reason + ")\n";
    return out;
}

nlohmann::json TrafficReport::json() const {
    const TrafficAnalysis& a = analysis_;
    nlohmann::json columns = nlohmann::json::object();
    for (int c = 0; c < kTrafficColumnCount; ++c)
        columns[to_string(TrafficColumn(c))] = traffic_entry(a.columns[std::size_t(c)]);
    nlohmann::json unmodelled = nlohmann::json::array();
    for (const UnmodelledOp& u : a.unmodelled) unmodelled.push_back({{"op", u.name}, {"reason", u.reason}});
    return {{"accelerator", accelerator_}, {"l2_tile_edge", a.l2_tile_edge}, {"columns", columns},
            {"blocks", traffic_entry(a.blocks)},  {"total", traffic_entry(a.total)},    {"unmodelled", unmodelled}};
}

}  // namespace acceltran::explore
