// Progress of a long job on stderr, in one of two forms, with an estimate of the time left:
// - bar: one line redrawn in place (carriage return) at most ten times a second, for a person
//   at a terminal;
// - lines: a plain line every `interval` seconds, for logs, pipes and cluster jobs, where a
//   redrawn line would be one long smear.
// `auto` picks the bar on a terminal and lines elsewhere; lines chosen that way stay silent
// until the job has run one interval, so short scripted runs print nothing, while an explicit
// `lines` also reports the start and the end. The estimate is the elapsed wall time scaled by
// the work left over the work done (a straight-line extrapolation: it is shown only once 1% of
// the work and one second have passed, and it is only as good as the work's evenness).
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

namespace acceltran {

enum class ProgressMode { automatic, bar, lines, off };

// "auto", "bar", "lines" or "off"; anything else is a UsageError naming `option` and the choices.
ProgressMode parse_progress_mode(const std::string& text, const std::string& option = "--progress");

class ProgressMeter {
public:
    using Clock = std::function<double()>;  // seconds since some fixed point

    // `label` starts every line ("run", "sweep"); `unit` names what is counted ("entries").
    ProgressMeter(ProgressMode mode, std::string label, std::string unit, std::FILE* stream = stderr,
                  double interval_s = 10, Clock clock = {});
    ~ProgressMeter();  // finish()
    ProgressMeter(const ProgressMeter&) = delete;
    ProgressMeter& operator=(const ProgressMeter&) = delete;

    bool active() const { return mode_ != ProgressMode::off; }
    ProgressMode mode() const { return mode_; }  // as resolved: never `automatic`

    // Whether update(done, total, ...) would write now: lets a caller that reports often skip
    // building the detail text.
    bool due(double done, double total) const;
    // `done` of `total` finished; `detail` is appended ("cycle 12345", "2 running").
    void update(double done, double total, const std::string& detail = "");
    // Clears the bar, or writes the final line of an explicit `lines` meter.
    void finish();

    // "12 s", "3 min 05 s", "2 h 07 min".
    static std::string duration_text(double seconds);
    // The time left after `elapsed` seconds with `fraction` of the work done, or "" when no
    // honest estimate can be made yet.
    static std::string eta_text(double elapsed, double fraction);

private:
    std::string line(double done, double total, const std::string& detail, double elapsed) const;

    ProgressMode mode_;
    bool announce_;  // lines: also the start and the end (explicit `lines`, not `auto`)
    std::string label_, unit_;
    std::FILE* stream_;
    double interval_;
    Clock clock_;
    double start_, last_ = -1;
    bool drawn_ = false;
    double last_done_ = 0, last_total_ = 0;
    std::string last_detail_;
    bool finished_ = false;
};

}  // namespace acceltran
