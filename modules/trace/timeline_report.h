// The timeline's samples turned into what an architect reads: utilization and power per module
// class for every sample period, written as timeline.csv, and the peak power. Power in a period
// is the energy model (docs/model-reference.md §9b) applied to that period's activity, divided
// by its length, so the periods' energies add up to the run's energy.
#pragma once

#include <ostream>
#include <vector>

#include "core/accelerator_config.h"
#include "modules/power/energy_model.h"
#include "modules/power/technology.h"
#include "modules/trace/timeline.h"

namespace acceltran::trace {

class TimelineReport {
public:
    TimelineReport(std::vector<TimelineSample> samples, const AcceleratorConfig& config,
                   const power::Technology& technology);

    const std::vector<TimelineSample>& samples() const { return samples_; }
    const std::vector<power::EnergyBreakdown>& energies() const { return energies_; }
    double seconds(std::size_t i) const { return samples_[i].cycles / hz_; }
    double power_w(std::size_t i) const { return energies_[i].total() / seconds(i); }
    // The highest sample-period average power; it depends on the sample period.
    double peak_power_w() const;
    double energy_j() const;
    // Energy of the cycles [start, end): whole periods inside, and the overlapped share of a
    // period cut by either end (so exact to within one period's resolution).
    double energy_between(double start, double end) const;

    // timeline.csv: a header line, then one row per sample (columns in docs/outputs.md).
    void write_csv(std::ostream& out) const;

private:
    std::vector<TimelineSample> samples_;
    std::vector<power::EnergyBreakdown> energies_;
    double hz_;
    double units_[workloads::kUnitClasses];
    double dma_channels_;
};

}  // namespace acceltran::trace
