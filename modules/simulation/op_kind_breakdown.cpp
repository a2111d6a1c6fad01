#include "modules/simulation/op_kind_breakdown.h"

namespace acceltran {

OpKindBreakdown::OpKindBreakdown(const workloads::TiledProgram& program)
    : program_(program), busy_(workloads::kOpKindCount, 0.0), ops_(workloads::kOpKindCount, 0) {
    // Ops of the graph, not compute entries: an op blocked inside has one entry per block.
    for (const auto& op : program.graph->ops) ++ops_[std::size_t(op.kind)];
    kind_of_entry_.reserve(program.entries.size());
    for (const auto& e : program.entries)
        kind_of_entry_.push_back(e.kind == workloads::EntryKind::Compute ? program.graph->ops[std::size_t(e.op)].kind
                                                                         : workloads::OpKind{});
}

void OpKindBreakdown::on_tile(const activity::TileEvent& t) {
    busy_[std::size_t(kind_of_entry_[t.entry])] += t.busy_unit_cycles();
}

nlohmann::json OpKindBreakdown::to_json() const {
    nlohmann::json j = nlohmann::json::object();
    for (int k = 0; k < workloads::kOpKindCount; ++k)
        if (ops_[std::size_t(k)] > 0)
            j[workloads::to_string(workloads::OpKind(k))] = {{"ops", ops_[std::size_t(k)]},
                                                             {"busy_unit_cycles", busy_[std::size_t(k)]}};
    return j;
}

}  // namespace acceltran
