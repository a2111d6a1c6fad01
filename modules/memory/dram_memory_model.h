// `dram`: main memory as channels x ranks x banks with row buffers, event-driven (work per
// transaction and per burst, never per cycle). Address mapping, burst-interleaved over channels:
//   burst = address / (bus_bits/8 x burst_length); channel = burst mod C; then column (bursts
//   within a row), bank, rank, row from the remaining bits, lowest first.
// A transaction's bursts are grouped per channel into runs on one row; a run on bank b:
//   row hit       data may start tCL (reads; tCWL writes) after the arrival,
//   row empty     tRCD + tCL after the bank is free (a miss),
//   other row     tRP + tRCD + tCL after the bank is free and its write recovery tWR is over
//                 (a conflict),
// then waits for the channel's data bus and holds it for runs x burst_length / data_rate.
// Closed-page policy precharges after every run (tRP on the bank, the next access is a miss).
// All-bank refresh: every tREFI each rank is blocked for tRFC and its rows close. Presets
// lpddr3-1600, hbm2 and rram-m3d (no refresh, asymmetric read/write latency) set every figure;
// any parameter given in the YAML overrides the preset's. Formulas and sources:
// docs/model-reference.md §8a.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/memory_model.h"

namespace acceltran {

struct DramTiming {
    int channels = 1, ranks = 1, banks = 8;
    int bus_bits = 32;
    double data_rate_mtps = 1600;  // transfers per second per pin, in millions
    int burst_length = 8;
    int row_bytes = 4096;          // row (page) size of one bank of one channel
    double trcd_ns = 18, trp_ns = 18, tcl_ns = 15, tcwl_ns = 7.5, twr_ns = 15;
    double trefi_ns = 3900, trfc_ns = 130;  // trefi_ns = 0: no refresh
    bool open_page = true;
    double activate_energy_nj = 0;

    int burst_bytes() const { return bus_bits / 8 * burst_length; }
    double burst_ns() const { return burst_length * 1e3 / data_rate_mtps; }
    // channels x bus bytes x data rate, in bytes per ns (= GB/s).
    double peak_gbps() const { return channels * (bus_bits / 8.0) * data_rate_mtps * 1e-3; }
};

// The named preset's figures; an unknown name is an InputError listing the presets.
DramTiming dram_preset(const std::string& name);
std::vector<std::string> dram_preset_names();

class DramMemoryModel : public MemoryModel {
public:
    DramMemoryModel(const ModelContext& context, const ModelParameters& parameters);
    DramMemoryModel(const DramTiming& timing, double clock_mhz);
    static ModelEntry entry();

    double access(const AccessRequest& request) override;
    ModelStats stats() const override;
    double peak_bytes_per_cycle() const override;
    // Every figure the preset fills in (a count left at 0, a timing not given) as the model runs
    // with it; refresh: false gives trefi_ns 0.
    std::vector<std::pair<std::string, double>> effective_parameters() const override;
    const DramTiming& timing() const { return t_; }

    struct Counters {
        double row_hits = 0, row_misses = 0, row_conflicts = 0, refreshes = 0;
    };
    const Counters& counters() const { return counters_; }

private:
    struct Bank {
        long long open_row = -1;  // -1: precharged
        double data_end = 0;      // ns: its last data left the bus
        double ready = 0;         // ns: earliest activate (precharge and write recovery done)
    };
    struct Run {
        int channel = -1, rank = 0, bank = 0;
        long long row = 0;
        std::uint64_t bursts = 0, next_burst = 0;
    };
    double schedule(const Run& run, bool write, double arrival_ns);
    double refresh_adjust(int channel, int rank, double t_ns);
    Bank& bank(int channel, int rank, int b) {
        return banks_[(std::size_t(channel) * t_.ranks + std::size_t(rank)) * t_.banks + std::size_t(b)];
    }

    DramTiming t_;
    double ns_per_cycle_;
    std::vector<Bank> banks_;
    std::vector<double> bus_free_;             // per channel, ns
    std::vector<long long> refresh_seen_;      // per channel x rank: refresh windows passed
    std::vector<Run> runs_;                    // scratch: the current run per channel
    Counters counters_;
    double busy_ns_ = 0, queued_ns_ = 0;
};

}  // namespace acceltran
