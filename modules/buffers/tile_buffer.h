// An on-chip buffer (activation, weight or mask): a TLM target whose timing is the BufferModel
// the config selects (`buffers.<name>.model`, default `sram`: banks x bank_width_bytes per cycle
// shared by every requester, fixed access latency). Which tensors it holds is decided by the
// control block's static plan; the buffer models the timing and stores bytes for debug access
// and functional runs.
#pragma once

#include <memory>

#include "core/accelerator_config.h"
#include "core/model_registry.h"
#include "modules/memory/memory_target.h"

namespace acceltran {

class TileBuffer : public MemoryTarget {
public:
    TileBuffer(const sc_core::sc_module_name& name, const Clock& clock, const BufferConfig& config)
        : MemoryTarget(name, clock, config.capacity_bytes(), make_model(clock, config)), config_(config) {}

    const BufferConfig& config() const { return config_; }

    // The buffer model `config` selects, built from the registry.
    static std::unique_ptr<TimingModel> make_model(const Clock& clock, const BufferConfig& config) {
        ModelContext c;
        c.instance = config.name;
        c.clock_mhz = clock.mhz();
        c.capacity_bytes = config.capacity_bytes();
        c.banks = config.banks;
        c.bank_width_bytes = config.bank_width_bytes;
        c.latency_cycles = config.latency_cycles;
        c.bytes_per_cycle = config.bytes_per_cycle();
        return ModelRegistry::instance().create(ModelKind::Buffer, ModelSelection{config.model, config.model_parameters}, c);
    }

private:
    BufferConfig config_;
};

}  // namespace acceltran
