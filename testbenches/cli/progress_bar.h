// A progress bar on stderr for long runs: program entries retired out of the total, simulated
// cycle and wall time, redrawn at most ten times a second. It draws only when stderr is a
// terminal, so logs, pipes and CI output stay clean.
#pragma once

#include <chrono>
#include <cstdio>

#include "modules/activity/activity_observer.h"

namespace acceltran::cli {

class ProgressBar : public activity::ActivityObserver {
public:
    // `enabled` false: never draws (e.g. --no-progress); otherwise draws if stderr is a terminal.
    explicit ProgressBar(bool enabled, std::FILE* stream = stderr);
    ~ProgressBar() override;

    void on_retire(std::uint32_t entry, double at, std::uint64_t retired, std::uint64_t total) override;
    // Clears the bar (before the summary is printed).
    void finish();
    bool active() const { return active_; }

private:
    void draw(double cycle, std::uint64_t retired, std::uint64_t total);

    bool active_;
    std::FILE* stream_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace acceltran::cli
