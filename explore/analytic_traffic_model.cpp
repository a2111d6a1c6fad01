#include "explore/analytic_traffic_model.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/errors.h"
#include "workloads/analyzer.h"

namespace acceltran::explore {

using workloads::Op;
using workloads::OpCategory;
using workloads::OpGraph;
using workloads::OpKind;

namespace {

std::int64_t traffic_ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

bool traffic_is_activation(OpKind kind) { return kind == OpKind::Gelu || kind == OpKind::SwiGlu; }

bool traffic_produced_by(const OpGraph& g, int tensor, bool (*test)(const Op&)) {
    const int p = g.producer[tensor];
    return p >= 0 && test(g.ops[p]);
}

// Which Table 5 column an op adds to, from the graph's structure rather than op names so that
// every graph the builder makes (split weights, several FFN matmuls, gated FFNs) is covered.
TrafficColumn traffic_column_of(const OpGraph& g, const Op& op) {
    if (op.kind != OpKind::MatMul) return TrafficColumn::Nonlinear;
    const auto any_a = [&](bool (*test)(const Op&)) {
        return std::any_of(op.a_inputs.begin(), op.a_inputs.end(),
                           [&](int t) { return traffic_produced_by(g, t, test); });
    };
    switch (op.category) {
        case OpCategory::MhaActToAct:
            return op.b_transposed ? TrafficColumn::QueryKey : TrafficColumn::ScoreValue;
        case OpCategory::MhaProjection:
            // W_out reads the heads' score x V results; W_Q, W_K, W_V read the block's input.
            return any_a([](const Op& p) { return p.category == OpCategory::MhaActToAct; })
                       ? TrafficColumn::OutputProjection
                       : TrafficColumn::QkvProjection;
        case OpCategory::FfnProjection: {
            const auto& readers = g.consumers[op.output];
            if (std::any_of(readers.begin(), readers.end(),
                            [&](int c) { return traffic_is_activation(g.ops[c].kind); }))
                return TrafficColumn::FfnUp;
            if (any_a([](const Op& p) { return traffic_is_activation(p.kind); }))
                return TrafficColumn::FfnDown;
            return TrafficColumn::OtherMatMul;
        }
        default: return TrafficColumn::OtherMatMul;
    }
}

}  // namespace

const char* to_string(TrafficColumn column) {
    switch (column) {
        case TrafficColumn::QkvProjection: return "WQ/WK/WV";
        case TrafficColumn::QueryKey: return "QxK";
        case TrafficColumn::ScoreValue: return "scorexV";
        case TrafficColumn::OutputProjection: return "W_out";
        case TrafficColumn::FfnUp: return "W1";
        case TrafficColumn::FfnDown: return "W2";
        case TrafficColumn::OtherMatMul: return "other matmul";
        case TrafficColumn::Nonlinear: return "nonlinear";
    }
    return "?";
}

std::int64_t AnalyticTemplate::l2_tile_edge() const {
    const auto positive = [](double v, const char* field) {
        if (!(v > 0) || !std::isfinite(v))
            throw InputError(std::string("analytic template: ") + field +
                             " must be a positive number, found " + std::to_string(v));
    };
    positive(double(array_dim), "array_dim");
    positive(double(l2_bytes), "l2_bytes");
    positive(input_bytes, "input_bytes");
    positive(output_bytes, "output_bytes");
    const double tile_bytes = double(l2_bytes) / (l2_double_buffered ? 2.0 : 1.0);
    const auto edge = std::int64_t(std::floor(std::sqrt(tile_bytes / input_bytes)));
    const std::int64_t tile = edge / array_dim * array_dim;
    if (tile < array_dim)
        throw InputError("analytic template: l2_bytes " + std::to_string(l2_bytes) +
                         " cannot hold one " + std::to_string(array_dim) + " x " +
                         std::to_string(array_dim) + " tile" +
                         (l2_double_buffered ? " per half (double-buffered)" : ""));
    return tile;
}

AnalyticTrafficModel::AnalyticTrafficModel(AnalyticTemplate hardware)
    : hw_(std::move(hardware)), tile_(hw_.l2_tile_edge()) {}

TrafficAnalysis AnalyticTrafficModel::analyze(const OpGraph& g) const {
    // Bytes per element of a tensor in memory: a matmul's 32-bit accumulator values stay 32-bit
    // when a nonlinear op (the SFU) reads them or nothing does; otherwise they are requantized to
    // 8 bits, as are weights, inputs and every nonlinear op's output.
    const auto width = [&](int tensor) {
        const int p = g.producer[tensor];
        if (p < 0 || g.ops[p].kind != OpKind::MatMul) return hw_.input_bytes;
        const auto& readers = g.consumers[tensor];
        const bool wide = readers.empty() ||
                          std::any_of(readers.begin(), readers.end(), [&](int c) {
                              return g.ops[c].kind != OpKind::MatMul;
                          });
        return wide ? hw_.output_bytes : hw_.input_bytes;
    };

    TrafficAnalysis a;
    a.l2_tile_edge = tile_;
    for (int c = 0; c < kTrafficColumnCount; ++c)
        a.columns.push_back(TrafficCount{to_string(TrafficColumn(c)), TrafficColumn(c)});
    a.blocks.name = "blocks";
    a.total.name = "total";

    for (const Op& op : g.ops) {
        if (op.causal.on) {
            a.unmodelled.push_back(
                {op.name, "causal mask: the template's square tiles have no rule for skipping "
                          "masked tiles, and the survey's Table 5 covers encoders only"});
            continue;
        }
        TrafficCount c{op.name, traffic_column_of(g, op), op.layer};
        const double out = double(op.out_elements());
        if (op.kind == OpKind::MatMul) {
            // Output-stationary at the L2: each T x T block of the output is finished before the
            // next, so A (rows x k) is fetched once per column block and B (k x n) once per row
            // block. A weight B is shared by the batch, whose rows stack into one matrix.
            const std::int64_t rows = op.b_batched ? op.m : op.batch * op.m;
            double a_bytes = 0;
            for (int t : op.a_inputs) a_bytes += double(g.tensors[t].elements()) * width(t);
            const double b_bytes = double(op.b_batched ? op.batch : 1) * double(op.k) *
                                   double(op.n) * width(op.b_input);
            const bool bias = hw_.weight_matmuls_have_bias &&
                              g.tensors[op.b_input].kind == workloads::TensorKind::Weight;
            c.dram_bytes = a_bytes * double(traffic_ceil_div(op.n, tile_)) +
                           b_bytes * double(traffic_ceil_div(rows, tile_)) +
                           out * width(op.output) + (bias ? out * hw_.input_bytes : 0.0);
            // k multiplies and k - 1 adds per output, plus the bias add.
            c.flops = 2.0 * double(op.macs()) - (bias ? 0.0 : out);
        } else {
            // Element-wise on the SFU: every input read once (no more of it than the op has
            // outputs: broadcast rows, a last-position norm), the output written once.
            double bytes = out * width(op.output);
            for (int t : op.inputs())
                bytes += double(std::min(g.tensors[t].elements(), op.out_elements())) * width(t);
            c.dram_bytes = bytes;
            c.flops = workloads::elementwise_flops_per_element(g, op.kind) *
                      double(op.active_elements());
        }
        for (TrafficCount* sum : {&a.columns[int(c.column)], &a.total}) {
            sum->flops += c.flops;
            sum->dram_bytes += c.dram_bytes;
        }
        if (op.layer >= 0) {
            a.blocks.flops += c.flops;
            a.blocks.dram_bytes += c.dram_bytes;
        }
        a.ops.push_back(std::move(c));
    }
    return a;
}

}  // namespace acceltran::explore
