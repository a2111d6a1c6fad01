#include "modules/memory/dram_memory_model.h"

#include <algorithm>
#include <cmath>

#include "core/errors.h"

namespace acceltran {

namespace {

// Sources of every figure: docs/model-reference.md §8a (JESD209-3 for LPDDR3, JESD235 for
// HBM2; rram-m3d is our assumption).
DramTiming lpddr3_1600() {
    DramTiming t;
    t.channels = 4;  // four x32 channels: 4 x 6.4 = 25.6 GB/s, the Edge design point's bandwidth
    t.ranks = 1;
    t.banks = 8;
    t.bus_bits = 32;
    t.data_rate_mtps = 1600;
    t.burst_length = 8;
    t.row_bytes = 4096;
    t.trcd_ns = 18;
    t.trp_ns = 18;
    t.tcl_ns = 15;    // RL 12 at tCK 1.25 ns
    t.tcwl_ns = 7.5;  // WL 6 (set A) at tCK 1.25 ns
    t.twr_ns = 15;
    t.trefi_ns = 3900;
    t.trfc_ns = 130;  // tRFCab, 4 Gb die
    return t;
}

DramTiming hbm2() {
    DramTiming t;
    t.channels = 8;  // one stack: 8 x 128 bits x 2 Gb/s = 256 GB/s
    t.ranks = 1;
    t.banks = 16;
    t.bus_bits = 128;
    t.data_rate_mtps = 2000;
    t.burst_length = 4;
    t.row_bytes = 2048;
    t.trcd_ns = 14;
    t.trp_ns = 14;
    t.tcl_ns = 14;
    t.tcwl_ns = 8;
    t.twr_ns = 16;
    t.trefi_ns = 3900;
    t.trfc_ns = 260;  // tRFCab, 4 Gb channel
    return t;
}

DramTiming rram_m3d() {
    // HBM2's interface and organisation; the cell timings are RRAM's. Every figure is an
    // assumption: docs/model-reference.md §8a.
    DramTiming t = hbm2();
    t.trcd_ns = 10;   // opening a row (non-destructive: nothing to restore)
    t.trp_ns = 0;     // nothing to restore: closing a row is free
    t.tcl_ns = 10;    // read: sensing the cells
    t.tcwl_ns = 5;
    t.twr_ns = 50;    // write: SET/RESET programming of the written cells holds the bank
    t.trefi_ns = 0;   // non-volatile: no refresh
    t.trfc_ns = 0;
    return t;
}

}  // namespace

std::vector<std::string> dram_preset_names() { return {"lpddr3-1600", "hbm2", "rram-m3d"}; }

DramTiming dram_preset(const std::string& name) {
    if (name == "lpddr3-1600") return lpddr3_1600();
    if (name == "hbm2") return hbm2();
    if (name == "rram-m3d") return rram_m3d();
    throw InputError("unknown DRAM preset '" + name + "'; presets: lpddr3-1600, hbm2, rram-m3d");
}

ModelEntry DramMemoryModel::entry() {
    const double big = 1e9;
    return memory_model_entry<DramMemoryModel>(
        "dram",
        "channels x ranks x banks with row buffers (hit/miss/conflict from tRCD, tRP, tCL, burst length), refresh, open or closed page",
        {ParameterSpec::choice("preset", "lpddr3-1600", dram_preset_names(), "figures every parameter not given defaults to"),
         ParameterSpec::integer("dram_channels", 0, 0, 1024, "independent channels (0: the preset's)"),
         ParameterSpec::integer("dram_ranks", 0, 0, 64, "ranks per channel (0: the preset's)"),
         ParameterSpec::integer("dram_banks", 0, 0, 1024, "banks per rank (0: the preset's)"),
         ParameterSpec::integer("bus_bits", 0, 0, 4096, "data bus width per channel in bits, a multiple of 8 (0: the preset's)"),
         ParameterSpec::number("data_rate_mtps", 0, 0, big, "transfers per second per pin in millions (0: the preset's)"),
         ParameterSpec::integer("burst_length", 0, 0, 1024, "transfers per burst (0: the preset's)"),
         ParameterSpec::integer("row_bytes", 0, 0, 1 << 24, "row (page) size per bank in bytes (0: the preset's)"),
         ParameterSpec::number("trcd_ns", 0, 0, big, "activate to read/write, ns (preset's unless given)"),
         ParameterSpec::number("trp_ns", 0, 0, big, "precharge, ns (preset's unless given)"),
         ParameterSpec::number("tcl_ns", 0, 0, big, "read command to data, ns (preset's unless given)"),
         ParameterSpec::number("tcwl_ns", 0, 0, big, "write command to data, ns (preset's unless given)"),
         ParameterSpec::number("twr_ns", 0, 0, big, "write recovery before a precharge, ns (preset's unless given)"),
         ParameterSpec::number("trefi_ns", 0, 0, big, "refresh interval, ns; 0: no refresh (preset's unless given)"),
         ParameterSpec::number("trfc_ns", 0, 0, big, "refresh cycle time, ns (preset's unless given)"),
         ParameterSpec::boolean("refresh", true, "false: no refresh whatever the preset says"),
         ParameterSpec::choice("page_policy", "open", {"open", "closed"}, "open: rows stay open after an access; closed: precharge after each"),
         ParameterSpec::number("activate_energy_nj", 0, 0, big,
                               "energy of one activate + precharge, nJ, added to the per-byte energy of the technology table")});
}

namespace {

DramTiming timing_from(const ModelParameters& p) {
    DramTiming t = dram_preset(p.text("preset"));
    auto count = [&](const char* name, int& field) {
        if (p.integer(name) > 0) field = int(p.integer(name));
    };
    count("dram_channels", t.channels);
    count("dram_ranks", t.ranks);
    count("dram_banks", t.banks);
    count("bus_bits", t.bus_bits);
    count("burst_length", t.burst_length);
    count("row_bytes", t.row_bytes);
    if (p.number("data_rate_mtps") > 0) t.data_rate_mtps = p.number("data_rate_mtps");
    auto ns = [&](const char* name, double& field) {
        if (p.given(name)) field = p.number(name);
    };
    ns("trcd_ns", t.trcd_ns);
    ns("trp_ns", t.trp_ns);
    ns("tcl_ns", t.tcl_ns);
    ns("tcwl_ns", t.tcwl_ns);
    ns("twr_ns", t.twr_ns);
    ns("trefi_ns", t.trefi_ns);
    ns("trfc_ns", t.trfc_ns);
    if (!p.boolean("refresh")) t.trefi_ns = 0;
    t.open_page = p.text("page_policy") == "open";
    t.activate_energy_nj = p.number("activate_energy_nj");
    if (t.bus_bits % 8 != 0)
        throw InputError("dram: bus_bits must be a multiple of 8, got " + std::to_string(t.bus_bits));
    if (t.row_bytes % t.burst_bytes() != 0)
        throw InputError("dram: row_bytes (" + std::to_string(t.row_bytes) + ") must be a multiple of a burst (" +
                         std::to_string(t.burst_bytes()) + " bytes = bus_bits/8 x burst_length)");
    if (t.trefi_ns > 0 && !(t.trfc_ns < t.trefi_ns))
        throw InputError("dram: trfc_ns must be shorter than trefi_ns");
    return t;
}

}  // namespace

DramMemoryModel::DramMemoryModel(const ModelContext& c, const ModelParameters& p)
    : DramMemoryModel(timing_from(p), c.clock_mhz) {}

DramMemoryModel::DramMemoryModel(const DramTiming& timing, double clock_mhz)
    : t_(timing),
      ns_per_cycle_(1e3 / clock_mhz),
      banks_(std::size_t(t_.channels) * t_.ranks * t_.banks),
      bus_free_(std::size_t(t_.channels), 0.0),
      refresh_seen_(std::size_t(t_.channels) * t_.ranks, 0),
      runs_(std::size_t(t_.channels)) {}

std::vector<std::pair<std::string, double>> DramMemoryModel::effective_parameters() const {
    return {{"dram_channels", t_.channels}, {"dram_ranks", t_.ranks},     {"dram_banks", t_.banks},
            {"bus_bits", t_.bus_bits},      {"burst_length", t_.burst_length}, {"row_bytes", t_.row_bytes},
            {"data_rate_mtps", t_.data_rate_mtps}, {"trcd_ns", t_.trcd_ns}, {"trp_ns", t_.trp_ns},
            {"tcl_ns", t_.tcl_ns},          {"tcwl_ns", t_.tcwl_ns},      {"twr_ns", t_.twr_ns},
            {"trefi_ns", t_.trefi_ns},      {"trfc_ns", t_.trfc_ns}};
}

double DramMemoryModel::peak_bytes_per_cycle() const { return t_.peak_gbps() * ns_per_cycle_; }

double DramMemoryModel::refresh_adjust(int channel, int rank, double t) {
    if (t_.trefi_ns <= 0) return t;
    const long long k = (long long)std::floor(t / t_.trefi_ns);
    long long& seen = refresh_seen_[std::size_t(channel) * t_.ranks + std::size_t(rank)];
    if (k > seen) {
        // Refreshes happened since this rank was last used: they closed every row.
        counters_.refreshes += double(k - seen);
        seen = k;
        for (int b = 0; b < t_.banks; ++b) bank(channel, rank, b).open_row = -1;
    }
    if (k >= 1 && t < k * t_.trefi_ns + t_.trfc_ns) t = k * t_.trefi_ns + t_.trfc_ns;
    return t;
}

double DramMemoryModel::schedule(const Run& run, bool write, double arrival) {
    Bank& b = bank(run.channel, run.rank, run.bank);
    double& bus = bus_free_[std::size_t(run.channel)];
    const double column = write ? t_.tcwl_ns : t_.tcl_ns;
    const double duration = double(run.bursts) * t_.burst_ns();
    double t = arrival, earliest_data = 0, start = 0;
    enum { Hit, Miss, Conflict } kind = Hit;
    // At most a few rounds: a refresh window in the way moves the access after it (and closes
    // the row), which can meet the next window only if tRFC were close to tREFI.
    for (int round = 0; round < 4; ++round) {
        t = refresh_adjust(run.channel, run.rank, t);
        if (b.open_row == (long long)run.row) {
            kind = Hit;  // column commands pipeline behind the bank's previous data
            earliest_data = std::max(t + column, b.data_end);
        } else if (b.open_row < 0) {
            kind = Miss;
            earliest_data = std::max(t, b.ready) + t_.trcd_ns + column;
        } else {
            kind = Conflict;
            earliest_data = std::max(t, b.ready) + t_.trp_ns + t_.trcd_ns + column;
        }
        start = std::max(earliest_data, bus);
        if (t_.trefi_ns <= 0) break;
        // The commands issue from `issue` on; the data ends at start + duration. A refresh
        // window starting inside that span blocks the rank: retry after it.
        const double issue = earliest_data - column - (kind == Hit ? 0 : t_.trcd_ns) - (kind == Conflict ? t_.trp_ns : 0);
        const long long next = (long long)std::floor(std::max(issue, t) / t_.trefi_ns) + 1;
        if (next * t_.trefi_ns >= start + duration) break;
        t = next * t_.trefi_ns;
    }
    if (kind == Hit) counters_.row_hits += 1;
    else if (kind == Miss) counters_.row_misses += 1;
    else counters_.row_conflicts += 1;
    const double end = start + duration;
    queued_ns_ += start - earliest_data;
    busy_ns_ += duration;
    bus = end;
    b.data_end = end;
    const double recovered = end + (write ? t_.twr_ns : 0);
    if (t_.open_page) {
        b.open_row = (long long)run.row;
        b.ready = recovered;  // a conflict's precharge waits for write recovery
    } else {
        b.open_row = -1;
        b.ready = recovered + t_.trp_ns;
    }
    const double share = 1.0 / t_.channels;
    report_busy(start / ns_per_cycle_, (start + duration * share) / ns_per_cycle_,
                double(run.bursts) * t_.burst_bytes());
    return end;
}

double DramMemoryModel::access(const AccessRequest& r) {
    const double arrival = r.arrival * ns_per_cycle_;
    if (r.bytes == 0) return r.arrival;
    const std::uint64_t burst_bytes = std::uint64_t(t_.burst_bytes());
    const std::uint64_t bursts_per_row = std::uint64_t(t_.row_bytes) / burst_bytes;
    const std::uint64_t C = std::uint64_t(t_.channels);
    const std::uint64_t first = r.address / burst_bytes, last = (r.address + r.bytes - 1) / burst_bytes;
    double done = arrival;
    for (auto& run : runs_) run.channel = -1;
    for (std::uint64_t burst = first; burst <= last; ++burst) {
        const int channel = int(burst % C);
        std::uint64_t rest = burst / C;
        rest /= bursts_per_row;  // column within the row
        const int b = int(rest % std::uint64_t(t_.banks));
        rest /= std::uint64_t(t_.banks);
        const int rank = int(rest % std::uint64_t(t_.ranks));
        const long long row = (long long)(rest / std::uint64_t(t_.ranks));
        Run& run = runs_[std::size_t(channel)];
        if (run.channel == channel && run.bank == b && run.rank == rank && run.row == row) {
            ++run.bursts;
            continue;
        }
        if (run.channel >= 0) done = std::max(done, schedule(run, r.write, arrival));
        run = Run{channel, rank, b, row, 1, 0};
    }
    for (const auto& run : runs_)
        if (run.channel >= 0) done = std::max(done, schedule(run, r.write, arrival));
    return done / ns_per_cycle_;
}

ModelStats DramMemoryModel::stats() const {
    ModelStats s;
    s.busy_cycles = busy_ns_ / t_.channels / ns_per_cycle_;
    s.queued_cycles = queued_ns_ / t_.channels / ns_per_cycle_;
    const double activates = counters_.row_misses + counters_.row_conflicts;
    s.energy_j = activates * t_.activate_energy_nj * 1e-9;
    s.counters = {{"row_hits", counters_.row_hits},
                  {"row_misses", counters_.row_misses},
                  {"row_conflicts", counters_.row_conflicts},
                  {"refreshes", counters_.refreshes}};
    return s;
}

}  // namespace acceltran
