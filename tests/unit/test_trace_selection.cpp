// What a trace keeps (modules/trace/trace_selection.*), for --vcd-filter/--vcd-window and
// --trace-filter/--trace-window alike: fnmatch globs on scope paths, where a pattern naming an
// ancestor keeps everything below it, and a window of cycles.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "core/errors.h"
#include "modules/trace/trace_selection.h"

using acceltran::UsageError;
using acceltran::trace::TraceSelection;

TEST_CASE("trace filter: globs match a scope's path or one of its ancestors", "[trace][vcd]") {
    CHECK(TraceSelection::matches({}, "pe7/lane3"));  // no filter keeps everything
    CHECK(TraceSelection::matches({"pe0/*"}, "pe0/lane3"));
    CHECK_FALSE(TraceSelection::matches({"pe0/*"}, "pe10/lane3"));
    CHECK(TraceSelection::matches({"pe0"}, "pe0/softmax1"));  // ancestor
    CHECK_FALSE(TraceSelection::matches({"pe0"}, "pe01/lane0"));
    CHECK(TraceSelection::matches({"pe[0-3]"}, "pe2/layernorm0"));
    CHECK_FALSE(TraceSelection::matches({"pe[0-3]"}, "pe4/lane0"));
    CHECK(TraceSelection::matches({"*buffer"}, "mask_buffer"));
    CHECK_FALSE(TraceSelection::matches({"*buffer"}, "main_memory"));
    CHECK(TraceSelection::matches({"*/lane0"}, "pe5/lane0"));  // '*' also crosses '/'
    CHECK(TraceSelection::matches({"dma", "total"}, "dma/channel1"));
    CHECK(TraceSelection::matches({"dma", "total"}, "total"));
    CHECK_FALSE(TraceSelection::matches({"dma", "total"}, "pe0/lane0"));
}

TEST_CASE("trace filter: keep notes which filters matched, unmatched names the others", "[trace]") {
    TraceSelection s;
    s.filters = {"pe0/*", "pe64", "dma"};
    std::vector<bool> used;
    CHECK(s.keep(TraceSelection::unit_path(0, 1, 2), used));  // pe0/softmax2
    CHECK_FALSE(s.keep("pe1/lane0", used));
    CHECK(s.keep("dma/channel1", used));
    CHECK(s.unmatched(used) == std::vector<std::string>{"pe64"});
    TraceSelection all;
    std::vector<bool> none;
    CHECK(all.keep("anything", none));
    CHECK(all.unmatched(none).empty());
}

TEST_CASE("trace window: START:END in cycles, either side open, END after START", "[trace]") {
    TraceSelection s;
    s.set_window("1000:5000", "--trace-window");
    CHECK(s.window_start == 1000);
    CHECK(s.window_end == 5000);
    CHECK(s.in_window(900, 1000));  // touching the start counts
    CHECK_FALSE(s.in_window(0, 999));
    CHECK_FALSE(s.in_window(5001, 6000));
    s.set_window("2000:", "--trace-window");
    CHECK(std::isinf(s.window_end));
    s.set_window(":10", "--trace-window");
    CHECK(s.window_start == 0);
    for (const char* bad : {"5000:1000", "abc", "10:x", "-5:10", "7:7"}) {
        INFO(bad);
        try {
            s.set_window(bad, "--trace-window");
            FAIL("accepted");
        } catch (const UsageError& e) {
            CHECK_THAT(e.what(), Catch::StartsWith("--trace-window "));
        }
    }
}
