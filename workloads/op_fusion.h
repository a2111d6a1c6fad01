// Fusion of an op into its producer at the graph level: the fused op disappears and its producer
// writes the fused op's output directly, so the intermediate tensor never reaches a buffer or main
// memory. Today one kind: GELU into the matmul before it, as the survey's transformer-tuned
// Gemmini does (its I-BERT GELU sits on the accumulator's output; docs/gemmini.md §3).
#pragma once

#include "workloads/op_graph.h"

namespace acceltran::workloads {

// Fuses every GELU whose input comes from a matmul and is read by nothing else (and is not a
// graph output); the matmul then carries `fused_gelu` and produces the GELU's output tensor. The
// intermediate tensor stays in the tensor list with no producer and no reader. Ops are renumbered
// in order and producers/consumers rebuilt. Returns how many were fused.
int fuse_gelu_into_matmuls(OpGraph& graph);

}  // namespace acceltran::workloads
