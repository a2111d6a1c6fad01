// The part of a run a trace keeps, shared by trace.vcd (--vcd-filter, --vcd-window) and
// trace.perfetto.json (--trace-filter, --trace-window): scopes whose path a glob matches
// ("pe0/lane3", "dma/channel1"; docs/outputs.md), and intervals that touch a window of cycles.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "core/accelerator_config.h"

namespace acceltran::trace {

class TraceSelection {
public:
    // Glob patterns (fnmatch) on scope paths such as "pe0/lane3"; a scope is kept when a pattern
    // matches its path or one of its ancestors' ("pe0" keeps all of pe0). Empty keeps all.
    std::vector<std::string> filters;
    double window_start = 0;                                    // cycles
    double window_end = std::numeric_limits<double>::infinity();  // cycles, exclusive

    // Sets the window from "START:END" in cycles, where either side may be empty (from the
    // start, to the end); a UsageError naming `option` (e.g. "--vcd-window") otherwise.
    void set_window(const std::string& text, const std::string& option);
    // Whether an interval of cycles touches the window.
    bool in_window(double start, double end) const { return end >= window_start && start <= window_end; }

    // Whether a scope path passes `filters`.
    static bool matches(const std::vector<std::string>& filters, const std::string& path);
    // Whether `path` passes this selection's filters; marks in `used` (one flag per filter,
    // sized here) each filter that matched it, for unmatched().
    bool keep(const std::string& path, std::vector<bool>& used) const;
    // The filters `used` never marked: a typo, or a PE the design does not have.
    std::vector<std::string> unmatched(const std::vector<bool>& used) const;

    // The path of compute unit `unit` of class `unit_class` (workloads::UnitClass) in PE `pe`,
    // and the compute units' and DMA channels' paths of a design, described for a warning.
    static std::string unit_path(int pe, int unit_class, int unit);
    static std::string unit_and_channel_scopes(const AcceleratorConfig& config);
};

}  // namespace acceltran::trace
