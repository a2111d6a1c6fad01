// --vcd-filter semantics (modules/trace/vcd_trace.*): fnmatch globs on scope paths, where a
// pattern naming an ancestor keeps everything below it.
#include <catch2/catch.hpp>

#include "modules/trace/vcd_trace.h"

using acceltran::trace::VcdTrace;

TEST_CASE("VCD filter: globs match a scope's path or one of its ancestors", "[trace][vcd]") {
    CHECK(VcdTrace::matches({}, "pe7/lane3"));  // no filter keeps everything
    CHECK(VcdTrace::matches({"pe0/*"}, "pe0/lane3"));
    CHECK_FALSE(VcdTrace::matches({"pe0/*"}, "pe10/lane3"));
    CHECK(VcdTrace::matches({"pe0"}, "pe0/softmax1"));  // ancestor
    CHECK_FALSE(VcdTrace::matches({"pe0"}, "pe01/lane0"));
    CHECK(VcdTrace::matches({"pe[0-3]"}, "pe2/layernorm0"));
    CHECK_FALSE(VcdTrace::matches({"pe[0-3]"}, "pe4/lane0"));
    CHECK(VcdTrace::matches({"*buffer"}, "mask_buffer"));
    CHECK_FALSE(VcdTrace::matches({"*buffer"}, "main_memory"));
    CHECK(VcdTrace::matches({"*/lane0"}, "pe5/lane0"));  // '*' also crosses '/'
    CHECK(VcdTrace::matches({"dma", "total"}, "dma/channel1"));
    CHECK(VcdTrace::matches({"dma", "total"}, "total"));
    CHECK_FALSE(VcdTrace::matches({"dma", "total"}, "pe0/lane0"));
}
