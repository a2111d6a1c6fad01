#include "workloads/op_fusion.h"

#include <algorithm>
#include <vector>

namespace acceltran::workloads {

int fuse_gelu_into_matmuls(OpGraph& g) {
    std::vector<bool> removed(g.ops.size(), false);
    int fused = 0;
    for (Op& gelu : g.ops) {
        if (gelu.kind != OpKind::Gelu || gelu.a_inputs.size() != 1) continue;
        const int hidden = gelu.a_inputs.front();
        const int producer = g.producer[std::size_t(hidden)];
        if (producer < 0 || g.consumers[std::size_t(hidden)].size() != 1) continue;
        if (std::find(g.outputs.begin(), g.outputs.end(), hidden) != g.outputs.end()) continue;
        Op& matmul = g.ops[std::size_t(producer)];
        if (matmul.kind != OpKind::MatMul || matmul.fused_gelu) continue;
        matmul.output = gelu.output;
        matmul.fused_gelu = true;
        removed[std::size_t(gelu.id)] = true;
        ++fused;
    }
    if (fused == 0) return 0;
    std::vector<int> new_id(g.ops.size(), -1);
    std::vector<Op> kept;
    kept.reserve(g.ops.size() - std::size_t(fused));
    for (Op& op : g.ops) {
        if (removed[std::size_t(op.id)]) continue;
        new_id[std::size_t(op.id)] = int(kept.size());
        op.id = int(kept.size());
        kept.push_back(std::move(op));
    }
    g.ops = std::move(kept);
    // Ops named by tensors (a decode step's token, known after the ops that sample it) keep
    // pointing at the same ops; a fused GELU is never one of them.
    for (Tensor& t : g.tensors)
        for (int& op : t.known_after) op = new_id[std::size_t(op)];
    g.producer.assign(g.tensors.size(), -1);
    g.consumers.assign(g.tensors.size(), {});
    for (const Op& o : g.ops) {
        g.producer[std::size_t(o.output)] = o.id;
        for (int t : o.inputs()) g.consumers[std::size_t(t)].push_back(o.id);
    }
    return fused;
}

}  // namespace acceltran::workloads

namespace acceltran::workloads {

namespace {

// The op that produces `tensor` when `reader` is its only reader and it is not a graph output;
// else -1 with the reason in `why`.
int fusion_sole_producer(const OpGraph& g, int tensor, const Op& reader, std::string& why) {
    const Tensor& t = g.tensors[std::size_t(tensor)];
    const int p = g.producer[std::size_t(tensor)];
    if (p < 0) {
        why = "its input '" + t.name + "' is not produced by an op of the graph";
        return -1;
    }
    if (std::find(g.outputs.begin(), g.outputs.end(), tensor) != g.outputs.end()) {
        why = "its input '" + t.name + "' is a graph output, which must reach main memory";
        return -1;
    }
    const std::vector<int>& readers = g.consumers[std::size_t(tensor)];
    for (int other : readers)
        if (other != reader.id) {
            why = "its input '" + t.name + "' is also read by '" + g.ops[std::size_t(other)].name +
                  "', which needs it in a buffer or main memory";
            return -1;
        }
    return p;
}

bool fusion_same_extents(const Op& a, const Op& b) { return a.batch == b.batch && a.m == b.m && a.n == b.n; }

bool fusion_is_norm(OpKind kind) { return kind == OpKind::LayerNorm || kind == OpKind::RmsNorm; }

}  // namespace

FusedChain fusion_chain_of(const OpGraph& g, const Op& consumer, std::string& why) {
    FusedChain none;
    if (consumer.kind != OpKind::Softmax && consumer.kind != OpKind::Gelu && consumer.kind != OpKind::SwiGlu &&
        !fusion_is_norm(consumer.kind)) {
        why = "'" + consumer.name + "' is not a softmax, GELU, SwiGLU, layer-norm or RMSNorm, the kinds that fuse into a matmul";
        return none;
    }
    const std::size_t inputs = consumer.kind == OpKind::SwiGlu ? 2 : 1;
    if (consumer.last_position || consumer.a_inputs.size() != inputs) {
        why = "'" + consumer.name + "' reads only some rows of its input";
        return none;
    }
    std::vector<int> chain{consumer.id};
    std::vector<int> stored;
    int p = -1;
    if (consumer.kind == OpKind::SwiGlu) {
        // The later of the gate and up matmuls (the planner runs ops in order: when the earlier
        // one runs, the later one's output does not exist yet); the earlier one's output is read
        // row block by row block, as a fused add's residual.
        const int gate = consumer.a_inputs[0], up = consumer.a_inputs[1];
        const int later = g.producer[std::size_t(gate)] > g.producer[std::size_t(up)] ? gate : up;
        p = fusion_sole_producer(g, later, consumer, why);
    } else if (fusion_is_norm(consumer.kind)) {
        // A pre-norm decoder's add output (the residual stream) is read by the next residual add
        // too: it may have other readers, and is then stored along (FusedChain::stored).
        const int sum = consumer.a_inputs.front();
        const int a = g.producer[std::size_t(sum)];
        if (a < 0 || g.ops[std::size_t(a)].kind != OpKind::Add) {
            why = "a norm fuses with the residual add before it and the matmul before that; " +
                  (a < 0 ? "its input '" + g.tensors[std::size_t(sum)].name + "' is not produced by an op of the graph"
                         : "'" + g.ops[std::size_t(a)].name + "', which produces its input, is not an add");
            return none;
        }
        const Op& add = g.ops[std::size_t(a)];
        const std::vector<int>& readers = g.consumers[std::size_t(sum)];
        const bool graph_output = std::find(g.outputs.begin(), g.outputs.end(), sum) != g.outputs.end();
        if (graph_output || readers.size() > 1) stored.push_back(sum);
        chain.insert(chain.begin(), add.id);
        std::string first_why;
        for (int t : add.a_inputs) {
            std::string w;
            const int q = fusion_sole_producer(g, t, add, w);
            if (q >= 0 && g.ops[std::size_t(q)].kind == OpKind::MatMul) {
                p = q;
                break;
            }
            if (first_why.empty()) first_why = q >= 0 ? "'" + g.ops[std::size_t(q)].name + "' is not a matmul" : w;
        }
        if (p < 0) {
            why = "neither input of the add '" + add.name + "' comes from a matmul it alone reads (" + first_why + ")";
            return none;
        }
    } else {
        p = fusion_sole_producer(g, consumer.a_inputs.front(), consumer, why);
    }
    if (p < 0) return none;
    const Op& producer = g.ops[std::size_t(p)];
    if (producer.kind != OpKind::MatMul) {
        why = "'" + producer.name + "', which produces its input, is not a matmul";
        return none;
    }
    if (producer.fused_gelu) {
        why = "'" + producer.name + "' already carries a GELU fused into it at graph level (docs/gemmini.md §2)";
        return none;
    }
    for (int id : chain)
        if (!fusion_same_extents(producer, g.ops[std::size_t(id)])) {
            why = "'" + g.ops[std::size_t(id)].name + "' does not have the extents of the matmul '" + producer.name + "'";
            return none;
        }
    return FusedChain{p, chain, stored};
}

}  // namespace acceltran::workloads
