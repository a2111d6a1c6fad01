// Busy cycles of the Gemmini template's units (docs/gemmini.md, "Timing rules"): the W x W
// systolic array in its two dataflows, the host CPU's floating-point ops, and the I-BERT integer
// units. Plain functions so that testbenches and the docs' hand calculations check the same rule.
#pragma once

#include <cstdint>

#include "core/accelerator_config.h"
#include "workloads/op_graph.h"

namespace acceltran::systolic {

// Weight-stationary tile: `rows` rows of A (each W deep) stream through a W x W weight block, one
// row per cycle. Each PE holds two weights (Gemmini's PE: registers c1 and c2, the propagate bit
// choosing which one multiplies), so the next block shifts in row by row (W cycles) while the
// current one computes: a tile with new weights costs max(rows, W), the preload running beside
// the tile before it (taken to have as many rows). The first tile of a job has nothing to hide
// its preload behind (W cycles first) and waits for the pipeline to fill and drain, the skew of
// 2(W - 1) cycles between the first A element entering and the last sum leaving.
inline std::uint64_t weight_stationary_cycles(std::uint64_t rows, int dim, bool new_weights, bool first_of_job) {
    const auto w = std::uint64_t(dim);
    if (first_of_job) return w + rows + 2 * (w - 1);
    return new_weights && rows < w ? w : rows;
}

// Output-stationary tile: each W x W block of outputs stays in the array while `depth` steps of
// A columns and B rows stream past it (one per cycle); a block leaving the array (finished, or
// as partial sums when the next tile is another output) shifts out over W cycles.
// `rows` of output take ceil(rows / W) such blocks; the first tile of a job pays the skew.
inline std::uint64_t output_stationary_cycles(std::uint64_t rows, std::uint64_t depth, int dim, bool drain,
                                              bool first_of_job) {
    const std::uint64_t blocks = (rows + std::uint64_t(dim) - 1) / std::uint64_t(dim);
    return blocks * (depth + (drain ? std::uint64_t(dim) : 0)) + (first_of_job ? 2 * std::uint64_t(dim - 1) : 0);
}

// Host CPU: per element of output at the op's floating-point cost, plus converting every input
// element int32 -> float and every output element float -> int8, plus moving the bytes in and
// out through L2 at `l2_bytes_per_cycle`. Returned as (total, conversion part).
struct HostCpuCycles {
    std::uint64_t total = 0;
    std::uint64_t conversion = 0;
};
inline HostCpuCycles host_cpu_cycles(double out_elements, double op_cost, double in_elements, double dequantize,
                                     double quantize, double bytes_moved, double l2_bytes_per_cycle) {
    const double conversion = in_elements * dequantize + out_elements * quantize;
    const double total = out_elements * op_cost + conversion + bytes_moved / l2_bytes_per_cycle;
    auto ceil_at_least_one = [](double c) {
        auto n = std::uint64_t(c);
        if (double(n) < c) ++n;
        return n == 0 ? std::uint64_t(1) : n;
    };
    HostCpuCycles r;
    r.total = ceil_at_least_one(total);
    r.conversion = std::uint64_t(conversion + 0.5) > r.total ? r.total : std::uint64_t(conversion + 0.5);
    return r;
}

// Host CPU floating-point cycles per output element of an op kind (RMSNorm at layer-norm cost,
// SwiGLU at GELU's plus a multiply at add's, rotary at two adds'; a matmul never reaches the CPU).
inline double host_cost_per_element(workloads::OpKind kind, const HostCpuConfig& cpu) {
    switch (kind) {
        case workloads::OpKind::Softmax: return cpu.softmax;
        case workloads::OpKind::LayerNorm:
        case workloads::OpKind::RmsNorm: return cpu.layernorm;
        case workloads::OpKind::Gelu: return cpu.gelu;
        case workloads::OpKind::SwiGlu: return cpu.gelu + cpu.add;
        case workloads::OpKind::Rotary: return 2 * cpu.add;
        case workloads::OpKind::Add:
        case workloads::OpKind::MatMul: break;
    }
    return cpu.add;
}

// Passes of an I-BERT unit over a tile's elements: norms `normalization_passes`, softmax 3
// (running max, exponent and sum, scaling), SwiGLU and rotary 2, GELU and adds 1.
inline int integer_passes(workloads::OpKind kind, const IntegerUnitsConfig& units) {
    switch (kind) {
        case workloads::OpKind::LayerNorm:
        case workloads::OpKind::RmsNorm: return units.normalization_passes;
        case workloads::OpKind::Softmax: return 3;
        case workloads::OpKind::SwiGlu:
        case workloads::OpKind::Rotary: return 2;
        default: return 1;
    }
}

// I-BERT integer unit: `passes` passes over the tile's elements, `lanes` elements per cycle.
inline std::uint64_t integer_unit_cycles(std::uint64_t elements, int passes, int lanes) {
    const std::uint64_t work = elements * std::uint64_t(passes);
    const std::uint64_t c = (work + std::uint64_t(lanes) - 1) / std::uint64_t(lanes);
    return c == 0 ? 1 : c;
}

}  // namespace acceltran::systolic
