// ProgressMeter (core/progress_meter.*): the bar and line forms, when each writes, the time-left
// estimate and the mode names, with a hand-driven clock and a temporary file as the stream.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "core/errors.h"
#include "core/progress_meter.h"

using acceltran::ProgressMeter;
using acceltran::ProgressMode;
using Catch::Contains;

namespace {

// A temporary file standing in for stderr (never a terminal, so `auto` means lines).
class CapturedStream {
public:
    CapturedStream() : file_(std::tmpfile()) {}
    ~CapturedStream() { std::fclose(file_); }
    std::FILE* get() const { return file_; }
    std::string text() const {
        std::fflush(file_);
        std::rewind(file_);
        std::string s;
        for (int c; (c = std::fgetc(file_)) != EOF;) s.push_back(char(c));
        return s;
    }

private:
    std::FILE* file_;
};

std::size_t occurrences(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

}  // namespace

TEST_CASE("durations and the time-left estimate", "[progress]") {
    CHECK(ProgressMeter::duration_text(0) == "0 s");
    CHECK(ProgressMeter::duration_text(59.4) == "59 s");
    CHECK(ProgressMeter::duration_text(185) == "3 min 05 s");
    CHECK(ProgressMeter::duration_text(7620) == "2 h 07 min");
    // 25% done after 10 s: 30 s to go at the same pace.
    CHECK(ProgressMeter::eta_text(10, 0.25) == "30 s");
    CHECK(ProgressMeter::eta_text(0.5, 0.5).empty());   // under a second: too early to tell
    CHECK(ProgressMeter::eta_text(100, 0.005).empty()); // under 1% done: likewise
}

TEST_CASE("progress mode names", "[progress]") {
    CHECK(acceltran::parse_progress_mode("auto") == ProgressMode::automatic);
    CHECK(acceltran::parse_progress_mode("lines") == ProgressMode::lines);
    CHECK_THROWS_AS(acceltran::parse_progress_mode("verbose"), acceltran::UsageError);
    CHECK_THROWS_WITH(acceltran::parse_progress_mode("verbose"),
                      Contains("--progress") && Contains("auto, bar, lines or off") && Contains("'verbose'"));
}

TEST_CASE("explicit lines: a line at the start, one per interval, and one at the end", "[progress]") {
    double now = 0;
    CapturedStream out;
    {
        ProgressMeter meter(ProgressMode::lines, "sweep", "points", out.get(), 10, [&] { return now; });
        meter.update(0, 40, "0 running");   // the start
        now = 4;
        meter.update(10, 40, "2 running");  // inside the interval: nothing
        now = 12;
        meter.update(20, 40, "2 running");  // 12 s after the start line: 50%, 12 s to go
        now = 30;
        meter.update(40, 40, "0 running");  // the end is finish()'s
    }
    const std::string text = out.text();
    INFO(text);
    CHECK(occurrences(text, "\n") == 3);
    CHECK(text.find('\r') == std::string::npos);
    CHECK_THAT(text, Contains("sweep:   0%  0/40 points  0 running  0 s\n"));
    CHECK_THAT(text, Contains("sweep:  50%  20/40 points  2 running  12 s  ETA 12 s\n"));
    CHECK_THAT(text, Contains("sweep: 100%  40/40 points  0 running  30 s\n"));
}

TEST_CASE("auto away from a terminal: silent for a short job, lines for a long one", "[progress]") {
    double now = 0;
    CapturedStream short_job, long_job;
    {
        ProgressMeter meter(ProgressMode::automatic, "run", "entries", short_job.get(), 10, [&] { return now; });
        CHECK(meter.mode() == ProgressMode::lines);
        for (int i = 0; i <= 100; ++i, now += 0.05) meter.update(i, 100);
    }
    CHECK(short_job.text().empty());
    now = 0;
    {
        ProgressMeter meter(ProgressMode::automatic, "run", "entries", long_job.get(), 10, [&] { return now; });
        for (int i = 0; i <= 100; ++i, now += 0.25) meter.update(i, 100);  // 25 s in all
    }
    const std::string text = long_job.text();
    INFO(text);
    CHECK(occurrences(text, "\n") == 3);  // at 10 s, at 20 s, and the end
    CHECK_THAT(text, Contains("run:  40%  40/100 entries  10 s  ETA 15 s\n"));
    CHECK_THAT(text, Contains("run: 100%  100/100 entries  25 s\n"));
}

TEST_CASE("the bar redraws at most ten times a second and is cleared at the end", "[progress]") {
    double now = 0;
    CapturedStream out;
    {
        ProgressMeter meter(ProgressMode::bar, "run", "entries", out.get(), 10, [&] { return now; });
        for (int i = 0; i <= 100; ++i, now += 0.01) meter.update(i, 100, "cycle 7");  // 1 s in all
    }
    const std::string text = out.text();
    // The first update, then one per 0.1 s (about ten), and the last entry: 10 to 12 draws.
    const std::size_t draws = occurrences(text, "\r\033[K[");
    CHECK(draws >= 10);
    CHECK(draws <= 12);
    CHECK_THAT(text, Contains("[##############################] run: 100%  100/100 entries  cycle 7  1 s "));
    CHECK(text.size() >= 4);
    CHECK(text.substr(text.size() - 4) == "\r\033[K");
}

TEST_CASE("off writes nothing", "[progress]") {
    CapturedStream out;
    {
        ProgressMeter meter(ProgressMode::off, "run", "entries", out.get());
        CHECK_FALSE(meter.active());
        meter.update(1, 2);
    }
    CHECK(out.text().empty());
}
