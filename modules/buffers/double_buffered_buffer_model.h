// `double_buffered`: the capacity split into two halves (ping and pong, by address: the lower
// half and the upper half), each an independent single-ported SRAM, so that the DMA filling one
// half does not delay the units reading the other (a load overlaps compute). Within a half,
// accesses share its port as in `sram`. An access that straddles the halves is split and
// completes when both parts have (docs/model-reference.md §7).
#pragma once

#include "core/buffer_model.h"
#include "core/bandwidth_port.h"

namespace acceltran {

class DoubleBufferedBufferModel : public BufferModel {
public:
    DoubleBufferedBufferModel(const ModelContext& context, const ModelParameters& parameters);
    static ModelEntry entry();

    double access(const AccessRequest& request) override;
    ModelStats stats() const override;
    double peak_bytes_per_cycle() const override;

private:
    std::uint64_t half_bytes_;
    BandwidthPort halves_[2];
};

}  // namespace acceltran
