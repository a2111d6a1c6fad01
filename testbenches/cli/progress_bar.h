// The progress of `acceltran run` (program entries retired out of the total, simulated cycle,
// wall time and the time left) in the form --progress asks for (core/progress_meter.h).
#pragma once

#include "core/progress_meter.h"
#include "modules/activity/activity_observer.h"

namespace acceltran::cli {

class ProgressBar : public activity::ActivityObserver {
public:
    explicit ProgressBar(ProgressMode mode, std::FILE* stream = stderr);

    void on_retire(std::uint32_t entry, double at, std::uint64_t retired, std::uint64_t total) override;
    // Clears the bar or writes the last line (before the summary is printed).
    void finish() { meter_.finish(); }
    bool active() const { return meter_.active(); }

private:
    ProgressMeter meter_;
};

}  // namespace acceltran::cli
