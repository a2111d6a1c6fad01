#include "explore/model_mapper.h"

#include <map>

#include "explore/mapspace.h"

namespace acceltran::explore {

namespace {

// The logical op (MappingPlan's name) of each graph op: its own name, or the name a column block
// `X.s<j>` or depth group `X.k<j>` shares; the first graph op of each, by logical name.
std::map<std::string, const workloads::Op*> mapper_first_ops(const workloads::OpGraph& graph) {
    std::map<std::string, const workloads::Op*> first;
    for (const workloads::Op& op : graph.ops) {
        first.emplace(op.name, &op);
        const std::size_t dot = op.name.rfind('.');
        if (dot == std::string::npos || dot + 2 > op.name.size()) continue;
        const char part = op.name[dot + 1];
        const std::string digits = op.name.substr(dot + 2);
        if ((part == 's' || part == 'k') && !digits.empty() &&
            digits.find_first_not_of("0123456789") == std::string::npos)
            first.emplace(op.name.substr(0, dot), &op);
    }
    return first;
}

nlohmann::json mapper_choice_json(const MappingChoice& c) {
    return {{"buffer_tile", {{"b", c.tile.b}, {"x", c.tile.x}, {"y", c.tile.y}}},
            {"loop_order", c.loop_order.str()},
            {"block", {{"batch", c.block.batch}, {"rows", c.block.rows}, {"columns", c.block.columns}}}};
}

nlohmann::json mapper_cost_json(const OpCost& c) {
    return {{"cycles", c.cycles},           {"compute_cycles", c.compute_cycles}, {"memory_cycles", c.memory_cycles},
            {"memory_bytes", c.memory_bytes}, {"energy_j", c.energy_j},           {"edp_js", c.edp()},
            {"blocks", c.blocks},           {"double_buffered", c.double_buffered},
            {"buffer_bytes",
             {{"activation", c.buffer_bytes[0]}, {"weight", c.buffer_bytes[1]}, {"mask", c.buffer_bytes[2]}}}};
}

}  // namespace

ModelMapper::ModelMapper(const workloads::OpGraph& graph, const workloads::CompileOptions& options,
                         const OpCostModel& model, const MapspaceSearch& search) {
    const workloads::MappingPlan plan = workloads::MappingPlan::derive(graph, options);
    const auto first = mapper_first_ops(graph);
    const MappingChoice design = model.default_choice();
    for (const workloads::OpMapping& planned : plan.ops()) {
        const workloads::Op& op = *first.at(planned.op());
        const OpShape shape = OpShape::of(graph, op, options);
        // An op the graph splits by columns or depth keeps that split (its blocks are graph ops).
        const bool blocks = planned.memory_block().kind == workloads::WeightSplit::Kind::Whole;
        std::size_t index = 0;
        while (index < shapes_.size() && !(shapes_[index].shape == shape && shapes_[index].blocks == blocks)) ++index;
        if (index == shapes_.size()) {
            SearchedShape searched{shape, blocks, {}, search.run(shape, Mapspace(shape, design, blocks, options.unit_of(op.kind),
                                                                         model.fixed_tile_y())),
                                   model.evaluate(shape, design)};
            shapes_.push_back(std::move(searched));
        }
        shapes_[index].ops.push_back(planned.op());
        const SearchResult& r = shapes_[index].result;
        const MappingChoice& chosen = r.found ? r.best : design;
        const bool whole = chosen.block == workloads::MemoryBlock{};
        workloads::OpMapping mapping(planned.op(), planned.kind(), shape.b_batched, planned.memory_block(),
                                     blocks ? (r.found && r.best_cost.double_buffered) : planned.double_buffered(),
                                     chosen.tile, chosen.loop_order);
        if (!whole) mapping.set_block(chosen.block);
        ops_.push_back({std::move(mapping), index});
    }
}

std::uint64_t ModelMapper::evaluated() const {
    std::uint64_t n = 0;
    for (const SearchedShape& s : shapes_) n += s.result.evaluated;
    return n;
}

void ModelMapper::write_yaml(std::ostream& out, const std::string& source) const {
    out << "# The mapping of every op (docs/mapping.md), " << source << ".\n"
        << "ops:\n";
    for (const MappedOp& m : ops_) m.mapping.write_yaml(out);
}

nlohmann::json ModelMapper::mapspace_json() const {
    nlohmann::json shapes = nlohmann::json::array();
    for (const SearchedShape& s : shapes_) {
        const SearchResult& r = s.result;
        nlohmann::json entry = {
            {"ops", s.ops},
            {"kind", workloads::to_string(s.shape.kind)},
            {"shape", {{"batch", s.shape.batch}, {"m", s.shape.m}, {"n", s.shape.n}, {"k", s.shape.k}}},
            {"mapspace_size", r.mapspace_size},
            {"evaluated", r.evaluated},
            {"valid", r.valid},
            {"design_mapping", s.design.fits ? mapper_cost_json(s.design) : nlohmann::json(nullptr)}};
        if (r.found) {
            entry["best"] = mapper_choice_json(r.best);
            entry["best"]["cost"] = mapper_cost_json(r.best_cost);
            entry["median_relative"] = r.median_relative;
            entry["p10_relative"] = r.p10_relative;
            entry["within_3x_share"] = r.within_3x_share;
        } else {
            entry["best"] = nullptr;  // nothing fits: the mapping file keeps the design's
        }
        shapes.push_back(std::move(entry));
    }
    return shapes;
}

}  // namespace acceltran::explore
