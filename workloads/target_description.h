// What the workload compiler knows of the hardware it compiles for: the buffers and unit classes
// of the design point, its tile shape and loop order, and how tensors are stored (compressed
// data plus a one-bit-per-element mask). Filled from an accelerator configuration by the modules
// layer (compile_options in modules/accelerator.h); plain C++ so the compiler stays testable alone.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/op_directive.h"
#include "workloads/op_graph.h"
#include "workloads/tiling.h"

namespace acceltran::workloads {

enum class BufferKind : std::uint8_t { Activation = 0, Weight = 1, Mask = 2 };
enum class UnitClass : std::uint8_t { MacLane = 0, Softmax = 1, LayerNorm = 2 };
constexpr int kUnitClasses = 3;
constexpr int kBufferKinds = 3;

const char* to_string(BufferKind b);
const char* to_string(UnitClass u);
// AccelTran's unit for each op kind.
UnitClass unit_class_of(OpKind kind);
std::array<UnitClass, kOpKindCount> acceltran_units();

struct CompileOptions {
    TileShape tile;
    LoopOrder loop_order;
    int element_bits = 20;
    // Whether tensors carry a one-bit-per-element mask (AccelTran's sparsity); a dense template
    // stores none, so no mask bytes move or occupy a buffer.
    bool masks = true;
    // Fuse every GELU into the matmul that feeds it (op_fusion.h) when the graph is built for this
    // target (the Gemmini template with integer_units.fuse_gelu).
    bool fuse_gelu = false;
    // Split a matmul whose weight does not fit into graph-level column or depth slices (BufferFit,
    // docs/decoders.md §2.1). A depth split adds its partial sums in add ops on the element-wise
    // units; the Gemmini template accumulates partial sums in its accumulator instead, so it does
    // not split and blocks such an op at the main-memory level (docs/mapping.md §1.1).
    bool split_weights = true;
    // The default mapping may cut a deep weight matmul's reduction into k blocks when without a
    // cut it gets at most one tile of columns (OpBlocking::choose, docs/mapping.md §2). Off for
    // the Gemmini template, whose accumulator is not checked with k blocks.
    bool default_k_blocks = true;
    double activation_density = 0.5;  // 1 - activation sparsity
    double weight_density = 0.5;      // 1 - weight sparsity
    std::uint64_t capacity[kBufferKinds] = {4u << 20, 8u << 20, 1u << 20};
    // Softmax, norms, GELU, SwiGLU and rotary overwrite an input that dies with them (Residency).
    bool in_place_elementwise = true;
    // Per tensor id, when not empty: the density of that tensor, overriding the two above
    // (the functional mode: measured for weights and inputs, a dense bound for activations).
    std::vector<double> tensor_density;
    // Per op id, when not empty: what a mapping decides for that op (op_directive.h).
    std::vector<OpDirective> op_directives;
    // The unit class that computes each op kind (a template decides: acceltran_units(), or the
    // Gemmini template's host CPU / integer units).
    std::array<UnitClass, kOpKindCount> units = acceltran_units();
    // The original AccelTran simulator's memory choices, for comparison only (CompatConfig in
    // core/accelerator_config.h, docs/validation.md §7.5); all off by default.
    // Load the whole embedding table first and keep it; the gathered rows come from it on chip
    // (the graph carries the table: OpGraph::embedding_table).
    bool embedding_table = false;
    // Every weight of a layer is held batch times: loads move and residencies hold batch x its bytes.
    bool batched_weights = false;
    // Write the graph outputs back to main memory at the end (off: they stay on chip).
    bool store_outputs = true;
    // Memory entries one at a time in program order, each load after the matmul and softmax
    // results its consumer depends on.
    bool in_order_memory = false;

    // What errors call each buffer and the key that sizes it (the Gemmini template's are its
    // accumulator and scratchpad, sized in kB).
    std::array<const char*, kBufferKinds> buffer_names{"activation", "weight", "mask"};
    const char* size_key = "size_mb";

    UnitClass unit_of(OpKind kind) const { return units[std::size_t(kind)]; }
    std::string buffer_name(BufferKind b) const { return buffer_names[std::size_t(b)]; }
    // "buffers.<name>.<size key>", the key a message asks the user to raise.
    std::string size_key_of(BufferKind b) const { return "buffers." + buffer_name(b) + "." + size_key; }
    std::uint64_t mask_bytes_of(std::uint64_t elements) const;
};

// Bytes of `elements` values at `density` with `element_bits` per non-zero value.
std::uint64_t compressed_bytes(std::uint64_t elements, double density, int element_bits);
std::uint64_t mask_bytes(std::uint64_t elements);

}  // namespace acceltran::workloads
