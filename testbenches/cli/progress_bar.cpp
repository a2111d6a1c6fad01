#include "testbenches/cli/progress_bar.h"

#include <unistd.h>

#include <string>

namespace acceltran::cli {

ProgressBar::ProgressBar(bool enabled, std::FILE* stream)
    : active_(enabled && isatty(fileno(stream))),
      stream_(stream),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::on_retire(std::uint32_t, double at, std::uint64_t retired, std::uint64_t total) {
    if (!active_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(100) && retired < total) return;
    last_ = now;
    draw(at, retired, total);
}

void ProgressBar::draw(double cycle, std::uint64_t retired, std::uint64_t total) {
    constexpr int kWidth = 30;
    const double fraction = total > 0 ? double(retired) / double(total) : 1.0;
    const int filled = int(fraction * kWidth);
    const std::string bar = std::string(std::size_t(filled), '#') + std::string(std::size_t(kWidth - filled), '.');
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stream_, "\r[%s] %3.0f%%  %llu/%llu entries  cycle %.0f  %.1f s ", bar.c_str(), fraction * 100,
                 static_cast<unsigned long long>(retired), static_cast<unsigned long long>(total), cycle, wall);
    std::fflush(stream_);
    drawn_ = true;
}

void ProgressBar::finish() {
    if (!drawn_) return;
    std::fprintf(stream_, "\r\033[K");  // back to the line start and clear it
    std::fflush(stream_);
    drawn_ = false;
}

}  // namespace acceltran::cli
