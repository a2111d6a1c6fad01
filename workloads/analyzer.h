// Analytic FLOP and byte counts from the op graph, with the survey's conventions (Kim et al.
// 2023, Sec. 3: multiply and add are 2 FLOPs; every op reads its inputs and writes its output
// once, as if local memory were large enough). Formulas are in docs/model-reference.md.
#pragma once

#include <string>
#include <vector>

#include "workloads/op_graph.h"

namespace acceltran::workloads {

struct OpCount {
    std::string name;
    OpKind kind;
    OpCategory category;
    int layer;
    double flops = 0;
    double bytes = 0;
    // The embedding-row gather: a memory transfer with no graph op behind it (`kind` carries
    // no meaning there; reports call it "gather").
    bool gather = false;
    Phase phase = Phase::Prefill;  // generation graphs: the op's phase and step
    int step = 0;
    double intensity() const { return bytes > 0 ? flops / bytes : 0; }
};

struct Analysis {
    std::vector<OpCount> ops;         // one per graph op, plus the embedding gather
    // The survey's four categories, summed, then lm_head when the graph has an LM head.
    std::vector<OpCount> categories;
    // Decoders only: the prefill's and the decode steps' totals (empty phases included).
    std::vector<OpCount> phases;
    OpCount total;
};

// FLOPs per element for non-matmul ops (documented in docs/model-reference.md).
constexpr double kSoftmaxFlopsPerElement = 5;   // max, subtract, exp, sum, divide
constexpr double kLayerNormFlopsPerElement = 8; // mean, variance (3), normalise (2), scale+shift (2)
constexpr double kGeluFlopsPerElement = 8;      // tanh approximation
constexpr double kReluFlopsPerElement = 1;      // max(0, x); models with activation: relu
constexpr double kAddFlopsPerElement = 1;
constexpr double kRmsNormFlopsPerElement = 4;  // square, sum, scale by 1/rms, gain
constexpr double kSwiGluFlopsPerElement = 5;   // SiLU x/(1+exp(-x)): exp, add, divide; times up
constexpr double kRotaryFlopsPerElement = 3;   // x cos + partner sin: 2 multiplies, 1 add

// FLOPs per output element of a non-matmul op of `kind` in `graph` (the constants above; the
// model's activation picks GELU or ReLU). 0 for MatMul, which is counted from its MACs.
double elementwise_flops_per_element(const OpGraph& graph, OpKind kind);

Analysis analyze(const OpGraph& graph, double bytes_per_element);
// The `acceltran analyze --json` document: {"model":..,"seq":..,"batch":..,
// "bytes_per_element":..,"total":{"flops","bytes","intensity"},"categories":[..],"operators":[..]};
// decoders add "prompt_len", "gen_len", "phases" and each operator's "phase" and "step".
std::string analysis_json(const OpGraph& graph, const Analysis& analysis, double bytes_per_element);
// Human-readable table.
std::string analysis_table(const OpGraph& graph, const Analysis& analysis);

}  // namespace acceltran::workloads
