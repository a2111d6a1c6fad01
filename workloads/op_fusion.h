// Fusion of an op into its producer at the graph level: the fused op disappears and its producer
// writes the fused op's output directly, so the intermediate tensor never reaches a buffer or main
// memory. Today one kind: GELU into the matmul before it, as the survey's transformer-tuned
// Gemmini does (its I-BERT GELU sits on the accumulator's output; docs/gemmini.md §3).
#pragma once

#include <string>
#include <vector>

#include "workloads/op_graph.h"

namespace acceltran::workloads {

// Fuses every GELU whose input comes from a matmul and is read by nothing else (and is not a
// graph output); the matmul then carries `fused_gelu` and produces the GELU's output tensor. The
// intermediate tensor stays in the tensor list with no producer and no reader. Ops are renumbered
// in order and producers/consumers rebuilt. Returns how many were fused.
int fuse_gelu_into_matmuls(OpGraph& graph);

}  // namespace acceltran::workloads

namespace acceltran::workloads {

// A fusion a mapping chooses (docs/mapping.md §11): a matmul `producer` and the ops that run on
// each of its main-memory blocks right after it, in order, while the block's rows are on chip.
// Shapes: softmax after Q·Kᵀ; GELU after FFN W1; a norm (layer-norm or RMSNorm) after the
// residual add that follows a weight matmul (W_out, FFN W2): the add is fused along, since the
// norm's input is the add's output and the add needs only the block's rows of the residual;
// SwiGLU after the later of its gate and up matmuls, the other's output read row block by row
// block as a fused add reads its residual.
struct FusedChain {
    int producer = -1;            // the matmul
    std::vector<int> consumers;   // op ids after it, the last one the op the mapping names
    // Tensors the chain passes along that other ops read too (a pre-norm decoder's residual
    // stream, the add's output, read again by the next residual add): each block's slice of
    // them is also stored to main memory, where those ops load it.
    std::vector<int> stored;
};

// The chain that fusing `consumer` into its producer makes, or, when it is not legal, a chain
// with producer -1 and the reason in `why` (what the op is, what fusion needs). Legal when the
// consumer is a softmax, GELU, SwiGLU, layer-norm or RMSNorm over all rows of its input; the
// matmul's output is read by the next op of the chain alone and is not a graph output (a norm's
// input, the add's output, may be read by others too: it is then stored as well); and every op
// of the chain has the matmul's extents (batch, m, n): a block of the matmul then holds whole
// rows of each, which is what the consumer needs.
FusedChain fusion_chain_of(const OpGraph& graph, const Op& consumer, std::string& why);

}  // namespace acceltran::workloads
