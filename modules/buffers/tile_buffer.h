// An on-chip buffer (activation, weight or mask): capacity from the config, bandwidth of
// `banks` x `bank_width_bytes` per cycle shared by every requester, fixed access latency.
// Which tensors it holds is decided by the control block's static plan; the buffer models
// the port and stores bytes for debug access and functional runs.
#pragma once

#include "modules/common/accelerator_config.h"
#include "modules/memory/memory_target.h"

namespace acceltran {

class TileBuffer : public MemoryTarget {
public:
    TileBuffer(const sc_core::sc_module_name& name, const Clock& clock, const BufferConfig& config)
        : MemoryTarget(name, clock, config.capacity_bytes(), config.bytes_per_cycle(),
                       config.latency_cycles),
          config_(config) {}

    const BufferConfig& config() const { return config_; }

private:
    BufferConfig config_;
};

}  // namespace acceltran
