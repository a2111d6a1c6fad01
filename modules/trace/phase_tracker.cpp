#include "modules/trace/phase_tracker.h"

#include <algorithm>

namespace acceltran::trace {

PhaseTracker::PhaseTracker(const workloads::TiledProgram& program) : program_(program) {
    int steps = 1;
    for (const auto& op : program.graph->ops) steps = std::max(steps, op.step + 1);
    done_.assign(std::size_t(steps), 0.0);
}

void PhaseTracker::on_retire(std::uint32_t entry, double at, std::uint64_t, std::uint64_t) {
    const auto& e = program_.entries[entry];
    if (e.kind != workloads::EntryKind::Compute) return;
    double& d = done_[std::size_t(program_.graph->ops[std::size_t(e.op)].step)];
    d = std::max(d, at);
}

}  // namespace acceltran::trace
