#include "workloads/mapping_file.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <utility>

#include "core/errors.h"
#include "workloads/op_fusion.h"
#include "workloads/op_mapping.h"

namespace acceltran::workloads {

namespace {

const char* const kMappingOrderExpected = "a permutation of the loops b, i, j, k joined with '_' (such as 'b_i_j_k')";

// "FILE:LINE" of a node: the origin a directive carries into the compiler's messages.
std::string mapping_line_of(const ConfigNode& n) {
    const YAML::Mark mark = n.yaml().Mark();
    return mark.is_null() ? n.file() : n.file() + ":" + std::to_string(mark.line + 1);
}

// A WeightSplit as write_yaml spells it: "whole", "columns [w0, w1]", "depth [d0, d1]".
std::string mapping_split_text(WeightSplit::Kind kind, const std::vector<std::int64_t>& sizes) {
    std::string text = to_string(kind);
    if (kind == WeightSplit::Kind::Whole) return text;
    text += " [";
    for (std::size_t j = 0; j < sizes.size(); ++j) text += (j ? ", " : "") + std::to_string(sizes[j]);
    return text + "]";
}

std::string mapping_trimmed(const std::string& s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// The integers of "[a, b, c]" (spaces anywhere between), or false when the text is not that.
bool mapping_parse_list(const std::string& text, std::vector<std::int64_t>& out) {
    const std::string t = mapping_trimmed(text);
    if (t.size() < 2 || t.front() != '[' || t.back() != ']') return false;
    const std::string inner = t.substr(1, t.size() - 2);
    if (mapping_trimmed(inner).empty()) return true;
    std::size_t start = 0;
    while (start <= inner.size()) {
        const std::size_t comma = std::min(inner.find(',', start), inner.size());
        const std::string item = mapping_trimmed(inner.substr(start, comma - start));
        if (item.empty() || item.size() > 18 || item.find_first_not_of("0123456789") != std::string::npos) return false;
        out.push_back(std::stoll(item));
        start = comma + 1;
    }
    return true;
}

// Checks `memory_block` (and `depth_parts`) of an entry against the blocking the graph builder
// made: the file may restate it, not change it.
void mapping_check_memory_block(const ConfigNode& entry, const OpMapping& made) {
    const WeightSplit& split = made.memory_block();
    const std::string expected = mapping_split_text(split.kind, split.sizes);
    const std::string unsupported = "; the graph builder blocked this op as '" + expected +
                                    "' (docs/decoders.md §2.1) and changing a weight's blocking is not supported "
                                    "yet: leave memory_block out, or block inside the op with `block`";
    if (entry.has("memory_block")) {
        const ConfigNode n = entry.child("memory_block");
        const std::string text = mapping_trimmed(n.as_string());
        const std::size_t space = std::min(text.find_first_of(" ["), text.size());
        const std::string word = text.substr(0, space);
        std::vector<std::int64_t> sizes;
        WeightSplit::Kind kind = WeightSplit::Kind::Whole;
        if (word == "columns") kind = WeightSplit::Kind::Columns;
        else if (word == "depth") kind = WeightSplit::Kind::Depth;
        const bool listed = kind != WeightSplit::Kind::Whole;
        if ((word != "whole" && !listed) || (!listed && space != text.size()) ||
            (listed && !mapping_parse_list(text.substr(space), sizes)))
            n.fail("whole, columns [w0, w1, ...] or depth [d0, d1, ...]");
        if (mapping_split_text(kind, sizes) != expected)
            n.fail_message("expected '" + expected + "', found '" + mapping_split_text(kind, sizes) + "'" + unsupported);
    }
    if (entry.has("depth_parts")) {
        const ConfigNode n = entry.child("depth_parts");
        if (split.kind != WeightSplit::Kind::Depth)
            n.fail_message("depth_parts belongs to a memory_block split by depth" + unsupported);
        std::vector<std::size_t> parts;
        for (const ConfigNode& p : n.elements()) parts.push_back(std::size_t(std::max<std::int64_t>(0, p.as_int())));
        if (parts != split.parts) {
            std::string want = "[";
            for (std::size_t j = 0; j < split.parts.size(); ++j) want += (j ? ", " : "") + std::to_string(split.parts[j]);
            n.fail_message("expected " + want + "]" + unsupported);
        }
    }
}

// The largest extents among a logical op's graph ops (its column blocks differ in n).
struct MappingExtent {
    std::int64_t batch = 0, m = 0, n = 0;
};

MappingExtent mapping_extent_of(const OpGraph& graph, const std::vector<int>& ids) {
    MappingExtent e;
    for (int id : ids) {
        const Op& o = graph.ops[std::size_t(id)];
        e.batch = std::max(e.batch, o.batch);
        e.m = std::max(e.m, o.m);
        e.n = std::max(e.n, o.n);
    }
    return e;
}

// Whether a block may take fewer columns than the op has (op_directive.h, MemoryBlock): a matmul
// whose B is a weight, or an element-wise op that treats each column alone.
bool mapping_columns_blockable(const OpGraph& graph, const Op& o) {
    if (o.kind == OpKind::Gelu || o.kind == OpKind::Add || o.kind == OpKind::SwiGlu) return true;
    return o.kind == OpKind::MatMul && o.b_input >= 0 && graph.tensors[std::size_t(o.b_input)].kind == TensorKind::Weight;
}

// `tile_y`: the k extent of the op's tile (its buffer_tile, else the design point's), which a
// depth below the op's k must be a multiple of.
MemoryBlock mapping_read_block(const ConfigNode& n, const OpGraph& graph, const std::vector<int>& ids, int tile_y) {
    n.expect_keys({"batch", "rows", "columns", "order", "depth"});
    const MappingExtent extent = mapping_extent_of(graph, ids);
    const Op& first = graph.ops[std::size_t(ids.front())];
    const auto size = [&](const char* key, std::int64_t whole, const char* what) -> std::int64_t {
        if (!n.has(key)) return 0;
        const ConfigNode v = n.child(key);
        const std::int64_t s = v.as_int();
        if (s < 0) v.fail("a non-negative integer (0: the whole extent)");
        if (s > whole)
            v.fail("at most " + std::to_string(whole) + ", the op's " + what + " (0 or " + std::to_string(whole) +
                   ": the whole extent)");
        return s;
    };
    MemoryBlock b;
    b.batch = size("batch", extent.batch, "batch (entries x heads for attention ops)");
    b.rows = size("rows", extent.m, "rows m");
    b.columns = size("columns", extent.n, "columns n");
    const std::int64_t batch = b.batch == 0 ? extent.batch : b.batch;
    if (b.rows > 0 && b.rows < extent.m && batch != 1)
        n.child("rows").fail_message("a block of " + std::to_string(b.rows) + " of the op's " +
                                     std::to_string(extent.m) + " rows needs batch: 1 (a block never spans two batch "
                                     "entries partially), found batch " + std::to_string(batch));
    if (b.columns > 0 && b.columns < extent.n && !mapping_columns_blockable(graph, first))
        n.child("columns").fail_message("columns below the op's " + std::to_string(extent.n) +
                                        " need a matmul whose B is a weight or an element-wise GELU, add or SwiGLU; '" +
                                        first.name + "' is not one (softmax and norms need whole rows, rotary pairs "
                                        "of columns, attention every key of a row): leave columns out or give 0");
    if (n.has("order")) {
        const ConfigNode v = n.child("order");
        const std::string order = v.as_string();
        if (order != "rows_outer" && order != "columns_outer") v.fail("rows_outer or columns_outer");
        b.columns_outer = order == "columns_outer";
        if (b.columns_outer && !mapping_columns_blockable(graph, first))
            v.fail_message("columns_outer orders column blocks, and '" + first.name + "' has none (only a matmul whose "
                           "B is a weight or an element-wise GELU, add or SwiGLU is blocked by columns): leave order out "
                           "or give rows_outer");
    }
    if (n.has("depth")) {
        // The reduction's extent: the same for every graph op of the logical op, unless the graph
        // builder split it in depth already (memory_block depth).
        std::int64_t k_min = graph.ops[std::size_t(ids.front())].k, k_max = k_min;
        for (int id : ids) {
            k_min = std::min(k_min, graph.ops[std::size_t(id)].k);
            k_max = std::max(k_max, graph.ops[std::size_t(id)].k);
        }
        const ConfigNode v = n.child("depth");
        const std::int64_t d = v.as_int();
        const bool weight_matmul = first.kind == OpKind::MatMul && mapping_columns_blockable(graph, first);
        if (d < 0) v.fail("a non-negative integer (0: the whole reduction k)");
        if (d > 0 && !weight_matmul)
            v.fail_message("depth cuts the reduction k of a matmul whose B is a weight; '" + first.name +
                           "' is not one: leave depth out or give 0");
        if (d > k_max)
            v.fail("at most " + std::to_string(k_max) + ", the op's reduction k (0 or " + std::to_string(k_max) +
                   ": the whole k)");
        if (d > 0 && d < k_max) {
            if (k_min != k_max)
                v.fail_message("'" + first.name + "' is already split in depth by the graph builder (memory_block): "
                               "leave depth out or give 0");
            if (d % tile_y != 0)
                v.fail("a multiple of " + std::to_string(tile_y) + ", the k extent of the op's tile (its y), or " +
                       std::to_string(k_max) + ", the whole k");
            if (b.columns_outer)
                v.fail_message("depth " + std::to_string(d) + " below the op's k of " + std::to_string(k_max) +
                               " runs its k blocks innermost of rows_outer blocks: leave order out or give rows_outer");
        }
        b.depth = d < k_max ? d : 0;
    }
    return b;
}

// `spatial: {k_parts: P}` (docs/mapping.md §1.2, §3): the reduction k split across P units per
// output tile. P from 1 to the op's k tiles (in its tile's y), on a matmul that runs whole, not
// with `block` or `fuse` (the fused-producer case is checked after every entry is read).
std::int64_t mapping_read_spatial(const ConfigNode& entry, const OpGraph& graph, const std::vector<int>& ids,
                                  const TileShape& tile) {
    const ConfigNode n = entry.child("spatial");
    n.expect_keys({"k_parts"});
    if (!n.has("k_parts")) return 1;
    const ConfigNode v = n.child("k_parts");
    const std::int64_t parts = v.as_int();
    if (parts < 1) v.fail("an integer of at least 1 (1: units take output tiles only)");
    if (parts == 1) return 1;
    const Op& first = graph.ops[std::size_t(ids.front())];
    if (first.kind != OpKind::MatMul)
        v.fail_message("k parts split a matmul's reduction k across units; '" + first.name + "' is a " +
                       to_string(first.kind) + ": give 1 or leave spatial out");
    for (int id : ids)
        if (graph.ops[std::size_t(id)].kind != OpKind::MatMul)
            v.fail_message("'" + first.name.substr(0, first.name.rfind('.')) +
                           "' is split in depth by the graph builder (memory_block), whose partial sums add ops "
                           "already sum: k parts are not supported on it; give 1 or leave spatial out");
    std::int64_t k_tiles = 0;
    for (int id : ids) {
        const std::int64_t nk = (graph.ops[std::size_t(id)].k + tile.y - 1) / tile.y;
        k_tiles = k_tiles == 0 ? nk : std::min(k_tiles, nk);
    }
    if (parts > k_tiles)
        v.fail("at most " + std::to_string(k_tiles) + ", the op's k tiles (k " + std::to_string(first.k) + " in tiles of " +
               std::to_string(tile.y) + ", the op's tile y)");
    if (first.causal.on)
        v.fail_message("'" + first.name + "' has a causal mask, which k parts do not support yet: give 1 or leave "
                       "spatial out");
    if (entry.has("block"))
        v.fail_message("k parts run the op whole; they cannot be combined with `block` yet: leave one of them out");
    if (entry.has("fuse") && entry.child("fuse").as_bool())
        v.fail_message("k parts split a matmul, and this entry fuses an op into its producer: leave spatial out");
    return parts;
}

// The op an entry names, as an index into plan.ops(); InputError for one the plan does not have.
std::size_t mapping_find_entry_op(const ConfigNode& name_node, const MappingPlan& plan, const OpGraph& graph,
                          const std::map<std::string, std::size_t>& index) {
    const std::string name = name_node.as_string();
    const auto it = index.find(name);
    if (it != index.end()) return it->second;
    for (std::size_t i = 0; i < plan.ops().size(); ++i) {
        const std::vector<int>& ids = plan.op_ids(i);
        if (ids.size() < 2) continue;
        for (int id : ids)
            if (graph.ops[std::size_t(id)].name == name)
                name_node.fail_message("'" + name + "' is one of the graph ops of the blocked op '" +
                                       plan.ops()[i].op() + "': a mapping names the op its blocks share");
    }
    std::vector<std::string> names;
    names.reserve(plan.ops().size());
    for (const OpMapping& m : plan.ops()) names.push_back(m.op());
    const std::string hint = closest_match(name, names);
    name_node.fail_message("unknown op '" + name + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                           "; the ops are those `acceltran run --write-mapping` lists for this model and run shape");
}

}  // namespace

MappingFile::MappingFile(ConfigNode root) : root_(std::move(root)) {}

MappingFile MappingFile::load(const std::string& path) { return MappingFile(ConfigNode::load_file(path, "a mapping YAML")); }

MappingFile MappingFile::parse(const std::string& text, const std::string& origin) {
    return MappingFile(ConfigNode::load_string(text, origin));
}

MappingDirectives MappingFile::directives(const OpGraph& graph, const MappingPlan& plan,
                                          const CompileOptions& options) const {
    root_.expect_keys({"ops"});
    std::map<std::string, std::size_t> index;  // logical op -> position in plan.ops()
    for (std::size_t i = 0; i < plan.ops().size(); ++i) index.emplace(plan.ops()[i].op(), i);
    std::map<std::size_t, std::string> listed;  // position in plan.ops() -> line that maps it
    MappingDirectives result;
    result.ops.assign(graph.ops.size(), OpDirective{});
    std::vector<std::pair<FusedChain, ConfigNode>> fused;  // chains the file fuses, with their `fuse` node
    std::map<int, ConfigNode> entry_of;                     // graph op id -> the entry that maps it
    for (const ConfigNode& entry : root_.child("ops").elements()) {
        entry.expect_keys({"op", "memory_block", "depth_parts", "block", "double_buffering", "buffer_tile",
                           "loop_order", "stationary", "fuse", "spatial"});
        const ConfigNode name = entry.child("op");
        const std::size_t at = mapping_find_entry_op(name, plan, graph, index);
        const auto [first, fresh] = listed.emplace(at, mapping_line_of(entry));
        if (!fresh) name.fail_message("op '" + plan.ops()[at].op() + "' is mapped twice; first at " + first->second);
        const OpMapping& made = plan.ops()[at];
        const std::vector<int>& ids = plan.op_ids(at);
        mapping_check_memory_block(entry, made);

        OpDirective directive;
        directive.origin = mapping_line_of(entry);
        if (entry.has("buffer_tile")) {
            const ConfigNode t = entry.child("buffer_tile");
            t.expect_keys({"b", "x", "y"});
            // The design point's bounds (core/accelerator_config.cpp); a tile larger than the op
            // is clipped to it like any edge tile (tiling.h).
            directive.tile = TileShape{int(t.get_int_in("b", 1, 1024)), int(t.get_int_in("x", 1, 1024)),
                                       int(t.get_int_in("y", 1, 1024))};
        }
        if (entry.has("loop_order")) {
            const ConfigNode o = entry.child("loop_order");
            try {
                directive.loop_order = LoopOrder::parse(o.as_string());
            } catch (const InputError&) {
                o.fail(kMappingOrderExpected);
            }
        }
        if (entry.has("stationary")) {
            const std::string given = entry.get_choice("stationary", {"output", "input", "weight", "none"});
            const LoopOrder order = directive.loop_order ? *directive.loop_order : options.loop_order;
            const Op& first = graph.ops[std::size_t(ids.front())];
            const std::string implied =
                to_string(OpMapping(made.op(), made.kind(), first.b_batched, {}, false, TileShape{}, order).stationary());
            if (given != implied)
                entry.child("stationary")
                    .fail_message("expected '" + implied + "', the operand loop order " + order.str() +
                                  " keeps in place for this op (docs/mapping.md §1), found '" + given +
                                  "'; stationary follows from loop_order: change that, or leave stationary out");
        }
        if (entry.has("block"))
            directive.block = mapping_read_block(entry.child("block"), graph, ids,
                                                 (directive.tile ? *directive.tile : options.tile).y);
        // double_buffering is derived from the op's block and fusion; only an entry that keeps the
        // default ones can be compared with the default mapping (the mapper writes the value its
        // own block gives, which the run derives again).
        if (entry.has("double_buffering") && !entry.has("block") && !entry.has("fuse")) {
            const ConfigNode d = entry.child("double_buffering");
            if (d.as_bool() != made.double_buffered())
                result.warnings.push_back(
                    d.location() + ": " + d.path() + ": the default mapping gives " +
                    (made.double_buffered() ? "true" : "false") +
                    " for this op (whether a block fits the buffers twice, docs/mapping.md §1); the value here is "
                    "derived, not a choice, and is ignored");
        }
        if (entry.has("fuse")) {
            const ConfigNode f = entry.child("fuse");
            directive.fuse = f.as_bool();
            if (directive.fuse) {
                for (int id : ids) {
                    std::string why;
                    const FusedChain chain = fusion_chain_of(graph, graph.ops[std::size_t(id)], why);
                    if (chain.producer < 0)
                        f.fail_message("op '" + graph.ops[std::size_t(id)].name + "' cannot be fused into its producer: " +
                                       why + " (docs/mapping.md §11)");
                    fused.push_back({chain, f});
                }
                if (entry.has("block"))
                    entry.child("block").fail_message("a fused op runs in the main-memory blocks of the matmul it is "
                                                      "fused into: give `block` on that matmul's entry, not here");
            }
        }
        if (entry.has("spatial"))
            directive.k_parts = mapping_read_spatial(entry, graph, ids, directive.tile ? *directive.tile : options.tile);
        for (int id : ids) {
            result.ops[std::size_t(id)] = directive;
            entry_of.emplace(id, entry);
        }
    }
    // Every op of a fused chain runs in its producer's blocks (whether those keep whole rows on
    // chip is the compiler's check, against the buffers, with the producer entry's line).
    for (const auto& [chain, node] : fused) {
        const Op& producer = graph.ops[std::size_t(chain.producer)];
        const auto producer_entry = entry_of.find(chain.producer);
        if (producer_entry != entry_of.end() && result.ops[std::size_t(chain.producer)].k_parts > 1)
            producer_entry->second.child("spatial").child("k_parts").fail_message(
                "'" + graph.ops[std::size_t(chain.consumers.back())].name + "' is fused into '" + producer.name +
                "' (line " + std::to_string(node.yaml().Mark().line + 1) +
                "), which runs it in main-memory blocks; k parts run the op whole: give 1 or leave spatial out");
        for (std::size_t i = 0; i + 1 < chain.consumers.size(); ++i) {
            const auto between = entry_of.find(chain.consumers[i]);
            if (between != entry_of.end() && between->second.has("block"))
                between->second.child("block").fail_message(
                    "'" + graph.ops[std::size_t(chain.consumers[i])].name + "' is fused along with '" +
                    graph.ops[std::size_t(chain.consumers.back())].name + "' (line " +
                    std::to_string(node.yaml().Mark().line + 1) + ") and runs in the blocks of '" + producer.name +
                    "': leave block out");
        }
    }
    return result;
}

}  // namespace acceltran::workloads
