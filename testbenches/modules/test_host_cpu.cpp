// Testbench for the Gemmini template's host CPU (modules/host/host_cpu.h): cycles of a
// floating-point op by hand, with its conversions and L2 traffic (docs/gemmini.md, "Timing").
#include <catch2/catch.hpp>

#include "modules/compute/tile_density.h"
#include "modules/host/host_cpu.h"
#include "testbenches/modules/single_tile_op.h"

using namespace acceltran;
using namespace acceltran::compute;
using testbench::SingleTileOp;
using workloads::OpKind;

namespace {
HostCpuConfig cpu_config() {
    HostCpuConfig c;
    c.softmax = 32;
    c.add = 74;
    c.dequantize = 19;
    c.quantize = 19;
    c.l2_bytes_per_cycle = 16;
    return c;
}

// The template stores int8 values (docs/gemmini.md §2).
void set_int8(SingleTileOp& t) {
    t.a.element_bits = 8;
    t.out.element_bits = 8;
}
}  // namespace

TEST_CASE("HostCpu: a softmax over one row of 16 scores", "[modules][host_cpu]") {
    host::HostCpu cpu(cpu_config());
    SingleTileOp t(OpKind::Softmax, 1, 16, 0, 1, 1, 1);
    set_int8(t);
    workloads::TileStep step;
    const TileWork work = cpu.execute(t.ctx, step, tile_density(t.ctx, step, nullptr));
    // 16 outputs x 32 float cycles = 512; 16 inputs dequantized and 16 outputs quantized at 19
    // cycles each = 608; 16 bytes in and 16 out over L2 at 16 B/cycle = 2.
    CHECK(work.cycles == 512 + 608 + 2);
    CHECK(work.conversion_cycles == 608);
}

TEST_CASE("HostCpu: a residual add dequantizes both inputs", "[modules][host_cpu]") {
    host::HostCpu cpu(cpu_config());
    SingleTileOp t(OpKind::Add, 16, 16, 0, 1, 1, 1);
    set_int8(t);
    t.ctx.a2.layout = &t.a;  // the second summand, stored like the first
    workloads::TileStep step;
    const TileWork work = cpu.execute(t.ctx, step, tile_density(t.ctx, step, nullptr));
    // 256 outputs x 74 = 18,944; 512 inputs x 19 + 256 outputs x 19 = 14,592; 512 + 256 bytes
    // / 16 = 48.
    CHECK(work.cycles == 18944 + 14592 + 48);
    CHECK(work.conversion_cycles == 14592);
}
