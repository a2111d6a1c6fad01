// Where a run's time went by operation class, the breakdown the full-stack survey (Kim et al.
// 2023, Sec. 3.4) compares designs by: matmul, GELU, softmax, LayerNorm, residual add,
// de/quantization and data movement. Built from OpAccounting's critical-path cycles, which
// partition the run: each op's cycles go to the class of its kind, except the part during which
// no unit computed for it (data movement: the pipeline's oldest work was a transfer, or waited
// for one) and the part of its computing its units spent converting number formats
// (dequantization). summary.json's `op_classes` and op_classes.csv (docs/outputs.md).
#pragma once

#include <array>
#include <iosfwd>
#include <vector>

#include <nlohmann/json.hpp>

#include "modules/simulation/op_accounting.h"
#include "workloads/op_graph.h"

namespace acceltran {

// RMSNorm counts as layernorm (both normalize a row); SwiGLU and rotary embedding, which the
// survey's encoder has not, have classes of their own.
enum class OpClass { MatMul, Gelu, Softmax, LayerNorm, ResidualAdd, SwiGlu, Rotary, Dequantization, DataMovement };
constexpr int kOpClassCount = int(OpClass::DataMovement) + 1;
// The key in summary.json and op_classes.csv: matmul, gelu, ..., dequantization, data_movement.
const char* to_string(OpClass c);

class OpClassBreakdown {
public:
    OpClassBreakdown() = default;
    // `ops`: OpAccounting::critical_split() of the run; `clock_mhz` for the seconds.
    OpClassBreakdown(const workloads::OpGraph& graph, const std::vector<OpCriticalSplit>& ops, double clock_mhz);

    // The class an op's computing goes to.
    static OpClass class_of(workloads::OpKind kind);

    double cycles(OpClass c) const { return cycles_[std::size_t(c)]; }
    // Σ over the classes: the run's cycles, up to rounding (ops.csv's critical_cycles).
    double total_cycles() const;
    // cycles(c) / total_cycles(), 0 for an empty run; the shares add up to 1.
    double share(OpClass c) const;

    // {class: {"cycles": c, "share": s}} for every class, zeros included.
    nlohmann::json to_json() const;
    // op_classes.csv: class,cycles,seconds,share, one line per class in the order of OpClass,
    // numbers with 17 significant digits.
    void write_csv(std::ostream& out) const;

private:
    std::array<double, kOpClassCount> cycles_{};
    double clock_mhz_ = 0;
};

}  // namespace acceltran
