// A compute unit inside a processing element (MAC lane, softmax unit, layer-norm unit): the
// state of the job it is running and its activity counters; each unit kind executes tiles
// (TileExecutor) in its own subclass. Units are plain C++ objects driven by their PE's event
// queue rather than SystemC processes, so 16K lanes cost no threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include <tlm>

#include "modules/compute/op_context.h"
#include "modules/compute/tile_executor.h"
#include "workloads/tiling.h"

namespace acceltran::compute {

struct FastJobState;

struct UnitActivity {
    double busy_cycles = 0;         // cycles computing
    double memory_wait_cycles = 0;  // cycles with work but waiting for operands from the buffers
    std::uint64_t tiles = 0;
    std::uint64_t jobs = 0;
};

class ComputeUnit : public TileExecutor {
public:
    ComputeUnit();
    ~ComputeUnit() override;

    // Where the unit sits, set by its PE when it builds it (for traces).
    void set_identity(workloads::UnitClass unit_class, int index) {
        unit_class_ = unit_class;
        index_ = index;
    }
    workloads::UnitClass unit_class() const { return unit_class_; }
    int index() const { return index_; }  // within its class in the PE

    void begin_job(tlm::tlm_generic_payload* job, const OpContext* ctx,
                   const workloads::LaneTileSequence& tiles, double now);
    // A job of a group that another unit leads, which plans its tiles (job groups, fast level).
    void begin_job(tlm::tlm_generic_payload* job, const OpContext* ctx, double now);
    // Moves the lookahead to the following tile; false when the job has no more tiles.
    bool take_tile(workloads::TileStep& step);
    // The job's remaining tiles as a sequence of their own (the fast detail level walks them at once).
    workloads::LaneTileSequence take_all_tiles();
    void end_job();

    // Multiply-accumulates that did work (both operands non-zero), for the units that do any.
    virtual double effectual_macs() const { return 0; }

    tlm::tlm_generic_payload* job() const { return job_; }
    const OpContext* context() const { return ctx_; }
    bool finishing = false;       // all tiles issued; completion is scheduled
    double compute_free = 0;      // cycle at which the compute pipeline is free
    double last_done = 0;         // cycle at which the last write of the job lands
    // Jobs in the group this unit's job leads (the units after it in its PE run the others;
    // docs/model-reference.md §6a, "Job groups"); 1: a job alone.
    int group = 1;
    std::uint64_t next_ordinal = 0;  // the next tile's place among its op's tile steps (OriginalIssueRules)
    UnitActivity activity;
    // Bytes the job has read ([0]) and written ([1]) per buffer, reported to the observers once
    // when it ends rather than once per transfer (a transfer is too frequent an event to pay an
    // observer call for).
    std::uint64_t job_bytes[2][workloads::kBufferKinds] = {};
    std::unique_ptr<FastJobState> fast;  // the job in progress at the fast detail level

private:
    workloads::UnitClass unit_class_ = workloads::UnitClass::MacLane;
    int index_ = 0;
    tlm::tlm_generic_payload* job_ = nullptr;
    const OpContext* ctx_ = nullptr;
    std::optional<workloads::LaneTileSequence> tiles_;
};

}  // namespace acceltran::compute
