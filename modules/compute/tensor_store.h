// The functional mode's value store (part of FunctionalEngine): every tensor's values as raw
// words of the accelerator's fixed-point format, keyed by tensor and element.
//
// Why one store rather than values kept at buffer addresses: buffer addresses in the compiled
// plan are nominal (fragmentation is not modelled, tiles wrap inside the buffer), so they cannot
// hold every live tensor's values without aliasing. The store is keyed by tensor and element
// instead; the buffers still account for every byte.
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/functional/fixed_point.h"
#include "workloads/functional/model_weights.h"
#include "workloads/op_graph.h"

namespace acceltran::compute {

// [begin, end) of batch entries, rows and columns of one tile's block.
struct Block {
    std::int64_t e0, e1, r0, r1, c0, c1;
};

// Element (e, r, c) of a tensor as seen by an op of batch `op_batch`: attention ops run over
// batch x heads entries of tensors that keep the heads side by side in their columns.
struct TensorView {
    const std::vector<std::int32_t>* data = nullptr;
    std::int64_t rows = 0, cols = 0, heads = 1, width = 0;
    bool broadcast = false;  // a weight (or the position rows), shared by every entry
    std::size_t index(std::int64_t e, std::int64_t r, std::int64_t c) const {
        const std::int64_t b = broadcast ? 0 : e / heads, h = broadcast ? 0 : e % heads;
        return std::size_t((b * rows + r) * cols + h * width + c);
    }
    std::int32_t at(std::int64_t e, std::int64_t r, std::int64_t c) const { return (*data)[index(e, r, c)]; }
};

class TensorStore {
public:
    TensorStore(const workloads::OpGraph& graph, const functional::FixedPointFormat& format);

    // Converts the parameters and the embedding rows the tokens select, once, offline, to the
    // nearest value (functional::quantize_weights does the same for the reference). InputError
    // for a missing or misshapen weight, a token outside the vocabulary or a wrong token count.
    void load(const functional::ModelWeights& weights, const std::vector<std::int32_t>& tokens);

    TensorView view(int tensor, const workloads::Op& op) const;
    // An op's output values, allocated (zeros) on the first write.
    std::vector<std::int32_t>& output(int tensor);
    const std::vector<std::int32_t>& raw(int tensor) const { return store_[std::size_t(tensor)]; }
    // A tensor's values as doubles (batch x rows x cols, row-major).
    std::vector<double> values(int tensor) const;

private:
    const workloads::OpGraph& graph_;
    functional::FixedPointFormat format_;
    std::vector<std::vector<std::int32_t>> store_;  // per tensor, raw values
};

}  // namespace acceltran::compute
