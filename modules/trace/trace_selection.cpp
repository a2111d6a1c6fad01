#include "modules/trace/trace_selection.h"

#include <fnmatch.h>

#include "core/errors.h"
#include "core/number_text.h"
#include "workloads/target_description.h"

namespace acceltran::trace {

namespace {
const char* const kSelectionUnitScope[workloads::kUnitClasses] = {"lane", "softmax", "layernorm"};
}  // namespace

void TraceSelection::set_window(const std::string& text, const std::string& option) {
    const auto colon = text.find(':');
    auto number = [&](const std::string& s, double fallback) {
        if (s.empty()) return fallback;
        double v = -1;
        if (!parse_number(s, v) || !(v >= 0))
            throw UsageError(option + " expects START:END in cycles (non-negative numbers, either may be empty), got '" +
                             text + "'");
        return v;
    };
    if (colon == std::string::npos)
        throw UsageError(option + " expects START:END in cycles, e.g. 1000:5000 or 1000:, got '" + text + "'");
    window_start = number(text.substr(0, colon), 0);
    window_end = number(text.substr(colon + 1), std::numeric_limits<double>::infinity());
    if (!(window_end > window_start)) throw UsageError(option + " END must be after START, got '" + text + "'");
}

bool TraceSelection::matches(const std::vector<std::string>& filters, const std::string& path) {
    if (filters.empty()) return true;
    for (const auto& f : filters) {
        // The path itself, then each ancestor: "pe0/lane3", "pe0".
        for (std::string p = path;;) {
            if (fnmatch(f.c_str(), p.c_str(), 0) == 0) return true;
            const auto slash = p.find_last_of('/');
            if (slash == std::string::npos) break;
            p.erase(slash);
        }
    }
    return false;
}

bool TraceSelection::keep(const std::string& path, std::vector<bool>& used) const {
    used.resize(filters.size(), false);
    if (filters.empty()) return true;
    bool kept = false;
    for (std::size_t i = 0; i < filters.size(); ++i)
        if (matches({filters[i]}, path)) kept = used[i] = true;
    return kept;
}

std::vector<std::string> TraceSelection::unmatched(const std::vector<bool>& used) const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < filters.size(); ++i)
        if (i >= used.size() || !used[i]) out.push_back(filters[i]);
    return out;
}

std::string TraceSelection::unit_path(int pe, int unit_class, int unit) {
    return "pe" + std::to_string(pe) + "/" + kSelectionUnitScope[unit_class] + std::to_string(unit);
}

std::string TraceSelection::unit_and_channel_scopes(const AcceleratorConfig& config) {
    return "pe0..pe" + std::to_string(config.pes - 1) + " with lane0..lane" + std::to_string(config.lanes_per_pe - 1) +
           ", softmax0..softmax" + std::to_string(config.softmax_per_pe - 1) + ", layernorm0..layernorm" +
           std::to_string(config.layernorm_per_pe - 1) + "; dma, dma/channel0..dma/channel" +
           std::to_string(config.dma.channels - 1);
}

}  // namespace acceltran::trace
