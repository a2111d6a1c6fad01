#include "modules/host/host_cpu.h"

#include "modules/systolic/systolic_timing.h"

namespace acceltran::host {

using workloads::OpKind;

compute::TileWork HostCpu::execute_repeated(const compute::OpContext& ctx, const workloads::TileStep& step,
                                   const compute::TileDensity&,
                                            std::uint64_t /*count: no activity counters*/) {
    const workloads::TileGrid& g = *ctx.grid;
    // Under a causal mask only the visible scores are computed (the others are known zeros).
    const double out = ctx.op->kind == OpKind::Softmax ? double(g.visible(step.index)) : double(g.out_elements(step.index));
    const double in = double(g.a_elements(step.index)) * (ctx.a2.layout ? 2.0 : 1.0);
    const double bytes = in * ctx.a.layout->element_bits / 8.0 + double(g.out_elements(step.index)) * ctx.out.layout->element_bits / 8.0;
    const systolic::HostCpuCycles c = systolic::host_cpu_cycles(out, systolic::host_cost_per_element(ctx.op->kind, config_), in, config_.dequantize,
                                                                config_.quantize, bytes, config_.l2_bytes_per_cycle);
    compute::TileWork work;
    work.cycles = c.total;
    work.conversion_cycles = c.conversion;
    return work;
}

}  // namespace acceltran::host
