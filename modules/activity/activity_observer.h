// The hooks through which modules report what they do, in simulated cycles. Traces, the power
// timeline and the progress bar are observers; the modules do not know which are attached.
// Loosely-timed modules learn a tile's busy interval or a transfer's port occupancy when they
// reserve it, which is often ahead of simulated time and not in time order, so an observer must
// accept intervals in any order.
#pragma once

#include <cstdint>

#include "workloads/tiled_program.h"

namespace acceltran::activity {

// Bandwidth ports that report their busy intervals.
enum class Port : std::uint8_t { ActivationBuffer = 0, WeightBuffer = 1, MaskBuffer = 2, MainMemory = 3 };
constexpr int kPorts = 4;
const char* to_string(Port p);

// One tile computed by one unit (or back-to-back tiles of one job: see wants_tiles()).
struct TileEvent {
    workloads::UnitClass unit_class;
    int pe = 0;
    int unit = 0;              // index within its class in the PE
    std::uint32_t entry = 0;   // program entry (a compute entry: one op)
    double start = 0, end = 0; // busy interval of the unit's compute pipeline
    std::uint32_t pre_sparsity_tiles = 0;   // tiles the lane's pre-sparsity unit handled
    std::uint32_t post_sparsity_tiles = 0;  // output tiles its post-sparsity unit compared
    double conversion_cycles = 0;  // the part of the busy cycles spent converting number formats (TileWork)
    std::uint32_t tiles = 1;       // tiles the event covers: more than 1 only for a run (wants_tiles())
    // Units the event covers: more than 1 for a job group of the fast detail level (units `unit`
    // .. `unit + units - 1` of the PE, numbered on into the next PEs past its last, each busy
    // for part of [start, end)), whose busy unit-cycles in all are `group_busy`, and whose
    // counts above are the group's sums. Without wants_tiles() the fast level may report so.
    std::uint32_t units = 1;
    double group_busy = 0;
    double busy_unit_cycles() const { return units > 1 ? group_busy : end - start; }
};

class ActivityObserver {
public:
    virtual ~ActivityObserver() = default;
    // Whether on_tile must see every tile. Otherwise the fast detail level may report a run of
    // back-to-back tiles of one unit as one event (start of the first, end of the last, summed
    // sparsity counts and conversion cycles), which is the same activity.
    virtual bool wants_tiles() const { return false; }
    virtual void on_tile(const TileEvent&) {}
    // The port moved `bytes` during [start, end). The default ignores it and notes that this
    // observer does not listen, so that ObserverList stops calling it (several port
    // reservations per tile at the full detail level).
    virtual void on_port_busy(Port, double start, double end, double bytes) { hears_ports_ = false; }
    // False once the default on_port_busy() has run: the observer does not override it.
    bool hears_ports() const { return hears_ports_; }
    // A compute unit's job for program entry `entry` (a compute entry) read or wrote `bytes` of
    // a buffer in all: once per buffer and direction when the job ends (the transfers' port
    // time reaches on_port_busy, which cannot tell whose bytes they carry). The DMA's side is
    // on_dma_transfer with the entry's bytes.
    virtual void on_buffer_bytes(std::uint32_t entry, workloads::BufferKind buffer, bool write,
                                 std::uint64_t bytes) {}
    // A DMA channel spent [start, end) on program entry `entry` (a load, spill or store).
    virtual void on_dma_transfer(int channel, std::uint32_t entry, double start, double end) {}
    // The planned occupancy of a buffer became `bytes` at cycle `at`.
    virtual void on_occupancy(workloads::BufferKind, double at, std::uint64_t bytes) {}
    // A program entry retired at cycle `at`; `retired` of `total` are done.
    virtual void on_retire(std::uint32_t entry, double at, std::uint64_t retired, std::uint64_t total) {}

private:
    bool hears_ports_ = true;
};

}  // namespace acceltran::activity
