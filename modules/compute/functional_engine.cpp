#include "modules/compute/functional_engine.h"

#include <string>

#include "core/errors.h"

namespace acceltran::compute {

namespace {

// The checks that come before any op is looked at, so that their messages win.
const functional::FixedPointFormat& checked_format(const workloads::OpGraph& graph,
                                                   const functional::FixedPointFormat& format) {
    const std::string what = "--functional: ";
    if (graph.model.decoder())
        throw InputError(what + "model '" + graph.model.name +
                         "' is a decoder; the functional mode supports BERT-family encoders");
    if (format.int_bits < 1 || format.frac_bits < 0 || format.bits() > 30)
        throw InputError(what + "numerics int_bits " + std::to_string(format.int_bits) + " + frac_bits " +
                         std::to_string(format.frac_bits) + " must give 1..30 bits with int_bits >= 1");
    return format;
}

}  // namespace

FunctionalEngine::FunctionalEngine(const workloads::OpGraph& graph, const functional::ModelWeights& weights,
                                   const std::vector<std::int32_t>& tokens,
                                   const functional::FixedPointFormat& format,
                                   const sparsity::DynaTranConfig& sparsity, std::uint64_t seed)
    : format_(checked_format(graph, format)),
      sparsity_(graph, format, sparsity),
      store_(graph, format),
      arithmetic_(graph, weights, format, seed, store_, sparsity_) {  // checks the ops
    store_.load(weights, tokens);
}

TileMeasure FunctionalEngine::run_tile(const OpContext& ctx, const workloads::TileStep& step) {
    const workloads::TileGrid& g = *ctx.grid;
    const auto& t = step.index;
    Block out;
    out.e0 = g.batch_origin + t.b * g.shape.b;
    out.e1 = out.e0 + g.rows_b(t.b);
    out.r0 = g.row_origin + t.i * g.shape.x;
    out.r1 = out.r0 + g.rows_i(t.i);
    out.c0 = g.col_origin + t.j * g.shape.y;
    out.c1 = out.c0 + g.cols_j(t.j);
    TileMeasure m;
    if (g.reduction())
        arithmetic_.reduction_tile(ctx, step, out, m);
    else if (ctx.op->kind == workloads::OpKind::MatMul)
        arithmetic_.matmul_tile(ctx, step, out, m);
    else
        arithmetic_.elementwise_tile(ctx, out, m);
    return m;
}

}  // namespace acceltran::compute
