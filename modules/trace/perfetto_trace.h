// trace.perfetto.json: the run as a Chrome trace-event timeline (opens in ui.perfetto.dev and
// chrome://tracing). One process per PE with one thread (track) per compute unit, and on it one
// slice per run of tiles of one op (PerfettoSlices::Runs) or per tile (::Tiles), named after its
// op, with the op kind, layer, program entry and tile count as arguments;
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

// What a unit track's slice stands for. A run is a sequence of tiles of one op on one unit that
// no other op's tile interrupts and no idle gap longer than a tile splits; it is drawn from the
// first tile's start to the last one's end, with its tile count and busy time as arguments.
// Runs keep a large run's trace small (tiles per op per unit grow with the model, runs do not)
// and let the fast detail level report back-to-back tiles as one event.
enum class PerfettoSlices { Runs, Tiles };
// "runs" or "tiles"; a UsageError naming `option` otherwise.
PerfettoSlices parse_perfetto_slices(const std::string& text, const std::string& option);

class PerfettoTrace : public ActivityObserver {
public:
    // Writes the opening of the JSON document to `out`, which must outlive the trace.
    PerfettoTrace(std::ostream& out, const AcceleratorConfig& config, const workloads::TiledProgram& program,
                  TraceSelection selection = {}, PerfettoSlices slices = PerfettoSlices::Runs);

    bool wants_tiles() const override { return slices_ == PerfettoSlices::Tiles; }
    void on_tile(const TileEvent& t) override;
    void on_dma_transfer(int channel, std::uint32_t entry, double start, double end) override;

    // Writes the open runs, adds the counter tracks and closes the document.
    void finish(const TimelineReport& timeline);

    // The filters that matched no track of this design, and the tracks a design has, for the
    // warning that names them.
    std::vector<std::string> unmatched_filters() const { return selection_.unmatched(filter_used_); }
    static std::string scopes(const AcceleratorConfig& config);

    static constexpr int kMemoryProcess = 0;  // PE p is process p + 1

private:
    // The run a unit track is collecting (PerfettoSlices::Runs); tiles == 0: none.
    struct OpenRun {
        int pid = 0, tid = 0;
        int op = -1;
        std::uint32_t entry = 0;  // the first tile's
        double start = 0, end = 0, busy = 0, tile_cycles = 0;  // tile_cycles: the last event's per tile
        std::uint64_t tiles = 0;
    };
    void write_slice(const OpenRun& run);
    // One unit's share of an event: `busy` cycles and `tiles` on unit `unit` of PE `pe`.
    void on_unit_tile(const TileEvent& t, int pe, int unit, double busy, std::uint32_t tiles);
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
    PerfettoSlices slices_;
    std::vector<OpenRun> open_runs_;  // per PE and track, as unit_named_
    TraceSelection selection_;
    std::vector<bool> filter_used_;  // per selection_.filters entry: whether it kept some track
    std::vector<char> unit_kept_;    // per PE and track, as unit_named_: passes the filters
    std::vector<char> channel_kept_;
    bool power_kept_, occupancy_kept_;
};

}  // namespace acceltran::trace
