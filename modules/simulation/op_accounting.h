// Where a run's time, bytes and energy went, op by op: an activity observer that charges every
// tile, buffer access, DMA transfer and retirement to the op of the program entry it belongs to,
// and after the run turns the sums into the per-op table (op_table.h, ops.csv).
//
// Ownership: a compute entry belongs to its op; a load or spill to the compute entry that
// follows it in program order (the op it makes room or fetches operands for); a store to the op
// that produced the stored tensor. Critical-path cycles: at every moment of the run, the op
// that owns the oldest program entry not yet retired is charged, so the ops' critical cycles
// partition [0, cycles) (docs/outputs.md, ops.csv). critical_split() divides each op's critical
// cycles further, for the breakdown by op class (op_class_breakdown.h).
//
// Event-driven: each event costs O(1) (a retirement moves a pointer over retired entries once),
// and nothing here affects timing.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/accelerator_config.h"
#include "modules/activity/activity_observer.h"
#include "modules/power/technology.h"
#include "modules/run_result.h"
#include "modules/simulation/interval_union.h"
#include "modules/simulation/op_table.h"
#include "workloads/tiled_program.h"

namespace acceltran {

class CompatEnergyCounters;

// How one op's critical-path cycles divide (docs/outputs.md, op_classes).
struct OpCriticalSplit {
    int op = -1;            // graph op id
    double critical = 0;    // its critical-path cycles (ops.csv)
    double computing = 0;   // of those, the cycles during which a unit was busy with one of its tiles
    // Conversion cycles / busy cycles over its tiles (TileWork::conversion_cycles): the part of
    // its computing spent converting number formats.
    double conversion_share = 0;
};

class OpAccounting : public activity::ActivityObserver {
public:
    explicit OpAccounting(const workloads::TiledProgram& program);

    void on_tile(const activity::TileEvent& t) override;
    void on_buffer_bytes(std::uint32_t entry, workloads::BufferKind buffer, bool write, std::uint64_t bytes) override;
    void on_dma_transfer(int channel, std::uint32_t entry, double start, double end) override;
    void on_retire(std::uint32_t entry, double at, std::uint64_t retired, std::uint64_t total) override;

    // The table, with energies from the same model as the run's (power::energy) applied to each
    // op's own activity. `simulated` is what the modules measured (before any extrapolation of a
    // sampled generation): the figures that are not per op (buffer port busy time, the models'
    // own energies) are shared out in proportion to the op's bytes at that level.
    // `compat`: the run's figures for the compat energy options, shared out to the ops.
    OpTable table(const RunResult& simulated, const AcceleratorConfig& config, const power::Technology& tech,
                  const CompatEnergyCounters* compat = nullptr) const;
    // One per row of table(), in the same order; the critical cycles are the same figures.
    std::vector<OpCriticalSplit> critical_split() const;

private:
    // Per row (an op that has a compute entry), in program order.
    struct Tally {
        int op = -1;
        workloads::UnitClass unit = workloads::UnitClass::MacLane;
        double start = -1, end = 0, critical = 0;
        double busy[workloads::kUnitClasses] = {0, 0, 0};
        double dma_busy = 0;
        std::uint64_t memory_read = 0, memory_write = 0, compute_read = 0, compute_write = 0;
        std::uint64_t buffer_read[workloads::kBufferKinds] = {0, 0, 0};
        std::uint64_t buffer_write[workloads::kBufferKinds] = {0, 0, 0};
        std::uint64_t pre_sparsity = 0, post_sparsity = 0;
        double tile_busy = 0, conversion = 0;  // Σ over its tiles, as reported
        std::vector<IntervalUnion::Span> critical_spans;  // when it was charged, in time order
        IntervalUnion computing;  // when a unit was busy with one of its tiles
    };
    void started(Tally& t, double at) { t.start = t.start < 0 ? at : std::min(t.start, at); }

    const workloads::TiledProgram& program_;
    std::vector<std::uint32_t> row_of_entry_;  // program entry -> row
    std::vector<Tally> rows_;
    std::vector<char> retired_;
    std::uint32_t oldest_ = 0;  // first entry not yet retired
    double since_ = 0;          // when oldest_ became the oldest
};

}  // namespace acceltran
