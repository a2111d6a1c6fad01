#include "core/progress_meter.h"

#include <cmath>

#include <unistd.h>

#include "core/errors.h"

namespace acceltran {

ProgressMode parse_progress_mode(const std::string& text, const std::string& option) {
    if (text == "auto") return ProgressMode::automatic;
    if (text == "bar") return ProgressMode::bar;
    if (text == "lines") return ProgressMode::lines;
    if (text == "off") return ProgressMode::off;
    throw UsageError(option + " expects auto, bar, lines or off, got '" + text + "'");
}

namespace {

double steady_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

ProgressMeter::ProgressMeter(ProgressMode mode, std::string label, std::string unit, std::FILE* stream,
                             double interval_s, Clock clock)
    : mode_(mode),
      announce_(mode == ProgressMode::lines),
      label_(std::move(label)),
      unit_(std::move(unit)),
      stream_(stream),
      interval_(interval_s),
      clock_(clock ? std::move(clock) : Clock(steady_seconds)),
      start_(clock_()) {
    if (mode_ == ProgressMode::automatic) mode_ = isatty(fileno(stream_)) ? ProgressMode::bar : ProgressMode::lines;
}

ProgressMeter::~ProgressMeter() { finish(); }

std::string ProgressMeter::duration_text(double seconds) {
    char text[48];
    const long s = std::lround(std::max(0.0, seconds));
    if (s < 60)
        std::snprintf(text, sizeof text, "%ld s", s);
    else if (s < 3600)
        std::snprintf(text, sizeof text, "%ld min %02ld s", s / 60, s % 60);
    else
        std::snprintf(text, sizeof text, "%ld h %02ld min", s / 3600, (s % 3600) / 60);
    return text;
}

std::string ProgressMeter::eta_text(double elapsed, double fraction) {
    if (!(fraction >= 0.01) || !(elapsed >= 1) || fraction > 1) return "";
    return duration_text(elapsed * (1 - fraction) / fraction);
}

std::string ProgressMeter::line(double done, double total, const std::string& detail, double elapsed) const {
    const double fraction = total > 0 ? std::min(1.0, done / total) : 1.0;
    char head[160];
    std::snprintf(head, sizeof head, "%3.0f%%  %.0f/%.0f %s", fraction * 100, done, total, unit_.c_str());
    std::string text = label_ + ": " + head;
    if (!detail.empty()) text += "  " + detail;
    text += "  " + duration_text(elapsed);
    const std::string eta = done < total ? eta_text(elapsed, fraction) : "";
    if (!eta.empty()) text += "  ETA " + eta;
    return text;
}

bool ProgressMeter::due(double done, double total) const {
    if (mode_ == ProgressMode::off) return false;
    const double now = clock_();
    if (mode_ == ProgressMode::bar) return last_ < 0 || now - last_ >= 0.1 || done >= total;
    if (done >= total && total > 0) return false;  // the end line is finish()'s, written once
    return last_ < 0 ? announce_ || now - start_ >= interval_ : now - last_ >= interval_;
}

void ProgressMeter::update(double done, double total, const std::string& detail) {
    if (mode_ == ProgressMode::off) return;
    last_done_ = done, last_total_ = total, last_detail_ = detail;
    if (!due(done, total)) return;
    const double now = clock_(), elapsed = now - start_;
    if (mode_ == ProgressMode::bar) {
        constexpr int kWidth = 30;
        const double fraction = total > 0 ? std::min(1.0, done / total) : 1.0;
        const int filled = int(fraction * kWidth);
        const std::string bar = std::string(std::size_t(filled), '#') + std::string(std::size_t(kWidth - filled), '.');
        std::fprintf(stream_, "\r\033[K[%s] %s ", bar.c_str(), line(done, total, detail, elapsed).c_str());
    } else {
        std::fprintf(stream_, "%s\n", line(done, total, detail, elapsed).c_str());
    }
    std::fflush(stream_);
    last_ = now;
    drawn_ = true;
}

void ProgressMeter::finish() {
    if (finished_) return;
    finished_ = true;
    if (mode_ == ProgressMode::bar && drawn_) {
        std::fprintf(stream_, "\r\033[K");  // back to the line start and clear it
        std::fflush(stream_);
    } else if (mode_ == ProgressMode::lines && (announce_ || drawn_) && last_total_ > 0) {
        std::fprintf(stream_, "%s\n", line(last_done_, last_total_, last_detail_, clock_() - start_).c_str());
        std::fflush(stream_);
    }
}

}  // namespace acceltran
