// `throttled_sram`: an example out-of-tree buffer model. An SRAM whose port delivers only a
// fraction `efficiency` of banks x bank_width_bytes per cycle (say, a bank arbitration or ECC
// overhead) and adds `extra_latency_cycles` to each access. The port is the simulator's own
// BandwidthPort (core/bandwidth_port.h), which keeps busy intervals rather than one
// "free at" time: loosely-timed initiators call in an order that is not time order, and a plain
// first-come-first-served queue in call order would delay early requests behind late ones.
#pragma once

#include "core/buffer_model.h"
#include "core/bandwidth_port.h"

namespace example {

class ThrottledSramBufferModel : public acceltran::BufferModel {
public:
    ThrottledSramBufferModel(const acceltran::ModelContext& context, const acceltran::ModelParameters& parameters);
    static acceltran::ModelEntry entry();

    double access(const acceltran::AccessRequest& request) override;
    acceltran::ModelStats stats() const override;
    double peak_bytes_per_cycle() const override { return port_.bytes_per_cycle(); }
    // Reads and writes share the one port, so a DMA burst being written holds up the tiles'
    // reads; saying so lets the fast detail level charge that wait (docs/plugins.md).
    bool writes_hold_up_reads() const override { return true; }

private:
    acceltran::BandwidthPort port_;
};

}  // namespace example
