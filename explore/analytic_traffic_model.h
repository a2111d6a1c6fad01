// The main-memory traffic of the survey's Gemmini-like analytic template (Kim et al. 2023,
// "Full Stack Optimization of Transformer Inference: a Survey", Sec. 3.3): FLOPs, DRAM->L2
// bytes and arithmetic intensity of every op of an op graph, the way the survey's Table 5
// ("non-ideal arithmetic intensity") counts them. The rule was reverse-engineered from that
// table, which it reproduces; each formula and its evidence is in docs/validation.md, section
// "Survey analytic template: non-ideal arithmetic intensity (Table 5)".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workloads/op_graph.h"

namespace acceltran::explore {

// What of the template the DRAM->L2 traffic depends on. The scratchpad and accumulator sizes
// are deliberately absent: they shape L2<->local traffic, which Table 5 does not count.
struct AnalyticTemplate {
    std::int64_t array_dim = 16;              // W of the W x W PE array
    std::int64_t l2_bytes = 2 * 1024 * 1024;  // shared L2
    // Half of the L2 is filled from DRAM while the array works on the other half, as the
    // survey's scratchpad is; the L2 tile edge is sized for one half.
    bool l2_double_buffered = true;
    double input_bytes = 1;   // 8-bit weights, activations, biases and nonlinear-op outputs
    double output_bytes = 4;  // 32-bit accumulator values, written when a nonlinear op reads them
    // Linear layers (matmuls with a weight operand) add a bias, loaded as an output-shaped
    // matrix (Gemmini's D operand) and counted as one add per output (BERT's layers have one).
    bool weight_matmuls_have_bias = true;

    // Edge T of the square tiles the L2 holds: the largest multiple of `array_dim` with
    // T^2 * input_bytes <= l2_bytes (halved when double-buffered). 1024 for the survey's
    // template. Throws InputError naming the field when a parameter is not positive or the L2
    // cannot hold one array-sized tile.
    std::int64_t l2_tile_edge() const;
};

// The survey's Table 5 columns, plus what that table has no column for.
enum class TrafficColumn {
    QkvProjection,     // W_Q, W_K, W_V
    QueryKey,          // Q x K^T
    ScoreValue,        // softmax(scores) x V
    OutputProjection,  // W_out
    FfnUp,             // W1 (its output feeds the activation)
    FfnDown,           // W2 (its input is the activation's output)
    OtherMatMul,       // e.g. a projection between layers of different widths, an LM head
    Nonlinear,         // softmax, LayerNorm, GELU, residual add and the other element-wise ops
};
constexpr int kTrafficColumnCount = int(TrafficColumn::Nonlinear) + 1;
const char* to_string(TrafficColumn column);

struct TrafficCount {
    std::string name;
    TrafficColumn column = TrafficColumn::Nonlinear;
    int layer = -1;
    double flops = 0;
    double dram_bytes = 0;  // DRAM -> L2 bytes, as the survey counts them (docs/validation.md)
    double intensity() const { return dram_bytes > 0 ? flops / dram_bytes : 0; }
};

// An op the model does not count, and why.
struct UnmodelledOp {
    std::string name;
    std::string reason;
};

struct TrafficAnalysis {
    std::int64_t l2_tile_edge = 0;
    std::vector<TrafficCount> ops;      // the modelled ops, in graph order
    std::vector<TrafficCount> columns;  // indexed by TrafficColumn, summed over every layer
    // The transformer blocks (ops with layer >= 0: Table 5's total) and the whole graph (plus
    // the embedding's add and norm).
    TrafficCount blocks;
    TrafficCount total;
    // Left out of every sum above; empty for encoder graphs.
    std::vector<UnmodelledOp> unmodelled;
};

class AnalyticTrafficModel {
public:
    explicit AnalyticTrafficModel(AnalyticTemplate hardware);

    TrafficAnalysis analyze(const workloads::OpGraph& graph) const;

    const AnalyticTemplate& hardware() const { return hw_; }

private:
    AnalyticTemplate hw_;
    std::int64_t tile_;
};

}  // namespace acceltran::explore
