#include "modules/buffers/double_buffered_buffer_model.h"

#include <algorithm>

namespace acceltran {

namespace {
double half_bandwidth(const ModelContext& c, const ModelParameters& p) {
    const double given = p.number("bytes_per_cycle_per_half");
    return given > 0 ? given : c.bytes_per_cycle / 2;
}
}  // namespace

ModelEntry DoubleBufferedBufferModel::entry() {
    return buffer_model_entry<DoubleBufferedBufferModel>(
        "double_buffered", "ping-pong halves (lower and upper address half), each with its own port, so a load overlaps compute",
        {ParameterSpec::number("bytes_per_cycle_per_half", 0, 0, 1e12,
                               "bandwidth of each half in bytes/cycle; 0: half of banks x bank_width_bytes (the banks split between the halves)")});
}

DoubleBufferedBufferModel::DoubleBufferedBufferModel(const ModelContext& c, const ModelParameters& p)
    : half_bytes_(std::max<std::uint64_t>(1, c.capacity_bytes / 2)),
      halves_{BandwidthPort(half_bandwidth(c, p), c.latency_cycles), BandwidthPort(half_bandwidth(c, p), c.latency_cycles)} {
    for (auto& h : halves_)
        h.set_listener([this](double start, double end, double bytes) { report_busy(start, start + (end - start) / 2, bytes); });
}

double DoubleBufferedBufferModel::access(const AccessRequest& r) {
    const std::uint64_t end = r.address + r.bytes;
    if (r.address >= half_bytes_ || end <= half_bytes_)
        return halves_[r.address >= half_bytes_ ? 1 : 0].reserve(r.arrival, r.bytes, r.now);
    const double low = halves_[0].reserve(r.arrival, half_bytes_ - r.address, r.now);
    const double high = halves_[1].reserve(r.arrival, end - half_bytes_, r.now);
    return std::max(low, high);
}

ModelStats DoubleBufferedBufferModel::stats() const {
    ModelStats s;
    s.busy_cycles = (halves_[0].busy_cycles() + halves_[1].busy_cycles()) / 2;
    s.queued_cycles = halves_[0].queued_cycles() + halves_[1].queued_cycles();
    return s;
}

double DoubleBufferedBufferModel::peak_bytes_per_cycle() const {
    return halves_[0].bytes_per_cycle() + halves_[1].bytes_per_cycle();
}

}  // namespace acceltran
