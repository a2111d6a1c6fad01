// Off-chip main memory behind a TLM target, with the MemoryModel the config selects
// (`main_memory.model`): `fixed_bandwidth` (the default: bandwidth from GB/s and the clock,
// first-byte latency per transaction), `dram`, `l2_cache` (an L2 in front of DRAM), or a
// plug-in's. Any third-party TLM target can also be bound to the DMA in its place.
#pragma once

#include <memory>

#include "core/accelerator_config.h"
#include "core/model_registry.h"
#include "modules/memory/memory_target.h"

namespace acceltran {

class MainMemory : public MemoryTarget {
public:
    // Main memory is addressed up to 1 TiB; bytes are stored only where written.
    static constexpr std::uint64_t kCapacity = std::uint64_t(1) << 40;

    MainMemory(const sc_core::sc_module_name& name, const Clock& clock, const AcceleratorConfig& config)
        : MemoryTarget(name, clock, kCapacity, make_model(clock.mhz(), config)), config_(config.main_memory) {
        // compat.bandwidth_units: masks on a port of their own, as the original's mask buffer.
        if (config.compat.bandwidth_units) set_mask_model(make_model(clock.mhz(), config));
    }

    const MainMemoryConfig& config() const { return config_; }

    // The memory model `config.main_memory` selects, built from the registry (also outside a
    // simulation: the configuration echo asks it for its effective parameters).
    static std::unique_ptr<TimingModel> make_model(double clock_mhz, const AcceleratorConfig& config) {
        const MainMemoryConfig& m = config.main_memory;
        ModelContext c;
        c.instance = "main_memory";
        c.clock_mhz = clock_mhz;
        c.capacity_bytes = kCapacity;
        c.banks = m.banks;
        c.ranks = m.ranks;
        c.channels = m.channels;
        c.latency_cycles = m.latency_ns * 1e-3 * config.clock_mhz;
        // The device's rate (behind an L2 for l2_cache), nominal unless compat.bandwidth_units.
        c.bytes_per_cycle = config.device_bytes_per_cycle() * config.compat_bandwidth_factor();
        return ModelRegistry::instance().create(ModelKind::Memory, ModelSelection{m.model, m.model_parameters}, c);
    }

private:
    MainMemoryConfig config_;
};

}  // namespace acceltran
