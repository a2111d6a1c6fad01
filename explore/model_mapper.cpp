#include "explore/model_mapper.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "explore/mapspace.h"
#include "workloads/op_fusion.h"

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
            {"block",
             {{"batch", c.block.batch},
              {"rows", c.block.rows},
              {"columns", c.block.columns},
              {"order", c.block.columns_outer ? "columns_outer" : "rows_outer"},
              {"depth", c.block.depth}}},
            {"k_parts", c.k_parts}};
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
                         const OpCostModel& model, const MapspaceSearch& search)
    : design_(model.default_choice()) {
    const workloads::MappingPlan plan = workloads::MappingPlan::derive(graph, options);
    const auto first = mapper_first_ops(graph);
    for (const workloads::OpMapping& planned : plan.ops()) {
        const workloads::Op& op = *first.at(planned.op());
        const OpShape shape = OpShape::of(graph, op, options);
        // An op the graph splits by columns or depth keeps that split (its blocks are graph ops).
        const bool blocks = planned.memory_block().kind == workloads::WeightSplit::Kind::Whole;
        std::size_t index = 0;
        while (index < shapes_.size() && !(shapes_[index].shape == shape && shapes_[index].blocks == blocks)) ++index;
        if (index == shapes_.size()) {
            SearchedShape searched{shape, blocks, {}, search.run(shape, Mapspace(shape, design_, blocks, options.unit_of(op.kind),
                                                                         model.fixed_tile_y())),
                                   model.evaluate(shape, design_)};
            shapes_.push_back(std::move(searched));
        }
        shapes_[index].ops.push_back(planned.op());
        derived_.push_back(planned);
        ops_.push_back({planned, index});
    }
    weigh_fusions(graph, options, model, search);  // reads the ops' names and shapes only
    apply();
}

workloads::OpMapping ModelMapper::chosen_mapping(std::size_t i) const {
    const workloads::OpMapping& planned = derived_[i];
    const SearchedShape& s = shapes_[ops_[i].shape];
    const SearchResult& r = s.result;
    const MappingChoice& chosen = r.found ? r.best : design_;
    workloads::OpMapping mapping(planned.op(), planned.kind(), s.shape.b_batched, planned.memory_block(),
                                 s.blocks ? (r.found && r.best_cost.double_buffered) : planned.double_buffered(),
                                 chosen.tile, chosen.loop_order);
    if (!(chosen.block == workloads::MemoryBlock{})) mapping.set_block(chosen.block);
    mapping.set_k_parts(chosen.k_parts);
    return mapping;
}

void ModelMapper::apply() {
    for (std::size_t i = 0; i < ops_.size(); ++i)
        ops_[i].mapping = shapes_[ops_[i].shape].used ? chosen_mapping(i) : derived_[i];
    for (const SearchedFusion& s : fusions_) {
        if (!s.chosen || !s.used) continue;
        for (const std::vector<std::size_t>& positions : s.chains) {
            workloads::OpMapping& pm = ops_[positions[0]].mapping;
            workloads::OpMapping fused(pm.op(), pm.kind(), shapes_[s.shapes[0]].shape.b_batched, pm.memory_block(),
                                       s.fused.double_buffered, s.producer.tile, s.producer.loop_order);
            fused.set_block(s.producer.block);
            pm = fused;
            for (std::size_t i = 1; i < positions.size(); ++i) ops_[positions[i]].mapping.set_block(std::nullopt);
            ops_[positions.back()].mapping.set_fused(true);
        }
    }
}

void ModelMapper::use_shape(std::size_t shape, bool used) {
    shapes_.at(shape).used = used;
    apply();
}

void ModelMapper::use_fusion(std::size_t fusion, bool used) {
    fusions_.at(fusion).used = used;
    apply();
}

bool ModelMapper::changes(std::size_t shape) const {
    for (std::size_t i = 0; i < ops_.size(); ++i) {
        if (ops_[i].shape != shape) continue;
        std::ostringstream chosen, derived;
        chosen_mapping(i).write_yaml(chosen);
        derived_[i].write_yaml(derived);
        if (chosen.str() != derived.str()) return true;
    }
    return false;
}

