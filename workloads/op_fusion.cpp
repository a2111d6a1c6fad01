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
