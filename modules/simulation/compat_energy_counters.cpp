#include "modules/simulation/compat_energy_counters.h"

#include <algorithm>
#include <limits>

namespace acceltran {

void CompatEnergyCounters::on_port_busy(activity::Port port, double start, double end, double) {
    if (port == activity::Port::MainMemory || !(end > start)) return;
    port_busy_[int(port)].emplace_back(start, end);
    ++held_;
}

void CompatEnergyCounters::on_buffer_bytes(std::uint32_t, workloads::BufferKind buffer, bool write,
                                           std::uint64_t bytes) {
    if (write) unit_write_bytes_[int(buffer)] += double(bytes);
}

void CompatEnergyCounters::on_dma_transfer(int, std::uint32_t entry, double start, double end) {
    const workloads::ProgramEntry& e = program_.entries[entry];
    if (e.kind != workloads::EntryKind::Load) return;
    const workloads::TensorLayout& layout = program_.layouts[e.tensor];
    // A block's slice loads its share of the tensor's elements (all its copies: batched_weights).
    const double elements = double(program_.graph->tensors[e.tensor].elements()) * double(layout.copies);
    load_elements_ += layout.data_bytes > 0 ? elements * double(e.data_bytes) / double(layout.data_bytes) : elements;
    if (!(end > start)) return;
    loading_[int(layout.buffer)].emplace_back(start, end);
    if (e.mask_bytes > 0) loading_[int(workloads::BufferKind::Mask)].emplace_back(start, end);
    held_ += 2;
}

void CompatEnergyCounters::on_retire(std::uint32_t, double at, std::uint64_t, std::uint64_t) {
    if (held_ < kSettleIntervals) return;
    settle(at);
    held_ = 0;
    for (int b = 0; b < workloads::kBufferKinds; ++b) held_ += port_busy_[b].size() + loading_[b].size();
}

void CompatEnergyCounters::settle(double until) const {
    if (!(until > settled_until_)) return;
    settled_until_ = until;
    // Splits `all` at `until`: the parts before it are returned, the parts after it kept.
    auto split = [until](Intervals& all) {
        Intervals before, after;
        for (const auto& [s, e] : all) {
            if (s < until) before.emplace_back(s, std::min(e, until));
            if (e > until) after.emplace_back(std::max(s, until), e);
        }
        all.swap(after);
        return before;
    };
    for (int b = 0; b < workloads::kBufferKinds; ++b) {
        const Intervals busy = split(port_busy_[b]);
        Intervals both = split(loading_[b]);
        if (both.empty()) continue;  // no load before `until`: the port's time alone, nothing idle
        both.insert(both.end(), busy.begin(), busy.end());
        loading_idle_[b] += covered(both) - covered(busy);
    }
}

double CompatEnergyCounters::covered(Intervals intervals) {
    std::sort(intervals.begin(), intervals.end());
    double total = 0, open = 0, close = 0;
    bool any = false;
    for (const auto& [s, e] : intervals) {
        if (!any || s > close) {
            if (any) total += close - open;
            open = s;
            close = e;
            any = true;
        } else {
            close = std::max(close, e);
        }
    }
    return any ? total + close - open : 0;
}

const power::RunActivity& CompatEnergyCounters::totals() const {
    if (!totals_) {
        power::RunActivity t;
        t.memory_load_elements = load_elements_;
        for (int b = 0; b < workloads::kBufferKinds; ++b) {
            t.buffer_unit_write_bytes[b] = unit_write_bytes_[b];
        }
        settle(std::numeric_limits<double>::infinity());
        for (int b = 0; b < workloads::kBufferKinds; ++b) t.buffer_loading_idle_cycles[b] = loading_idle_[b];
        totals_ = t;
    }
    return *totals_;
}

void CompatEnergyCounters::add_to(power::RunActivity& a) const {
    const double all[3] = {1, 1, 1};
    add_share_to(a, 1, all);
}

void CompatEnergyCounters::add_share_to(power::RunActivity& a, double memory_share, const double buffer_share[3]) const {
    const power::RunActivity& run = totals();
    a.memory_load_elements += run.memory_load_elements * memory_share;
    for (int b = 0; b < workloads::kBufferKinds; ++b) {
        a.buffer_unit_write_bytes[b] += run.buffer_unit_write_bytes[b] * buffer_share[b];
        // Loads run while main memory is busy: the idle-port part follows the memory bytes.
        a.buffer_loading_idle_cycles[b] += run.buffer_loading_idle_cycles[b] * memory_share;
    }
}

}  // namespace acceltran
