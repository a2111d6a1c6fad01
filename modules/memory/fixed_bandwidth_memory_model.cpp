#include "modules/memory/fixed_bandwidth_memory_model.h"

namespace acceltran {

ModelEntry FixedBandwidthMemoryModel::entry() {
    return memory_model_entry<FixedBandwidthMemoryModel>(
        "fixed_bandwidth", "one port of bandwidth_gbps with latency_ns per transaction (no banks, rows or refresh)", {});
}

FixedBandwidthMemoryModel::FixedBandwidthMemoryModel(const ModelContext& c, const ModelParameters&)
    : port_(c.bytes_per_cycle, c.latency_cycles) {
    port_.set_listener([this](double start, double end, double bytes) { report_busy(start, end, bytes); });
}

double FixedBandwidthMemoryModel::access(const AccessRequest& r) { return port_.reserve(r.arrival, r.bytes, r.now); }

ModelStats FixedBandwidthMemoryModel::stats() const {
    ModelStats s;
    s.busy_cycles = port_.busy_cycles();
    s.queued_cycles = port_.queued_cycles();
    return s;
}

}  // namespace acceltran
