// The mapper over a whole model (docs/mapping.md §7): the best mapping of every op of a graph on
// a design point, each distinct op shape searched once, written as a mapping file for
// `acceltran run --mapping` and as mapspace statistics.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "explore/mapspace_search.h"
#include "explore/op_cost_model.h"
#include "workloads/mapping_plan.h"
#include "workloads/op_graph.h"
#include "workloads/target_description.h"

namespace acceltran::explore {

class ModelMapper {
public:
    // One op (a graph op, or the ops a blocked matmul shares a mapping under) and its search.
    struct MappedOp {
        workloads::OpMapping mapping;  // the graph-level split of MappingPlan, the chosen rest
        std::size_t shape = 0;         // index into shapes()
    };
    struct SearchedShape {
        OpShape shape;
        bool blocks = true;            // main-memory blocks were in its mapspace
        std::vector<std::string> ops;  // the ops of this shape, in execution order
        SearchResult result;
        OpCost design;                 // the design point's own mapping (tile, order, whole)
        // The choice is in the mapping (use_shape); false: its ops keep the mapping the compiler
        // derives without a mapping file (MappingPlan::derive).
        bool used = true;
    };

    // A fusion the mapper weighed (docs/mapping.md §11.4): a matmul and the ops a consumer's
    // fusion takes along (op_fusion.h), by shape, searched once per distinct chain of shapes.
    struct SearchedFusion {
        std::vector<std::size_t> shapes;  // producer first, then the consumers, into shapes()
        std::vector<bool> stored_along;   // per consumer: its output also stored (FusedChain::stored)
        std::vector<std::string> consumers;  // the fused ops' names (the last op of each chain)
        std::uint64_t evaluated = 0;      // producer mappings tried (output rows kept whole)
        bool found = false;               // a blocked fused mapping fits
        MappingChoice producer;           // its best producer mapping
        OpCost fused, apart;              // the chain fused (best) and apart (each op's best; summed)
        bool chosen = false;              // fused beats apart on the objective
        bool used = true;                 // a chosen fusion is in the mapping (use_fusion)
        // Per fused chain of this kind: the positions in ops() of its producer and consumers.
        std::vector<std::vector<std::size_t>> chains;
    };
    // Searches every distinct op shape of `graph` (compiled for `options`) with `search`.
    ModelMapper(const workloads::OpGraph& graph, const workloads::CompileOptions& options, const OpCostModel& model,
                const MapspaceSearch& search);

    const std::vector<MappedOp>& ops() const { return ops_; }
    const std::vector<SearchedShape>& shapes() const { return shapes_; }
    const std::vector<SearchedFusion>& fusions() const { return fusions_; }
    // Mappings the cost model evaluated: every shape's candidates and every fused chain's.
    std::uint64_t evaluated() const;

    // Takes a shape's choice out of the mapping (its ops then keep the derived mapping) or puts
    // it back, and likewise a chosen fusion: what MappingCheck tries one by one on the TLM model.
    void use_shape(std::size_t shape, bool used);
    void use_fusion(std::size_t fusion, bool used);
    // Whether the shape's choice gives any of its ops a mapping other than the derived one.
    bool changes(std::size_t shape) const;

    // The mapping file (docs/mapping.md §3); `source` says what produced it.
    void write_yaml(std::ostream& out, const std::string& source) const;
    // Per distinct shape: its ops, mapspace size, candidates evaluated, best and design costs,
    // median and 10th percentile relative to the best, share within 3x.
    nlohmann::json mapspace_json() const;
    // Per fusion weighed: the fused ops, the producer's shape (into mapspace_json's list), the
    // producer mappings tried, the chain's cost apart and fused, and whether it was chosen.
    nlohmann::json fusion_json() const;

private:
    // Every op's mapping from the shapes' and fusions' choices in use (ops_).
    void apply();
    // Op `i`'s mapping under its shape's choice (fusions aside), whether or not that is used.
    workloads::OpMapping chosen_mapping(std::size_t i) const;

    MappingChoice design_;                       // the design point's tile and order, whole
    std::vector<workloads::OpMapping> derived_;  // per op of ops_: the compiler's own mapping
    std::vector<MappedOp> ops_;
    std::vector<SearchedShape> shapes_;
    std::vector<SearchedFusion> fusions_;
    void weigh_fusions(const workloads::OpGraph& graph, const workloads::CompileOptions& options,
                       const OpCostModel& model, const MapspaceSearch& search);
};

}  // namespace acceltran::explore
