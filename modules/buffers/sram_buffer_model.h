// `sram`, the default buffer model: one port (or a read and a write port) of
// banks x bank_width_bytes bytes per cycle (or `bytes_per_cycle`), the access latency added to
// each transaction, transfers rounded up to whole `block_bytes` blocks. With the defaults
// (ports 1, block_bytes 1) this is exactly the buffer timing of earlier versions: one
// BandwidthPort (docs/model-reference.md §6, §7).
#pragma once

#include <memory>

#include "core/buffer_model.h"
#include "core/bandwidth_port.h"

namespace acceltran {

class SramBufferModel : public BufferModel {
public:
    SramBufferModel(const ModelContext& context, const ModelParameters& parameters);
    static ModelEntry entry();

    double access(const AccessRequest& request) override;
    ModelStats stats() const override;
    double peak_bytes_per_cycle() const override;
    bool writes_hold_up_reads() const override { return ports_ == 1; }  // one port for both

private:
    int ports_;
    std::uint64_t block_bytes_;
    std::unique_ptr<BandwidthPort> read_port_, write_port_;  // the same port when single-ported
};

}  // namespace acceltran
