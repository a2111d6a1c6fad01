// Activity per sample period: the source of timeline.csv, of peak power and of the plots.
// Intervals reported by the modules are spread over the periods they overlap, in proportion, so
// every period's busy cycles and bytes add up to the run's totals. The sample period is fixed
// (--sample-cycles) or adaptive: it starts at one cycle and doubles, merging neighbours, whenever
// the run outgrows kMaxSamples periods, so a run of any length ends with between kMaxSamples/2
// and kMaxSamples rows (fewer only for runs shorter than that many cycles).
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "modules/power/energy_model.h"
#include "modules/activity/activity_observer.h"

namespace acceltran::trace {

// The trace layer implements the interface models report through (modules/activity/).
using activity::ActivityObserver;
using activity::kPorts;
using activity::Port;
using activity::TileEvent;

struct TimelineSample {
    double start = 0;   // first cycle
    double cycles = 0;  // length (the last sample ends with the run)
    // Busy unit-cycles per class, sparsity tiles, buffer and main-memory bytes and port busy
    // cycles within the period; `activity.cycles` is the period length.
    power::RunActivity activity;
    double memory_busy_cycles = 0;
    double dma_busy_channel_cycles = 0;
    // Highest planned occupancy of each buffer during the period, in bytes.
    std::uint64_t peak_occupancy[workloads::kBufferKinds] = {0, 0, 0};
};

class Timeline : public ActivityObserver {
public:
    static constexpr std::size_t kMaxSamples = 4096;
    // A fixed period keeps one row per period for the whole run: --sample-cycles 1 on BERT-Base
    // (3.25 M cycles) took 1.7 GB, and a longer run would exhaust memory. A fixed timeline keeps
    // at most this many rows (256 times the adaptive maximum, about 0.4 GB at the end of the run);
    // activity past them is dropped and samples() refuses the run (a SimulationError, exit 1).
    static constexpr std::size_t kMaxFixedSamples = std::size_t(1) << 20;

    // sample_cycles > 0: fixed period; 0: adaptive (see above).
    explicit Timeline(double sample_cycles = 0);

    void on_tile(const TileEvent& t) override;
    void on_port_busy(Port p, double start, double end, double bytes) override;
    void on_dma_transfer(int channel, std::uint32_t entry, double start, double end) override;
    void on_occupancy(workloads::BufferKind b, double at, std::uint64_t bytes) override;

    double sample_cycles() const { return width_; }
    // The samples of a run that ended at `end_cycle`; activity reported after it is dropped.
    std::vector<TimelineSample> samples(double end_cycle) const;

private:
    enum Quantity {
        kLaneBusy, kSoftmaxBusy, kLayerNormBusy, kPreTiles, kPostTiles,
        kPortBusy0, kPortBytes0 = kPortBusy0 + kPorts, kDmaBusy = kPortBytes0 + kPorts, kQuantities
    };
    using Bin = std::array<double, kQuantities>;

    // Makes room for activity up to cycle `end`, widening the period if adaptive; returns the
    // bin `end` falls in. Inline for the common case of a bin that exists (called for every
    // tile and port reservation); widen() does the rest.
    std::size_t reach(double end) {
        // A non-finite or negative time is a bug upstream; caught here before it sizes a vector.
        if (!(end >= 0 && end <= std::numeric_limits<double>::max())) bad_time(end);
        const std::size_t index = bin_of(end);
        if (index < bins_.size()) return index;  // then index + 1 <= kMaxSamples: nothing to widen
        return widen(end);
    }
    std::size_t widen(double end);
    [[noreturn]] static void bad_time(double at);
    [[noreturn]] void too_many_rows(double end_cycle) const;
    // Adds `amount` spread over [start, end) in proportion to the overlap with each period.
    void spread(Quantity q, double start, double end, double amount);
    void add_at(Quantity q, double at, double amount);
    // A port's busy cycles (end - start) and `bytes` spread over [start, end) in one pass: the
    // same additions to the same bins as two spread() calls, one reach() and one walk.
    void spread_port(Quantity busy, Quantity moved, double bytes, double start, double end);
    // The bin of cycle `at` (>= 0): at / width_, by the exact reciprocal when there is one.
    std::size_t bin_of(double at) const { return std::size_t(exact_inverse_ ? at * inverse_ : at / width_); }
    void set_inverse();

    double width_;
    bool adaptive_;
    bool exact_inverse_ = false;  // width_ is a power of two: bin_of multiplies by inverse_
    double inverse_ = 1.0;
    std::vector<Bin> bins_;
    // A fixed period's activity passed kMaxFixedSamples rows. Not thrown where it is seen: an
    // exception leaving a SystemC thread ends as SystemC's own "uncaught exception" report.
    bool overflowed_ = false;
    std::vector<std::pair<double, std::uint64_t>> occupancy_[workloads::kBufferKinds];
};

}  // namespace acceltran::trace
