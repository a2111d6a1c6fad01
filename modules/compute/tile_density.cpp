#include "modules/compute/tile_density.h"

#include "modules/compute/functional_engine.h"

namespace acceltran::compute {

namespace {
double fraction(std::uint64_t nonzeros, std::uint64_t elements) {
    return elements ? double(nonzeros) / double(elements) : 1.0;
}
}  // namespace

TileDensity tile_density(const OpContext& ctx, const workloads::TileStep& step, const TileMeasure* measured) {
    const workloads::TileGrid& g = *ctx.grid;
    const auto& t = step.index;
    const workloads::OpKind kind = ctx.op->kind;
    TileDensity d;
    if (measured) {
        // The functional mode runs no causal mask, SwiGLU or rotary op (FunctionalEngine checks),
        // so every element of a block is visible and a2 has its own count.
        d.a = fraction(measured->a_nonzeros, g.a_elements(t));
        if (ctx.a2.layout) d.a2 = fraction(measured->a2_nonzeros, g.a_elements(t));
        if (ctx.b.layout) d.b = fraction(measured->b_nonzeros, g.b_elements(t));
        d.out = fraction(measured->out_nonzeros, g.out_elements(t));
        if (kind == workloads::OpKind::MatMul) d.effectual_macs = measured->effectual_macs;
        if (kind == workloads::OpKind::Softmax) d.visible_a_nonzeros = double(measured->a_nonzeros);
        d.topk_elements = measured->topk_elements;
        return d;
    }
    d.a = ctx.a.layout->density;
    if (ctx.a2.layout) d.a2 = ctx.a2.layout->density;
    if (ctx.b.layout) d.b = ctx.b.layout->density;
    d.out = ctx.out.layout->density;
    // Timing-only runs have no real masks: the expected counts for independent zeros.
    if (kind == workloads::OpKind::MatMul) d.effectual_macs = double(g.macs(t)) * d.a * d.b;
    if (kind == workloads::OpKind::Softmax) d.visible_a_nonzeros = double(g.visible(t)) * d.a;
    return d;
}

}  // namespace acceltran::compute
