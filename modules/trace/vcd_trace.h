// trace.vcd: a waveform of the run, one scope per module instance (pe0/lane3, pe0/softmax1,
// dma/channel0, activation_buffer, main_memory, ...). Compute units carry `busy`, the current
// `op` (op id; x when idle) and `power_w`; DMA channels `busy` and the `tensor` they move;
// buffers `busy` (port), `occupancy_bytes` and `power_w`; main memory `busy` and `power_w`;
// dma and total `power_w`. Real-valued power comes from the unit's figures in the technology
// table (compute units, exact per tile) or from the timeline's sample periods (the rest).
//
// Loosely-timed modules report intervals ahead of simulated time and out of order, so the trace
// is written, sorted, after the run. What it records goes through an external merge sort
// (external_sort.h): with a spill directory, memory holds at most `chunk_records` value-change
// events (and as many port intervals) and the rest waits on disk in sorted runs, so a long run
// costs disk, not memory. Only scopes that match the filter are recorded, and only intervals
// touching the window.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <ostream>
#include <string>
#include <vector>

#include "core/accelerator_config.h"
#include "modules/power/technology.h"
#include "modules/activity/activity_observer.h"
#include "modules/trace/external_sort.h"
#include "modules/trace/timeline_report.h"
#include "modules/trace/trace_selection.h"
#include "workloads/tiled_program.h"

namespace acceltran::trace {

// The trace layer implements the interface models report through (modules/activity/).
using activity::ActivityObserver;
using activity::kPorts;
using activity::Port;
using activity::TileEvent;

// The selection (filters and window, trace_selection.h) and how recording spills to disk.
struct VcdOptions : TraceSelection {
    // Where the recorded events spill, in a file unlinked as soon as it is created (spill_file.h);
    // the CLI uses the run's temporary output directory. Empty: everything stays in memory.
    std::string spill_directory;
    // Events held in memory before a sorted run is spilled (24 bytes each: 2 Mi are 48 MiB), and
    // how many runs one merge reads at a time. Tests make them tiny to take the spilling path.
    std::size_t chunk_records = std::size_t(1) << 21;
    std::size_t merge_fan_in = 64;
};

class VcdTrace : public ActivityObserver {
public:
    VcdTrace(const AcceleratorConfig& config, const power::Technology& technology,
             const workloads::TiledProgram& program, VcdOptions options);

    void on_tile(const TileEvent& t) override;
    void on_port_busy(Port p, double start, double end, double bytes) override;
    void on_dma_transfer(int channel, std::uint32_t entry, double start, double end) override;
    void on_occupancy(workloads::BufferKind b, double at, std::uint64_t bytes) override;

    // Writes the VCD of a run that ended at `end_cycle`; `timeline` supplies the sampled power.
    // It consumes what was recorded: call it once, after the run. Throws SimulationError naming
    // the spill file and errno when spilling failed (then or during the run).
    void write(std::ostream& out, double end_cycle, const TimelineReport& timeline);

    // The filters that matched no scope of this design (a typo, or a PE it does not have), and
    // the scopes a design has, for the warning that names them.
    std::vector<std::string> unmatched_filters() const;
    static std::string scopes(const AcceleratorConfig& config);

    // Sorted runs written to the spill file so far (0 while everything fits the chunk).
    std::size_t spilled_runs() const { return events_.spilled_runs() + stretches_.spilled_runs(); }

private:
    enum class VarType { Wire, Integer, Real };
    struct Signal {
        std::string scope;  // path, e.g. "pe0/lane3"
        std::string name;
        VarType type;
        std::string id;
        double initial;  // NaN: x
    };
    // A group of signals that change together: a unit (busy, op, power_w), a DMA channel (busy,
    // tensor), a port's busy wire, or one real signal (occupancy or sampled power). Where several
    // changes of a signal fall on one picosecond, the last counts, and the written order of
    // signals is that of their first change; both are fixed by sorting events on (time, block,
    // sequence number within the block), which is the order the trace has always had.
    enum class BlockKind : std::uint8_t { Unit, Channel, PortBusy, Value };
    enum class Source : std::uint8_t { Recorded, Dma, Buffer, MainMemory, Total };  // of a Value
    struct Block {
        BlockKind kind;
        Source source = Source::Recorded;
        std::uint8_t index = 0;  // unit class or buffer
        std::uint32_t first_signal;
    };
    // A unit's or channel's interval start (even sequence number) or end (odd), a port's merged
    // busy stretch likewise, or a Value block's value.
    struct Event {
        std::uint64_t t;      // ps
        std::uint64_t order;  // block << kSeqBits | sequence number
        double value;         // op or tensor id at a start; the value of a Value block
    };
    struct EventOrder {
        bool operator()(const Event& a, const Event& b) const {
            return a.t != b.t ? a.t < b.t : a.order < b.order;
        }
    };
    // A port's busy interval in cycles; merged into stretches once sorted by start.
    struct Stretch {
        double start, end;
        std::uint64_t port;
    };
    struct StretchOrder {
        bool operator()(const Stretch& a, const Stretch& b) const {
            return a.port != b.port ? a.port < b.port : a.start < b.start;
        }
    };
    static constexpr int kSeqBits = 40;

    struct Interval {
        double start, end;
        std::int64_t value;  // op id or tensor id
    };
    // One traced instance. Its last interval is held back while later tiles may extend it.
    struct Track {
        std::string path;
        bool kept = false;
        std::uint32_t block = 0;
        int port = -1;               // a port's track: intervals go to stretches_
        std::uint64_t emitted = 0;   // intervals recorded so far
        bool pending = false;
        Interval last{};
    };

    std::uint64_t ps(double cycle) const { return std::uint64_t(std::llround(cycle * period_ps_)); }
    std::uint32_t add_block(Block b);
    void add_signal(const std::string& scope, const std::string& name, VarType type, double initial);
    void add(Track& track, double start, double end, std::int64_t value, bool coalesce);
    void record(Track& track, const Interval& i);
    void push(std::uint32_t block, std::uint64_t seq, std::uint64_t t, double value);
    void write_header(std::ostream& out) const;
    static void write_value(std::ostream& out, VarType type, double v, const std::string& id);

    const AcceleratorConfig& config_;
    const workloads::TiledProgram& program_;
    VcdOptions options_;
    double period_ps_;
    double busy_mw_[workloads::kUnitClasses], idle_mw_[workloads::kUnitClasses];
    std::vector<Track> units_[workloads::kUnitClasses];  // [class][pe * per_pe + unit]
    std::vector<Track> channels_;
    std::vector<bool> filter_used_;  // per options_.filters entry: whether it kept some scope
    bool keep(const std::string& path);  // matches(), noting which filters matched
    Track ports_[kPorts];
    std::uint32_t occupancy_block_[workloads::kBufferKinds] = {};
    std::uint64_t occupancy_seq_[workloads::kBufferKinds] = {};
    std::vector<Signal> signals_;
    std::vector<Block> blocks_;
    ExternalSort<Event, EventOrder> events_;
    ExternalSort<Stretch, StretchOrder> stretches_;
    std::exception_ptr error_;  // the first spill error during the run, thrown by write()
};

}  // namespace acceltran::trace
