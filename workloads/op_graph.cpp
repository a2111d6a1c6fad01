#include "workloads/op_graph.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <utility>

#include "core/errors.h"

namespace acceltran::workloads {

const char* to_string(OpKind kind) {
    switch (kind) {
        case OpKind::MatMul: return "matmul";
        case OpKind::Softmax: return "softmax";
        case OpKind::LayerNorm: return "layernorm";
        case OpKind::Gelu: return "gelu";
        case OpKind::Add: return "add";
        case OpKind::RmsNorm: return "rmsnorm";
        case OpKind::SwiGlu: return "swiglu";
        case OpKind::Rotary: return "rotary";
    }
    return "?";
}

const char* to_string(OpCategory category) {
    switch (category) {
        case OpCategory::MhaProjection: return "mha_projection";
        case OpCategory::MhaActToAct: return "mha_act_to_act";
        case OpCategory::FfnProjection: return "ffn_projection";
        case OpCategory::Other: return "other";
        case OpCategory::LmHead: return "lm_head";
    }
    return "?";
}

const char* to_string(TensorKind kind) {
    switch (kind) {
        case TensorKind::Weight: return "weight";
        case TensorKind::Input: return "input";
        case TensorKind::Activation: return "activation";
    }
    return "?";
}

const char* to_string(Phase phase) { return phase == Phase::Prefill ? "prefill" : "decode"; }

std::int64_t CausalMask::pairs(std::int64_t row_begin, std::int64_t row_end,
                               std::int64_t key_begin, std::int64_t key_end) const {
    if (!on) return (row_end - row_begin) * (key_end - key_begin);
    // Rows of one position see the same keys, so walk positions rather than rows.
    std::int64_t sum = 0;
    for (std::int64_t p = row_begin / group; p * group < row_end; ++p) {
        const std::int64_t rows =
            std::min(row_end, (p + 1) * group) - std::max(row_begin, p * group);
        const std::int64_t keys = std::min(key_end, p + 1) - key_begin;
        if (keys > 0) sum += rows * keys;
    }
    return sum;
}

std::int64_t Op::macs() const {
    if (kind != OpKind::MatMul) return 0;
    if (!causal.on) return batch * m * n * k;
    // Q.K^T has its keys along n, probs x V along k; the other extent multiplies.
    return b_transposed ? batch * causal.pairs(0, m, 0, n) * k : batch * causal.pairs(0, m, 0, k) * n;
}

std::int64_t Op::active_elements() const {
    // Under a mask, Q.K^T and softmax compute only the visible scores; probs x V still computes
    // every output row (each query sees at least itself).
    const bool keys_on_n = kind != OpKind::MatMul || b_transposed;
    return causal.on && keys_on_n ? batch * causal.pairs(0, m, 0, n) : out_elements();
}

std::vector<int> Op::inputs() const {
    std::vector<int> all = a_inputs;
    if (b_input >= 0) all.push_back(b_input);
    all.insert(all.end(), b_more.begin(), b_more.end());
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
}

const Op& OpGraph::op(const std::string& name) const {
    for (const Op& o : ops)
        if (o.name == name) return o;
    throw std::out_of_range("no op '" + name + "' in the graph of model '" + model.name + "'");
}

const Tensor& OpGraph::tensor(const std::string& name) const {
    for (const Tensor& t : tensors)
        if (t.name == name) return t;
    throw std::out_of_range("no tensor '" + name + "' in the graph of model '" + model.name + "'");
}

}  // namespace acceltran::workloads