// For each legal fusion (op_fusion.h) whose ops are all mapped alone (not split by the graph),
// the best producer mapping over its whole mapspace with its output rows kept on chip (column
// blocks allowed: the rows stay resident across them), the chain costed fused (evaluate_fused, with each
// consumer's own best tile and order), against the chain's ops at their own best mappings; the
// fusion is chosen when it is better on the objective and the producer runs in blocks (whole,
// fusion changes nothing).
void ModelMapper::weigh_fusions(const workloads::OpGraph& graph, const workloads::CompileOptions& options,
                                const OpCostModel& model, const MapspaceSearch& search) {
    std::map<std::string, std::size_t> at;  // logical op -> index into ops_
    for (std::size_t i = 0; i < ops_.size(); ++i) at.emplace(ops_[i].mapping.op(), i);
    const MappingChoice design = model.default_choice();
    const auto chosen_of = [&](std::size_t shape) {
        const SearchResult& r = shapes_[shape].result;
        return r.found ? r.best : design;
    };
    const auto cost_of = [&](std::size_t shape) {
        const SearchResult& r = shapes_[shape].result;
        return r.found ? r.best_cost : shapes_[shape].design;
    };
    for (const workloads::Op& op : graph.ops) {
        std::string why;
        const workloads::FusedChain chain = workloads::fusion_chain_of(graph, op, why);
        if (chain.producer < 0) continue;
        std::vector<std::size_t> members{std::size_t(chain.producer)};
        members.insert(members.end(), chain.consumers.begin(), chain.consumers.end());
        std::vector<std::size_t> positions, shapes;
        for (std::size_t id : members) {
            const auto it = at.find(graph.ops[id].name);
            if (it == at.end() || !shapes_[ops_[it->second].shape].blocks) break;
            positions.push_back(it->second);
            shapes.push_back(ops_[it->second].shape);
        }
        if (positions.size() != members.size()) continue;
        std::vector<bool> stored_along;
        for (int c : chain.consumers)
            stored_along.push_back(std::find(chain.stored.begin(), chain.stored.end(), graph.ops[std::size_t(c)].output) !=
                                   chain.stored.end());
        std::size_t f = 0;
        while (f < fusions_.size() && (fusions_[f].shapes != shapes || fusions_[f].stored_along != stored_along)) ++f;
        if (f == fusions_.size()) {
            SearchedFusion s;
            s.shapes = shapes;
            s.stored_along = stored_along;
            std::vector<OpShape> consumers;
            std::vector<MappingChoice> consumer_mappings;
            for (std::size_t i = 1; i < shapes.size(); ++i) {
                consumers.push_back(shapes_[shapes[i]].shape);
                MappingChoice c = chosen_of(shapes[i]);
                c.block = {};
                consumer_mappings.push_back(c);
            }
            const OpShape& producer = shapes_[shapes[0]].shape;
            // Apart: each op at its own best mapping; a blocked producer's output is then loaded
            // by the first consumer from main memory (evaluate_apart).
            std::vector<MappingChoice> own;
            for (std::size_t i = 1; i < shapes.size(); ++i) own.push_back(chosen_of(shapes[i]));
            s.apart = model.evaluate_apart(producer, chosen_of(shapes[0]), consumers, own);
            if (!s.apart.fits) {  // a design mapping that does not fit: the ops' own costs as found
                s.apart = OpCost{};
                for (std::size_t shape : shapes) {
                    const OpCost c = cost_of(shape);
                    s.apart.cycles += c.cycles;
                    s.apart.seconds += c.seconds;
                    s.apart.energy_j += c.energy_j;
                    s.apart.memory_bytes += c.memory_bytes;
                }
                s.apart.fits = true;
            }
            const Mapspace space(producer, design, true, options.unit_of(workloads::OpKind::MatMul),
                                 model.fixed_tile_y());
            double best = 0;
            for (std::uint64_t i = 0; i < space.size(); ++i) {
                const MappingChoice c = space.at(i);
                s.evaluated++;
                const OpCost cost = model.evaluate_fused(producer, c, consumers, consumer_mappings, stored_along);
                if (!cost.fits || cost.blocks == 1) continue;
                const double v = objective_value(cost, search.objective());
                if (!s.found || v < best) {
                    s.found = true;
                    best = v;
                    s.producer = c;
                    s.fused = cost;
                }
            }
            s.chosen = s.found && best < objective_value(s.apart, search.objective());
            fusions_.push_back(std::move(s));
        }
        SearchedFusion& s = fusions_[f];
        s.consumers.push_back(op.name);
        s.chains.push_back(positions);  // applied by apply() when chosen and used
    }
}

std::uint64_t ModelMapper::evaluated() const {
    std::uint64_t n = 0;
    for (const SearchedShape& s : shapes_) n += s.result.evaluated;
    for (const SearchedFusion& f : fusions_) n += f.evaluated;  // fused chains count as mappings too
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
            {"design_mapping", s.design.fits ? mapper_cost_json(s.design) : nlohmann::json(nullptr)},
            {"used", s.used}};
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

nlohmann::json ModelMapper::fusion_json() const {
    nlohmann::json fusions = nlohmann::json::array();
    for (const SearchedFusion& s : fusions_) {
        nlohmann::json entry = {{"ops", s.consumers},
                                {"producer_shape", s.shapes.front()},
                                {"evaluated", s.evaluated},
                                {"chosen", s.chosen},
                                {"used", s.chosen && s.used},
                                {"apart", {{"cycles", s.apart.cycles}, {"energy_j", s.apart.energy_j},
                                           {"edp_js", s.apart.edp()}, {"memory_bytes", s.apart.memory_bytes}}}};
        if (s.found) {
            entry["producer"] = mapper_choice_json(s.producer);
            entry["fused"] = mapper_cost_json(s.fused);
        } else {
            entry["fused"] = nullptr;  // no blocked producer mapping with whole rows fits
        }
        fusions.push_back(std::move(entry));
    }
    return fusions;
}

}  // namespace acceltran::explore
