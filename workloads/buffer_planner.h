// The static buffer planner: turns an op graph into the tiled program the control block executes
// (tiled_program.h explains the plan).
#pragma once

#include "workloads/op_graph.h"
#include "workloads/target_description.h"
#include "workloads/tiled_program.h"

namespace acceltran::workloads {

// Builds the plan. A working set that cannot fit (one op's operands and output larger than a
// buffer) is an InputError naming the op, the buffer, the bytes needed and the capacity.
TiledProgram compile_program(const OpGraph& graph, const CompileOptions& options);

}  // namespace acceltran::workloads
