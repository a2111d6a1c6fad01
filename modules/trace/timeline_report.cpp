#include "modules/trace/timeline_report.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "core/number_text.h"

namespace acceltran::trace {

TimelineReport::TimelineReport(std::vector<TimelineSample> samples, const AcceleratorConfig& config,
                               const power::Technology& technology)
    : samples_(std::move(samples)), hz_(config.clock_hz()), dma_channels_(config.dma.channels) {
    units_[int(workloads::UnitClass::MacLane)] = double(config.mac_lanes());
    units_[int(workloads::UnitClass::Softmax)] = double(config.softmax_units());
    units_[int(workloads::UnitClass::LayerNorm)] = double(config.layernorm_units());
    energies_.reserve(samples_.size());
    const power::EnergyModel model(config, technology);
    for (const auto& s : samples_) energies_.push_back(model.energy(s.activity));
}

double TimelineReport::peak_power_w() const {
    double peak = 0;
    for (std::size_t i = 0; i < samples_.size(); ++i)
        if (samples_[i].cycles > 0) peak = std::max(peak, power_w(i));
    return peak;
}

double TimelineReport::energy_j() const {
    double total = 0;
    for (const auto& e : energies_) total += e.total();
    return total;
}

double TimelineReport::energy_between(double start, double end) const {
    double total = 0;
    for (std::size_t i = 0; i < samples_.size(); ++i) {
        const TimelineSample& s = samples_[i];
        if (s.cycles <= 0) continue;
        const double lo = std::max(start, s.start), hi = std::min(end, s.start + s.cycles);
        if (hi > lo) total += energies_[i].total() * (hi - lo) / s.cycles;
    }
    return total;
}

void TimelineReport::write_csv(std::ostream& out) const {
    out << "start_cycle,cycles,time_us,"
           "util_mac_lanes,util_softmax,util_layernorm,util_dma,"
           "util_activation_buffer,util_weight_buffer,util_mask_buffer,util_main_memory,"
           "power_w_mac_lanes,power_w_softmax,power_w_layernorm,power_w_sparsity,power_w_fifo,"
           "power_w_dataflow,power_w_dma,power_w_activation_buffer,power_w_weight_buffer,"
           "power_w_mask_buffer,power_w_main_memory,power_w_total,energy_j,"
           "occupancy_bytes_activation,occupancy_bytes_weight,occupancy_bytes_mask\n";
    // A row is built in `row` and written at once (one stream call per row, not per figure).
    char row[64 * 32];
    char* end = row;
    char* const last = row + sizeof row;
    auto num = [&](double v) {
        *end++ = ',';
        end = write_general(end, last, v, 9);
    };
    for (std::size_t i = 0; i < samples_.size(); ++i) {
        const TimelineSample& s = samples_[i];
        const power::RunActivity& a = s.activity;
        const power::EnergyBreakdown& e = energies_[i];
        const double c = s.cycles > 0 ? s.cycles : 1;
        const double t = s.cycles > 0 ? seconds(i) : 1;
        end = write_general(row, last, s.start, 17);
        *end++ = ',';
        end = write_general(end, last, s.cycles, 17);
        num(s.start / hz_ * 1e6);
        const double busy[workloads::kUnitClasses] = {a.lane_busy_unit_cycles, a.softmax_busy_unit_cycles,
                                                      a.layernorm_busy_unit_cycles};
        for (int k = 0; k < workloads::kUnitClasses; ++k) num(units_[k] > 0 ? busy[k] / (units_[k] * c) : 0);
        num(s.dma_busy_channel_cycles / (dma_channels_ * c));
        for (double b : a.buffer_busy_cycles) num(b / c);
        num(s.memory_busy_cycles / c);
        for (const power::EnergyPart* p : {&e.mac_lanes, &e.softmax, &e.layernorm, &e.sparsity, &e.fifo,
                                           &e.dataflow, &e.dma, &e.buffers[0], &e.buffers[1], &e.buffers[2],
                                           &e.main_memory})
            num(p->total() / t);
        num(e.total() / t);
        num(e.total());
        for (std::uint64_t o : s.peak_occupancy) {
            *end++ = ',';
            end = std::to_chars(end, last, o).ptr;
        }
        *end++ = '\n';
        out.write(row, end - row);
    }
}

}  // namespace acceltran::trace
