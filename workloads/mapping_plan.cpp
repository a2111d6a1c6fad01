#include "workloads/mapping_plan.h"

#include <map>
#include <stdexcept>

#include "workloads/buffer_fit.h"

namespace acceltran::workloads {

namespace {

// `name` without its last `.<prefix><digits>` part, or empty when it has none.
std::string strip_slice(const std::string& name, const std::string& prefix) {
    const std::size_t dot = name.rfind('.');
    if (dot == std::string::npos || name.compare(dot + 1, prefix.size(), prefix) != 0) return {};
    const std::string digits = name.substr(dot + 1 + prefix.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return {};
    return name.substr(0, dot);
}

// The ops of one logical op and how its blocks were made.
struct Blocked {
    std::string name;
    WeightSplit::Kind kind = WeightSplit::Kind::Whole;
    std::vector<const Op*> ops;  // the blocks (for Depth: the partial matmuls, not the sums)
    std::vector<int> members;    // every graph op of the logical op, sums included, in order
};

// Groups the graph's ops into logical ops, in order of their first op. A matmul with a weight
// named `X.s<j>` is column block j of `X`; `X.k<j>` is depth group j and `X.sum<j>` its
// accumulating add; an element-wise op `X.s<j>` over column blocks runs once per block.
std::vector<Blocked> group_blocks(const OpGraph& g) {
    std::vector<Blocked> groups;
    std::map<std::string, std::size_t> index;  // logical name -> position in groups
    std::map<int, bool> column_output;         // tensor id -> made by a column block
    const auto add = [&](const std::string& name, WeightSplit::Kind kind, const Op* o) {
        auto [it, fresh] = index.emplace(name, groups.size());
        if (fresh) groups.push_back({name, kind, {}, {}});
        groups[it->second].ops.push_back(o);
        groups[it->second].members.push_back(o->id);
    };
    for (const Op& o : g.ops) {
        const bool weight_b = o.kind == OpKind::MatMul && o.b_input >= 0 &&
                              g.tensors[o.b_input].kind == TensorKind::Weight;
        std::string base;
        if (weight_b && !(base = strip_slice(o.name, "s")).empty()) {
            add(base, WeightSplit::Kind::Columns, &o);
            column_output[o.output] = true;
        } else if (weight_b && !(base = strip_slice(o.name, "k")).empty()) {
            add(base, WeightSplit::Kind::Depth, &o);
        } else if (o.kind == OpKind::Add && !(base = strip_slice(o.name, "sum")).empty() && index.count(base)) {
            groups[index[base]].members.push_back(o.id);  // part of the depth-blocked op it accumulates
        } else if (o.kind != OpKind::MatMul && !(base = strip_slice(o.name, "s")).empty() &&
                   !o.a_inputs.empty() && column_output.count(o.a_inputs.front())) {
            add(base, WeightSplit::Kind::Columns, &o);
            column_output[o.output] = true;
        } else {
            add(o.name, WeightSplit::Kind::Whole, &o);
        }
    }
    return groups;
}

std::vector<std::int64_t> widths_of(const OpGraph& g, const std::vector<int>& tensors) {
    std::vector<std::int64_t> widths;
    for (int t : tensors) widths.push_back(g.tensors[t].cols);
    return widths;
}

}  // namespace

MappingPlan MappingPlan::derive(const OpGraph& graph, const CompileOptions& options) {
    const BufferFit fit(options);
    MappingPlan plan;
    for (const Blocked& b : group_blocks(graph)) {
        const Op& first = *b.ops.front();
        const std::int64_t rows = first.batch * first.m;
        WeightSplit block;
        block.kind = b.kind;
        bool twice = false;
        if (b.kind == WeightSplit::Kind::Columns) {
            for (const Op* o : b.ops) block.sizes.push_back(o->n);
            // A matmul's blocks are sized to fit twice when one tile column does (BufferFit).
            twice = first.kind == OpKind::MatMul &&
                    fit.fits(rows, widths_of(graph, first.a_inputs), block.sizes.front(), 2);
        } else if (b.kind == WeightSplit::Kind::Depth) {
            twice = true;
            for (const Op* o : b.ops) {
                block.sizes.push_back(o->k);
                block.parts.push_back(o->a_inputs.size());
                twice = twice && fit.fits(rows, widths_of(graph, o->a_inputs), o->n, 2);
            }
        }
        // A mapping file's directives (mapping_file.h) apply alike to every op of a logical op.
        const OpDirective* directed =
            options.op_directives.empty() ? nullptr : &options.op_directives.at(std::size_t(first.id));
        plan.ops_.emplace_back(b.name, first.kind, first.b_batched, block, twice,
                               directed && directed->tile ? *directed->tile : options.tile,
                               directed && directed->loop_order ? *directed->loop_order : options.loop_order);
        if (directed) {
            plan.ops_.back().set_block(directed->block);
            plan.ops_.back().set_fused(directed->fuse);
            plan.ops_.back().set_k_parts(directed->k_parts);
        }
        plan.members_.push_back(b.members);
    }
    return plan;
}

const OpMapping& MappingPlan::of(const std::string& op) const {
    for (const OpMapping& m : ops_)
        if (m.op() == op) return m;
    throw std::out_of_range("no mapping for op '" + op + "'");
}

void MappingPlan::record_blocks(const TiledProgram& program) {
    for (std::size_t i = 0; i < ops_.size(); ++i)
        for (int id : op_ids(i))
            if (const auto& b = program.blocked.at(std::size_t(id))) {
                // A resolved block gives every extent; a depth of the whole k is written as none.
                MemoryBlock block = b->block;
                if (program.graph && block.depth >= program.graph->ops[std::size_t(id)].k) block.depth = 0;
                ops_[i].set_block(block);
                ops_[i].set_double_buffered(b->double_buffered);
                break;
            }
}

void MappingPlan::write_yaml(std::ostream& out, const std::string& source) const {
    out << "# The mapping of every op (docs/mapping.md), " << source << ".\n"
        << "ops:\n";
    for (const OpMapping& m : ops_) m.write_yaml(out);
}

}  // namespace acceltran::workloads
