// `banked_sram`: `banks` single-ported banks of bank_width_bytes bytes per cycle, interleaved by
// block (bank = (address / block_bytes) mod banks). An access occupies each bank it touches for
// that bank's share of its bytes; two accesses that need the same bank at the same time
// serialize on it (a bank conflict), accesses to different banks proceed in parallel. The access
// completes when its slowest bank is done, plus latency_cycles (docs/model-reference.md §7).
#pragma once

#include <vector>

#include "core/buffer_model.h"
#include "core/bandwidth_port.h"

namespace acceltran {

class BankedSramBufferModel : public BufferModel {
public:
    BankedSramBufferModel(const ModelContext& context, const ModelParameters& parameters);
    static ModelEntry entry();

    double access(const AccessRequest& request) override;
    ModelStats stats() const override;
    double peak_bytes_per_cycle() const override;
    bool writes_hold_up_reads() const override { return true; }  // a burst stripes the banks reads need

private:
    void add(std::uint64_t bank, std::uint64_t bytes);

    std::uint64_t block_bytes_;
    double bank_bytes_per_cycle_;
    double latency_;
    std::vector<BandwidthPort> banks_;
    std::vector<std::uint64_t> share_;    // scratch: bytes per bank of the current access
    std::vector<std::uint64_t> touched_;  // scratch: banks with a share
    double queued_ = 0;
    double conflicts_ = 0;
};

}  // namespace acceltran
