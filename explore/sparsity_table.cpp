#include "explore/sparsity_table.h"

#include <cstdio>

#include "explore/summary_figure.h"
#include "explore/threshold_text.h"

namespace acceltran::explore {

std::string sparsity_table(const std::vector<const SparsityPoint*>& rows) {
    std::string out = "series     threshold     k  act.sparsity  MACs skipped      cycles  energy/seq (uJ)  rel. RMS error  status\n";
    for (const SparsityPoint* p : rows) {
        char line[256];
        if (p->ok) {
            const auto& s = p->summary;
            const double total = summary_figure(s, {"macs", "total"}), eff = summary_figure(s, {"macs", "effectual"});
            std::snprintf(line, sizeof line, "%-9s %10s %5s %12.1f%% %12.1f%% %11.0f %16.3f %15.4g  ok%s\n",
                          p->series == SparsitySeries::DynaTran ? "dynatran" : "topk",
                          p->series == SparsitySeries::DynaTran ? threshold_text(p->threshold).c_str() : "-",
                          p->series == SparsitySeries::TopK ? std::to_string(p->k).c_str() : "-",
                          100 * summary_figure(s, {"sparsity", "activation"}), total > 0 ? 100 * (1 - eff / total) : 0.0,
                          summary_figure(s, {"cycles"}), 1e6 * summary_figure(s, {"energy_j_per_seq"}),
                          summary_figure(s, {"functional", "output_error_vs_dense", "relative_rms"}),
                          p->target ? " (target)" : "");
        } else {
            // The error text goes after the fixed-width columns, whole: an error can be longer
            // than any line buffer.
            std::snprintf(line, sizeof line, "%-9s %10s %5s ", p->series == SparsitySeries::DynaTran ? "dynatran" : "topk",
                          p->series == SparsitySeries::DynaTran ? threshold_text(p->threshold).c_str() : "-",
                          p->series == SparsitySeries::TopK ? std::to_string(p->k).c_str() : "-");
            out += line;
            out += "failed (exit " + std::to_string(p->exit_code) + "): " + p->error + "\n";
            continue;
        }
        out += line;
    }
    return out;
}

}  // namespace acceltran::explore
