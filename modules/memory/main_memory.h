// Off-chip main memory behind a TLM target: the `fixed_bandwidth` model (bandwidth from GB/s
// and the clock, first-byte latency per transaction). Pluggable models come later through the
// same socket, and any third-party TLM target can be bound to the DMA in its place.
#pragma once

#include "modules/common/accelerator_config.h"
#include "modules/memory/memory_target.h"

namespace acceltran {

class MainMemory : public MemoryTarget {
public:
    // Main memory is addressed up to 1 TiB; bytes are stored only where written.
    static constexpr std::uint64_t kCapacity = std::uint64_t(1) << 40;

    MainMemory(const sc_core::sc_module_name& name, const Clock& clock, const AcceleratorConfig& config)
        : MemoryTarget(name, clock, kCapacity, config.memory_bytes_per_cycle(),
                       config.main_memory.latency_ns * 1e-3 * config.clock_mhz),
          config_(config.main_memory) {}

    const MainMemoryConfig& config() const { return config_; }

private:
    MainMemoryConfig config_;
};

}  // namespace acceltran
