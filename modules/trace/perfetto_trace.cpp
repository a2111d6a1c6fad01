#include "modules/trace/perfetto_trace.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/errors.h"

namespace acceltran::trace {

namespace {
const char* const kUnitName[workloads::kUnitClasses] = {"lane", "softmax", "layernorm"};

// Microseconds with picosecond resolution.
std::string fixed(double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.6f", v);
    return buf;
}

// A slice's "ts" and "dur" fields (µs). Its start and end are each rounded to whole nanoseconds
// once and the duration is their difference, so that a viewer that converts ts and dur to
// nanoseconds separately (Perfetto does) sees back-to-back slices on a track touch, never
// overlap. Rounding ts and dur each from picoseconds overlapped 211 of BERT-Tiny's 62,991 slices.
std::string slice_time(double start_us, double end_us) {
    const long long start = std::llround(start_us * 1e3), end = std::max(start, std::llround(end_us * 1e3));
    char buf[96];
    std::snprintf(buf, sizeof buf, "\"ts\":%lld.%03lld,\"dur\":%lld.%03lld", start / 1000, start % 1000,
                  (end - start) / 1000, (end - start) % 1000);
    return buf;
}
}  // namespace

PerfettoSlices parse_perfetto_slices(const std::string& text, const std::string& option) {
    if (text == "runs") return PerfettoSlices::Runs;
    if (text == "tiles") return PerfettoSlices::Tiles;
    throw UsageError(option + ": expected runs or tiles, got '" + text + "'");
}

PerfettoTrace::PerfettoTrace(std::ostream& out, const AcceleratorConfig& config,
                             const workloads::TiledProgram& program, TraceSelection selection, PerfettoSlices slices)
    : out_(out), program_(program), mhz_(config.clock_mhz), slices_(slices), selection_(std::move(selection)) {
    per_pe_[0] = config.lanes_per_pe;
    per_pe_[1] = config.softmax_per_pe;
    per_pe_[2] = config.layernorm_per_pe;
    unit_named_.assign(std::size_t(config.pes) * std::size_t(per_pe_[0] + per_pe_[1] + per_pe_[2]), 0);
    open_runs_.resize(unit_named_.size());
    // Tracks in the order on_tile numbers them: per PE, lanes, then softmax, then layer norm.
    for (int p = 0; p < config.pes; ++p)
        for (int c = 0; c < workloads::kUnitClasses; ++c)
            for (int u = 0; u < per_pe_[c]; ++u)
                unit_kept_.push_back(selection_.keep(TraceSelection::unit_path(p, c, u), filter_used_));
    for (int c = 0; c < config.dma.channels; ++c)
        channel_kept_.push_back(selection_.keep("dma/channel" + std::to_string(c), filter_used_));
    power_kept_ = selection_.keep("power", filter_used_);
    occupancy_kept_ = selection_.keep("occupancy", filter_used_);
    for (const auto& op : program.graph->ops) op_names_.push_back(nlohmann::json(op.name).dump());
    out_ << "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"clock_mhz\":" << config.clock_mhz
         << "},\"traceEvents\":[\n";
}

void PerfettoTrace::event_prefix() {
    if (!first_) out_ << ",\n";
    first_ = false;
}

void PerfettoTrace::name_track(int pid, int tid, const std::string& process, const std::string& thread) {
    if (!named_.insert({pid, tid}).second) return;
    if (named_.insert({pid, -1}).second) {
        event_prefix();
        out_ << "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" << pid << ",\"args\":{\"name\":\"" << process
             << "\"}},\n{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":" << pid
             << ",\"args\":{\"sort_index\":" << pid << "}}";
    }
    event_prefix();
    out_ << "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":" << pid << ",\"tid\":" << tid
         << ",\"args\":{\"name\":\"" << thread << "\"}},\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":"
         << pid << ",\"tid\":" << tid << ",\"args\":{\"sort_index\":" << tid << "}}";
}

void PerfettoTrace::on_tile(const TileEvent& t) {
    if (t.units <= 1) {
        on_unit_tile(t, t.pe, t.unit, t.end - t.start, t.tiles);
        return;
    }
    // A job group's event: each of its units on its own track over the group's interval, with
    // an equal share of the busy cycles and of the tiles (the first units take the remainder, so
    // the tiles add up; the units are numbered on into the next PEs).
    const int per_pe = per_pe_[int(t.unit_class)];
    const double busy = t.busy_unit_cycles() / double(t.units);
    for (std::uint32_t u = 0; u < t.units; ++u) {
        const int global = t.pe * per_pe + t.unit + int(u);
        const std::uint32_t tiles = t.tiles / t.units + (u < t.tiles % t.units ? 1 : 0);
        if (tiles > 0) on_unit_tile(t, global / per_pe, global % per_pe, busy, tiles);
    }
}

void PerfettoTrace::on_unit_tile(const TileEvent& t, int pe, int unit, double busy, std::uint32_t tiles) {
    const int c = int(t.unit_class);
    const int pid = pe + 1;
    // Lanes first, then softmax units, then the layer-norm unit: one track each.
    int tid = unit;
    for (int k = 0; k < c; ++k) tid += per_pe_[k];
    const std::size_t track = std::size_t(pe) * std::size_t(per_pe_[0] + per_pe_[1] + per_pe_[2]) + std::size_t(tid);
    if (!unit_kept_[track] || !selection_.in_window(t.start, t.end)) return;
    char& named = unit_named_[track];
    if (!named) {
        name_track(pid, tid, "pe" + std::to_string(pe), std::string(kUnitName[c]) + std::to_string(unit));
        named = 1;
    }
    const int op = program_.entries[t.entry].op;
    OpenRun& run = open_runs_[track];
    const double tile_cycles = (t.end - t.start) / double(std::max<std::uint32_t>(tiles, 1));
    // Joins the open run when it is the same op, later on the track, after a gap no longer than
    // a tile: longer waits (for a block's operands, say) stay visible as gaps. (A millionth of a
    // cycle allows for the float sums of the event times.)
    if (slices_ == PerfettoSlices::Runs && run.tiles > 0 && run.op == op && t.start + 1e-6 >= run.end &&
        t.start - run.end <= run.tile_cycles) {
        run.end = t.end;
        run.busy += busy;
        run.tiles += tiles;
        run.tile_cycles = tile_cycles;
        return;
    }
    if (run.tiles > 0) write_slice(run);
    run = OpenRun{pid, tid, op, t.entry, t.start, t.end, busy, tile_cycles, tiles};
    if (slices_ == PerfettoSlices::Tiles) {
        write_slice(run);
        run.tiles = 0;
    }
}

void PerfettoTrace::write_slice(const OpenRun& run) {
    const workloads::Op& op = program_.graph->ops[std::size_t(run.op)];
    // One formatted write per slice: with PerfettoSlices::Tiles this runs for every tile op.
    const std::string& name = op_names_[std::size_t(op.id)];
    const char* kind = to_string(op.kind);
    std::vector<char>& buf = slice_buffer_;
    buf.resize(name.size() + 320);
    const int n = std::snprintf(buf.data(), buf.size(),
                                "%s{\"ph\":\"X\",\"pid\":%d,\"tid\":%d,%s,\"name\":%s,\"cat\":\"%s\",\"args\":"
                                "{\"op_kind\":\"%s\",\"layer\":%d,\"op\":%d,\"entry\":%u,\"tiles\":%llu,\"busy_us\":%s}}",
                                first_ ? "" : ",\n", run.pid, run.tid, slice_time(us(run.start), us(run.end)).c_str(),
                                name.c_str(), kind, kind, op.layer, op.id, unsigned(run.entry),
                                static_cast<unsigned long long>(run.tiles), fixed(us(run.busy)).c_str());
    first_ = false;
    out_.write(buf.data(), std::min<std::streamsize>(n, std::streamsize(buf.size()) - 1));
}

void PerfettoTrace::on_dma_transfer(int channel, std::uint32_t entry_index, double start, double end) {
    if (!channel_kept_[std::size_t(channel)] || !selection_.in_window(start, end)) return;
    name_track(kMemoryProcess, channel, "memory system", "dma channel " + std::to_string(channel));
    const auto& entry = program_.entries[entry_index];
    const std::string tensor = entry.tensor >= 0 ? program_.graph->tensors[entry.tensor].name : "?";
    event_prefix();
    out_ << "{\"ph\":\"X\",\"pid\":" << kMemoryProcess << ",\"tid\":" << channel << ","
         << slice_time(us(start), us(end)) << ",\"name\":"
         << nlohmann::json(std::string(to_string(entry.kind)) + " " + tensor).dump()
         << ",\"cat\":\"dma\",\"args\":{\"kind\":\"" << to_string(entry.kind) << "\",\"tensor\":"
         << nlohmann::json(tensor).dump() << ",\"data_bytes\":" << entry.data_bytes
         << ",\"mask_bytes\":" << entry.mask_bytes << ",\"entry\":" << entry_index << "}}";
}

std::string PerfettoTrace::scopes(const AcceleratorConfig& config) {
    return TraceSelection::unit_and_channel_scopes(config) + "; power; occupancy";
}

void PerfettoTrace::finish(const TimelineReport& timeline) {
    for (OpenRun& run : open_runs_)
        if (run.tiles > 0) {
            write_slice(run);
            run.tiles = 0;
        }
    const auto& samples = timeline.samples();
    for (std::size_t i = 0; i < samples.size(); ++i) {
        if (samples[i].cycles <= 0 ||
            !selection_.in_window(samples[i].start, samples[i].start + samples[i].cycles))
            continue;
        const power::EnergyBreakdown& e = timeline.energies()[i];
        const double s = timeline.seconds(i);
        const std::string ts = fixed(us(samples[i].start));
        if (power_kept_) {
            event_prefix();
            out_ << "{\"ph\":\"C\",\"pid\":" << kMemoryProcess << ",\"name\":\"power (W)\",\"ts\":" << ts
                 << ",\"args\":{\"mac_lanes\":" << e.mac_lanes.total() / s << ",\"softmax\":" << e.softmax.total() / s
                 << ",\"layernorm\":" << e.layernorm.total() / s << ",\"sparsity\":" << e.sparsity.total() / s
                 << ",\"fifo\":" << e.fifo.total() / s << ",\"dataflow\":" << e.dataflow.total() / s
                 << ",\"dma\":" << e.dma.total() / s << ",\"buffers\":"
                 << (e.buffers[0].total() + e.buffers[1].total() + e.buffers[2].total()) / s
                 << ",\"main_memory\":" << e.main_memory.total() / s << "}}";
        }
        if (occupancy_kept_) {
            event_prefix();
            out_ << "{\"ph\":\"C\",\"pid\":" << kMemoryProcess << ",\"name\":\"buffer occupancy (bytes)\",\"ts\":" << ts
                 << ",\"args\":{\"activation\":" << samples[i].peak_occupancy[0]
                 << ",\"weight\":" << samples[i].peak_occupancy[1] << ",\"mask\":" << samples[i].peak_occupancy[2]
                 << "}}";
        }
    }
    out_ << "\n]}\n";
}

}  // namespace acceltran::trace
