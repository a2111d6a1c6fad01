// What a pluggable buffer or main-memory model does with one access: given the bytes, the
// address and the arrival cycle, say when the last byte is delivered. The common base of
// BufferModel (core/buffer_model.h) and MemoryModel (core/memory_model.h).
// Plain C++, no SystemC: models are unit-tested alone and the SystemC wrappers (TileBuffer,
// MainMemory, through MemoryTarget) call access() from b_transport. Time is in accelerator clock
// cycles (double). Models must be event-driven: work per access, never per cycle.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace acceltran {

struct AccessRequest {
    bool write = false;
    std::uint64_t address = 0;  // byte address inside the target
    std::uint64_t bytes = 0;
    double arrival = 0;         // cycle the request arrives at the target
    double now = 0;             // current simulated cycle: no later request arrives before it
};

struct ModelStats {
    double busy_cycles = 0;    // cycles the model's data path was transferring (averaged over
                               // parallel ports/banks/channels, so at most the run's cycles)
    double queued_cycles = 0;  // cycles requests waited for a busy resource
    double energy_j = 0;       // energy the model accounts for itself, added to the per-byte
                               // energy of the technology table (docs/plugins.md, "Energy")
    double occupancy_bytes = 0;  // bytes the model holds, if it tracks it (0 otherwise)
    // Bytes the off-chip device itself moved, when the model puts a cache in front of it
    // (l2_cache): the technology table's main-memory energy is charged on these. -1: every byte
    // of the target's traffic reached the device.
    double device_bytes = -1;
    // Model-specific counters (row hits, bank conflicts, refreshes, ...), reported in summary.json.
    std::vector<std::pair<std::string, double>> counters;
};

class TimingModel {
public:
    virtual ~TimingModel() = default;

    // Returns the cycle at which the access completes (last byte delivered, latency included).
    // Never earlier than request.arrival.
    virtual double access(const AccessRequest& request) = 0;
    virtual ModelStats stats() const = 0;
    // Best-case bandwidth in bytes per cycle (for reports; infinity for an ideal model).
    virtual double peak_bytes_per_cycle() const = 0;

    // Hears every stretch [start, end) the model's data path is busy and the bytes moved in it:
    // the power timeline and the traces are built from these (as from BandwidthPort's listener).
    using BusyListener = std::function<void(double start, double end, double bytes)>;
    void set_listener(BusyListener listener) { listener_ = std::move(listener); }

protected:
    void report_busy(double start, double end, double bytes) const {
        if (listener_ && end > start) listener_(start, end, bytes);
    }

private:
    BusyListener listener_;
};

}  // namespace acceltran
