#include "modules/simulation/additive_figures.h"

namespace acceltran {

void recompute_ratios(RunResult& r) {
    r.seconds = r.cycles / (r.clock_mhz * 1e6);
    r.throughput_seq_per_s = r.seconds > 0 ? r.batch / r.seconds : 0;
    for (auto& u : r.units) u.utilization = r.cycles > 0 && u.units > 0 ? u.busy_unit_cycles / (double(u.units) * r.cycles) : 0;
    r.dma_utilization = r.cycles > 0 && r.dma_channels > 0 ? r.dma_busy_channel_cycles / (r.dma_channels * r.cycles) : 0;
    r.memory_utilization = r.cycles > 0 ? r.memory_busy_cycles / r.cycles : 0;
}

}  // namespace acceltran
