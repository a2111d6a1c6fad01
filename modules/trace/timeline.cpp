#include "modules/trace/timeline.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/errors.h"
#include "core/number_text.h"

namespace acceltran::trace {

Timeline::Timeline(double sample_cycles)
    : width_(sample_cycles > 0 ? sample_cycles : 1.0), adaptive_(!(sample_cycles > 0)) {
    set_inverse();
    // An adaptive timeline never holds more than kMaxSamples bins: one allocation, which its
    // growth and the merges below then stay in (docs/performance.md, "Timeline bins in one
    // allocation").
    if (adaptive_) bins_.reserve(kMaxSamples);
}

void Timeline::set_inverse() {
    // x / w and x * (1 / w) round the same exact value when w is a power of two (its reciprocal
    // is then exact), so the bins do not change; other widths (a fixed --sample-cycles) divide.
    int exponent = 0;
    exact_inverse_ = std::frexp(width_, &exponent) == 0.5 && std::isnormal(1.0 / width_);
    inverse_ = 1.0 / width_;
}

void Timeline::bad_time(double at) {
    throw SimulationError("timeline: activity reported at cycle " + std::to_string(at));
}

void Timeline::too_many_rows(double end_cycle) const {
    const double least = std::ceil(end_cycle / double(kMaxFixedSamples));
    throw SimulationError("timeline: a sample period of " + nine_digit_text(width_) + " cycles (--sample-cycles) gives " +
                          nine_digit_text(std::ceil(end_cycle / width_)) + " rows for this run of " +
                          nine_digit_text(end_cycle) + " cycles, above the limit of " + std::to_string(kMaxFixedSamples) +
                          "; give --sample-cycles " + nine_digit_text(least) +
                          " or more, or leave it out for the adaptive timeline (docs/cli.md)");
}

std::size_t Timeline::widen(double end) {
    std::size_t index = bin_of(end);
    while (adaptive_ && index + 1 > kMaxSamples) {
        // Double the period: neighbours merge, and sums stay sums. In place, from the front
        // (merged bin j reads bins 2j and 2j + 1, at or after j), each sum formed as it always
        // was: zero plus the first neighbour plus the second.
        const std::size_t merged = (bins_.size() + 1) / 2;
        for (std::size_t j = 0; j < merged; ++j) {
            Bin sum{};
            for (std::size_t i = 2 * j; i < std::min(2 * j + 2, bins_.size()); ++i)
                for (int q = 0; q < kQuantities; ++q) sum[q] += bins_[i][q];
            bins_[j] = sum;
        }
        bins_.resize(merged);
        width_ *= 2;
        set_inverse();
        index = bin_of(end);
    }
    if (!adaptive_ && index + 1 > kMaxFixedSamples) {  // the last row takes it; samples() refuses the run
        overflowed_ = true;
        index = kMaxFixedSamples - 1;
    }
    if (bins_.size() < index + 1) bins_.resize(index + 1, Bin{});
    return index;
}

void Timeline::add_at(Quantity q, double at, double amount) {
    bins_[reach(at)][q] += amount;
}

void Timeline::spread(Quantity q, double start, double end, double amount) {
    if (!(end > start)) {
        add_at(q, start, amount);
        return;
    }
    const std::size_t end_bin = reach(end);
    const double per_cycle = amount / (end - start);
    const std::size_t first = bin_of(start);
    const std::size_t last = std::min(bins_.size() - 1, end_bin);
    // A bin's lower edge is the one above it computed for the bin before (the same product), and
    // bin numbers convert as signed values (the same doubles: they are far below 2^63).
    double edge = double(std::int64_t(first)) * width_;
    for (std::size_t i = first; i <= last; ++i) {
        const double next_edge = double(std::int64_t(i + 1)) * width_;
        const double lo = std::max(start, edge);
        const double hi = std::min(end, next_edge);
        if (hi > lo) bins_[i][q] += per_cycle * (hi - lo);
        edge = next_edge;
    }
}

void Timeline::spread_port(Quantity busy, Quantity moved, double bytes, double start, double end) {
    if (!(end > start)) {
        add_at(busy, start, end - start);
        add_at(moved, start, bytes);
        return;
    }
    const std::size_t end_bin = reach(end);
    // The busy cycles spread at (end - start) / (end - start) per cycle, which is exactly 1.
    const double per_cycle = bytes / (end - start);
    const std::size_t first = bin_of(start);
    const std::size_t last = std::min(bins_.size() - 1, end_bin);
    double edge = double(std::int64_t(first)) * width_;  // as in spread()
    for (std::size_t i = first; i <= last; ++i) {
        const double next_edge = double(std::int64_t(i + 1)) * width_;
        const double lo = std::max(start, edge);
        const double hi = std::min(end, next_edge);
        if (hi > lo) {
            bins_[i][busy] += hi - lo;
            bins_[i][moved] += per_cycle * (hi - lo);
        }
        edge = next_edge;
    }
}

void Timeline::on_tile(const TileEvent& t) {
    const Quantity busy = t.unit_class == workloads::UnitClass::MacLane   ? kLaneBusy
                          : t.unit_class == workloads::UnitClass::Softmax ? kSoftmaxBusy
                                                                          : kLayerNormBusy;
    spread(busy, t.start, t.end, t.busy_unit_cycles());
    if (t.pre_sparsity_tiles) add_at(kPreTiles, t.start, t.pre_sparsity_tiles);
    if (t.post_sparsity_tiles) add_at(kPostTiles, t.end, t.post_sparsity_tiles);
}

void Timeline::on_port_busy(Port p, double start, double end, double bytes) {
    spread_port(Quantity(kPortBusy0 + int(p)), Quantity(kPortBytes0 + int(p)), bytes, start, end);
}

void Timeline::on_dma_transfer(int, std::uint32_t, double start, double end) {
    spread(kDmaBusy, start, end, end - start);
}

void Timeline::on_occupancy(workloads::BufferKind b, double at, std::uint64_t bytes) {
    occupancy_[int(b)].emplace_back(at, bytes);
}

std::vector<TimelineSample> Timeline::samples(double end_cycle) const {
    const double rows = end_cycle > 0 ? std::max(1.0, std::ceil(end_cycle / width_)) : 0;
    if (!adaptive_ && (overflowed_ || rows > double(kMaxFixedSamples))) too_many_rows(end_cycle);
    const std::size_t n = std::size_t(rows);
    std::vector<TimelineSample> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        out[i].start = double(i) * width_;
        out[i].cycles = std::min(width_, end_cycle - out[i].start);
    }
    if (n == 0) return out;
    for (std::size_t i = 0; i < bins_.size(); ++i) {
        // Activity reported past the end (a rounding sliver) is kept in the last sample, so the
        // samples always add up to the run's totals.
        TimelineSample& s = out[std::min(i, n - 1)];
        const Bin& b = bins_[i];
        power::RunActivity& a = s.activity;
        a.lane_busy_unit_cycles += b[kLaneBusy];
        a.softmax_busy_unit_cycles += b[kSoftmaxBusy];
        a.layernorm_busy_unit_cycles += b[kLayerNormBusy];
        a.pre_sparsity_tiles += std::uint64_t(std::llround(b[kPreTiles]));
        a.post_sparsity_tiles += std::uint64_t(std::llround(b[kPostTiles]));
        for (int k = 0; k < workloads::kBufferKinds; ++k) {
            a.buffer_bytes[k] += b[kPortBytes0 + k];
            a.buffer_busy_cycles[k] += b[kPortBusy0 + k];
        }
        a.memory_bytes += b[kPortBytes0 + int(Port::MainMemory)];
        s.memory_busy_cycles += b[kPortBusy0 + int(Port::MainMemory)];
        s.dma_busy_channel_cycles += b[kDmaBusy];
    }
    for (auto& s : out) s.activity.cycles = s.cycles;

    for (int k = 0; k < workloads::kBufferKinds; ++k) {
        auto steps = occupancy_[k];
        std::stable_sort(steps.begin(), steps.end(),
                         [](const auto& x, const auto& y) { return x.first < y.first; });
        std::uint64_t level = 0;
        std::size_t next = 0;
        for (std::size_t i = 0; i < n; ++i) {
            std::uint64_t peak = level;  // the level carried into the period
            const double end = i + 1 == n ? INFINITY : double(i + 1) * width_;
            while (next < steps.size() && steps[next].first < end) {
                level = steps[next++].second;
                peak = std::max(peak, level);
            }
            out[i].peak_occupancy[k] = peak;
        }
    }
    return out;
}

}  // namespace acceltran::trace
