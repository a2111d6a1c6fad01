#include "modules/compute/tensor_store.h"

#include <string>

#include "core/errors.h"

namespace acceltran::compute {

using workloads::Op;
using workloads::TensorKind;

TensorStore::TensorStore(const workloads::OpGraph& graph, const functional::FixedPointFormat& format)
    : graph_(graph), format_(format) {
    store_.resize(graph.tensors.size());
}

void TensorStore::load(const functional::ModelWeights& weights, const std::vector<std::int32_t>& tokens) {
    const std::string what = "--functional: ";
    functional::FixedPointFormat nearest = format_;
    nearest.rounding = functional::Rounding::Nearest;
    for (const auto& t : graph_.tensors) {
        // No op reads the whole embedding table (compat embedding_table loads it for its time
        // and energy only; the rows come from the weights' word embeddings below).
        if (t.kind == TensorKind::Activation || t.id == graph_.embedding_table) continue;
        auto& dst = store_[std::size_t(t.id)];
        dst.resize(std::size_t(t.elements()));
        if (t.kind == TensorKind::Input) {
            // The word rows the tokens select (emb.word_rows: batch x seq x hidden).
            const auto& table = weights.word_embeddings;
            if (table.cols != t.cols)
                throw InputError(what + "word embeddings have " + std::to_string(table.cols) + " columns, tensor '" +
                                 t.name + "' needs " + std::to_string(t.cols));
            if (std::int64_t(tokens.size()) != t.batch * t.rows)
                throw InputError(what + std::to_string(tokens.size()) + " token ids for " + std::to_string(t.batch) +
                                 " sequences of " + std::to_string(t.rows));
            for (std::int64_t s = 0; s < t.batch * t.rows; ++s) {
                const std::int32_t id = tokens[std::size_t(s)];
                if (id < 0 || id >= table.rows)
                    throw InputError(what + "token id " + std::to_string(id) + " is outside the vocabulary 0.." +
                                     std::to_string(table.rows - 1));
                for (std::int64_t c = 0; c < t.cols; ++c)
                    dst[std::size_t(s * t.cols + c)] = nearest.quantize(table.at(id, c));
            }
            continue;
        }
        auto m = weights.matrices.find(t.name);
        if (m == weights.matrices.end() || m->second.cols != t.cols || m->second.rows < t.rows)
            throw InputError(what + "weight '" + t.name + "' (" + std::to_string(t.rows) + " x " +
                             std::to_string(t.cols) + ") is missing from the weights or has another shape");
        for (std::int64_t r = 0; r < t.rows; ++r)
            for (std::int64_t c = 0; c < t.cols; ++c)
                dst[std::size_t(r * t.cols + c)] = nearest.quantize(m->second.at(r, c));
    }
}

TensorView TensorStore::view(int tensor, const Op& op) const {
    const auto& t = graph_.tensors[std::size_t(tensor)];
    TensorView v;
    v.data = &store_[std::size_t(tensor)];
    v.rows = t.rows;
    v.cols = t.cols;
    // Weights (and the position rows) are shared by every batch entry; an activation of batch 1
    // is not (at batch 1 its attention ops still split it into heads).
    v.broadcast = t.kind == TensorKind::Weight;
    v.heads = v.broadcast ? 1 : op.batch / t.batch;
    v.width = t.cols / v.heads;
    return v;
}

std::vector<std::int32_t>& TensorStore::output(int tensor) {
    auto& dst = store_[std::size_t(tensor)];
    if (dst.empty()) dst.assign(std::size_t(graph_.tensors[std::size_t(tensor)].elements()), 0);
    return dst;
}

std::vector<double> TensorStore::values(int tensor) const {
    const auto& raw = store_[std::size_t(tensor)];
    std::vector<double> v(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) v[i] = format_.to_double(raw[i]);
    return v;
}

}  // namespace acceltran::compute
