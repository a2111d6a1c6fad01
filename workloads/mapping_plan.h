// The mappings of every op of a graph (docs/mapping.md): what the compiler did to fit the graph
// into a design point, as data. Derived from a compiled graph: its weights' blocking
// (OpGraph::weight_blocking) and the tile shape and loop order of each op: the design point's,
// or those CompileOptions::op_directives give (a mapping file, mapping_file.h).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "workloads/op_graph.h"
#include "workloads/op_mapping.h"
#include "workloads/target_description.h"
#include "workloads/tiled_program.h"

namespace acceltran::workloads {

class MappingPlan {
public:
    // One mapping per op of `graph` in execution order; the ops of a blocked matmul (its slices
    // `name.s<j>`, its depth groups `name.k<j>` and the adds `name.sum<j>` that accumulate them)
    // share one mapping under `name`.
    static MappingPlan derive(const OpGraph& graph, const CompileOptions& options);

    const std::vector<OpMapping>& ops() const { return ops_; }
    // The graph op ids of ops()[i], in execution order: one op, or a blocked matmul's blocks
    // and the adds that accumulate its depth groups.
    const std::vector<int>& op_ids(std::size_t i) const { return members_.at(i); }
    // std::out_of_range naming the op when it has no mapping.
    const OpMapping& of(const std::string& op) const;

    // Records the main-memory blocks the planner made inside ops (op_blocking.h), and whether
    // they are double-buffered, in the mappings of the ops of `program` (compiled from the graph
    // this plan was derived from).
    void record_blocks(const TiledProgram& program);

    // The mapping file (docs/mapping.md, "File format"), `source` saying what it was derived from.
    void write_yaml(std::ostream& out, const std::string& source) const;

private:
    std::vector<OpMapping> ops_;
    std::vector<std::vector<int>> members_;
};

}  // namespace acceltran::workloads
