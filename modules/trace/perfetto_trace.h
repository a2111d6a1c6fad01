// trace.perfetto.json: the run as a Chrome trace-event timeline (opens in ui.perfetto.dev and
// chrome://tracing). One process per PE with one thread (track) per compute unit and one slice
// per tile op, named after its op, with the op kind, layer and program entry as arguments;
// a "memory system" process with a track per DMA channel (one slice per load, spill or store);
// counter tracks for power per module class and buffer occupancy from the timeline.
// Slices are streamed to the file as the modules report them (any order is valid in this
// format), so the trace costs no memory however long the run. A TraceSelection keeps only the
// tracks whose path a filter matches (units "pe0/lane3", DMA channels "dma/channel0", the
// counters "power" and "occupancy") and only the slices and counter periods touching a window.
#pragma once

#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/accelerator_config.h"
#include "modules/activity/activity_observer.h"
#include "modules/trace/timeline_report.h"
#include "modules/trace/trace_selection.h"
#include "workloads/tiled_program.h"

namespace acceltran::trace {

// The trace layer implements the interface models report through (modules/activity/).
using activity::ActivityObserver;
using activity::kPorts;
using activity::Port;
using activity::TileEvent;

class PerfettoTrace : public ActivityObserver {
public:
    // Writes the opening of the JSON document to `out`, which must outlive the trace.
    PerfettoTrace(std::ostream& out, const AcceleratorConfig& config, const workloads::TiledProgram& program,
                  TraceSelection selection = {});

    bool wants_tiles() const override { return true; }  // one slice per tile op
    void on_tile(const TileEvent& t) override;
    void on_dma_transfer(int channel, std::uint32_t entry, double start, double end) override;

    // Adds the counter tracks and closes the document.
    void finish(const TimelineReport& timeline);

    // The filters that matched no track of this design, and the tracks a design has, for the
    // warning that names them.
    std::vector<std::string> unmatched_filters() const { return selection_.unmatched(filter_used_); }
    static std::string scopes(const AcceleratorConfig& config);

    static constexpr int kMemoryProcess = 0;  // PE p is process p + 1

private:
    void event_prefix();
    void name_track(int pid, int tid, const std::string& process, const std::string& thread);
    double us(double cycles) const { return cycles / mhz_; }

    std::ostream& out_;
    const workloads::TiledProgram& program_;
    double mhz_;
    int per_pe_[workloads::kUnitClasses];
    bool first_ = true;
    std::set<std::pair<int, int>> named_;
    std::vector<std::string> op_names_;  // JSON-quoted per op id: escaped once, not per slice
    std::vector<char> slice_buffer_;
    std::vector<char> unit_named_;  // per PE and track: metadata written
    TraceSelection selection_;
    std::vector<bool> filter_used_;  // per selection_.filters entry: whether it kept some track
    std::vector<char> unit_kept_;    // per PE and track, as unit_named_: passes the filters
    std::vector<char> channel_kept_;
    bool power_kept_, occupancy_kept_;
};

}  // namespace acceltran::trace
