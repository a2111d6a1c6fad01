// trace.vcd: a waveform of the run, one scope per module instance (pe0/lane3, pe0/softmax1,
// dma/channel0, activation_buffer, main_memory, ...). Compute units carry `busy`, the current
// `op` (op id; x when idle) and `power_w`; DMA channels `busy` and the `tensor` they move;
// buffers `busy` (port), `occupancy_bytes` and `power_w`; main memory `busy` and `power_w`;
// dma and total `power_w`. Real-valued power comes from the unit's figures in the technology
// table (compute units, exact per tile) or from the timeline's sample periods (the rest).
//
// Loosely-timed modules report intervals ahead of simulated time and out of order, so the trace
// is kept in memory and written, sorted, after the run. Only scopes that match the filter are
// recorded, and only intervals touching the window, which is what keeps large runs affordable.
#pragma once

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "core/accelerator_config.h"
#include "modules/power/technology.h"
#include "modules/activity/activity_observer.h"
#include "modules/trace/timeline_report.h"
#include "workloads/tiled_program.h"

namespace acceltran::trace {

// The trace layer implements the interface models report through (modules/activity/).
using activity::ActivityObserver;
using activity::kPorts;
using activity::Port;
using activity::TileEvent;

struct VcdOptions {
    // Glob patterns (fnmatch) on scope paths such as "pe0/lane3"; a scope is kept when a pattern
    // matches its path or one of its ancestors' ("pe0" keeps all of pe0). Empty keeps all.
    std::vector<std::string> filters;
    double window_start = 0;                                    // cycles
    double window_end = std::numeric_limits<double>::infinity();  // cycles, exclusive
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
    void write(std::ostream& out, double end_cycle, const TimelineReport& timeline) const;

    // Whether a scope path passes the filter (exposed for tests and `--help` examples).
    static bool matches(const std::vector<std::string>& filters, const std::string& path);

private:
    struct Interval {
        double start, end;
        std::int64_t value;  // op id or tensor id
    };
    // One traced instance with its recorded intervals.
    struct Track {
        std::string path;
        bool kept = false;
        std::vector<Interval> busy;
    };

    bool in_window(double start, double end) const {
        return end >= options_.window_start && start <= options_.window_end;
    }
    void add(Track& track, double start, double end, std::int64_t value, bool coalesce);

    const AcceleratorConfig& config_;
    const workloads::TiledProgram& program_;
    VcdOptions options_;
    double period_ps_;
    double busy_mw_[workloads::kUnitClasses], idle_mw_[workloads::kUnitClasses];
    std::vector<Track> units_[workloads::kUnitClasses];  // [class][pe * per_pe + unit]
    std::vector<Track> channels_;
    Track ports_[kPorts];
    std::vector<std::pair<double, std::uint64_t>> occupancy_[workloads::kBufferKinds];
    bool keep_dma_, keep_total_;
};

}  // namespace acceltran::trace
