// `fixed_bandwidth`, the default main-memory model: one port of bandwidth_gbps (converted to
// bytes per cycle at the clock) and latency_ns of first-byte latency per transaction; exactly
// the main-memory timing of earlier versions (docs/model-reference.md §8).
#pragma once

#include "core/bandwidth_port.h"
#include "core/memory_model.h"

namespace acceltran {

class FixedBandwidthMemoryModel : public MemoryModel {
public:
    FixedBandwidthMemoryModel(const ModelContext& context, const ModelParameters& parameters);
    static ModelEntry entry();

    double access(const AccessRequest& request) override;
    ModelStats stats() const override;
    double peak_bytes_per_cycle() const override { return port_.bytes_per_cycle(); }
    const BandwidthPort& port() const { return port_; }

private:
    BandwidthPort port_;
};

}  // namespace acceltran
