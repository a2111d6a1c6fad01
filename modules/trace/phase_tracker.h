// When each generation step finished: the last retirement of a compute entry of each step
// (step 0 is the prefill, t = 1..G the decode steps; workloads/generation.h), for time to first
// token and time per output token. An encoder's forward pass is all step 0.
#pragma once

#include <vector>

#include "modules/activity/activity_observer.h"

namespace acceltran::trace {

// The trace layer implements the interface models report through (modules/activity/).
using activity::ActivityObserver;
using activity::kPorts;
using activity::Port;
using activity::TileEvent;

class PhaseTracker : public ActivityObserver {
public:
    explicit PhaseTracker(const workloads::TiledProgram& program);

    void on_retire(std::uint32_t entry, double at, std::uint64_t retired, std::uint64_t total) override;

    // Cycle at which the last compute entry of `step` retired (0 when the step has none).
    double step_done(int step) const { return step < int(done_.size()) ? done_[std::size_t(step)] : 0; }
    int steps() const { return int(done_.size()); }

private:
    const workloads::TiledProgram& program_;
    std::vector<double> done_;
};

}  // namespace acceltran::trace
