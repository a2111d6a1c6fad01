// The fast detail level (`--detail fast`): a whole job's tiles summed into a few chunks, so the
// PE issues a handful of aggregated transfers per job instead of several per tile. The first
// tile and the last tile are chunks of their own (the first tile's operands gate the start, the
// last tile's write gates the end); the tiles between are split into at most `middle_chunks`
// chunks of consecutive tiles (the PE uses one). Per chunk: tiles, busy cycles, the cycles of its first and last
// tile, and the bytes of every operand stream, computed with the same per-tile rules as the
// full path, so byte totals are identical; those rules run once per distinct tile of the job,
// not once per tile. Timing from these sums: docs/model-reference.md ("Fast detail level").
#pragma once

#include <cstdint>
#include <vector>

#include "modules/compute/op_context.h"
#include "modules/compute/original_issue_rules.h"
#include "modules/compute/tile_executor.h"
#include "workloads/tiling.h"

namespace acceltran::compute {

enum ReadStream { kReadA, kReadAMask, kReadA2, kReadA2Mask, kReadB, kReadBMask, kReadPsum, kReadStreams };
enum WriteStream { kWriteOut, kWriteOutMask, kWritePsum, kWriteStreams };

struct StreamSum {
    std::uint64_t bytes = 0;
    std::uint64_t elements = 0;
    std::uint64_t first_slot = 0;  // slot of the first tile contributing (for the address)
    double density = 1;
};

struct JobChunk {
    std::uint64_t tiles = 0;
    double cycles = 0;                 // Σ busy cycles of its tiles
    double first_cycles = 0, last_cycles = 0;
    double idle_cycles = 0, last_idle_cycles = 0;  // Σ of its tiles' TileWork::idle_cycles, and its last's
    std::uint32_t pre_sparsity_tiles = 0, post_sparsity_tiles = 0;
    double conversion_cycles = 0;      // Σ of its tiles' (TileWork)
    StreamSum reads[kReadStreams];
    StreamSum writes[kWriteStreams];
};

// One tile as the observers see it (kept only when asked for).
struct TileRecord {
    std::uint32_t cycles;
    std::uint8_t pre_sparsity, post_sparsity;
    std::uint32_t conversion_cycles;
    std::uint32_t idle_cycles;
};

class JobPlan {
public:
    // Sorts `tiles` into distinct tiles (classes) and runs `unit`'s executor once per class
    // with its count (TileExecutor::execute_repeated: the unit's activity counters end as after
    // one call per tile, as in the full path); k rows that repeat the row before them are
    // counted, not walked (docs/model-reference.md §6a, "Cost"). `records`, when not null,
    // receives one entry per tile. Each tile's work goes through `rules`, when given, as in the
    // full path, the first tile being the op's tile step `first_ordinal`.
    JobPlan(TileExecutor& unit, const OpContext& ctx, workloads::LaneTileSequence tiles, int middle_chunks,
            std::vector<TileRecord>* records, const OriginalIssueRules* rules = nullptr,
            std::uint64_t first_ordinal = 0) {
        build(unit, ctx, std::move(tiles), middle_chunks, records, rules, first_ordinal);
    }
    JobPlan() = default;
    // Charges `unit` with this plan's tiles `copies` times, as build() would for that many jobs
    // with the same tiles: the plan last built in this thread must be this one (a job group's
    // jobs that repeat the one before them tile for tile; ProcessingElement::run_chunks_fast).
    void charge(TileExecutor& unit, const OpContext& ctx, std::uint64_t copies = 1) const;
    // Plans another job in the same storage (a job group's jobs, one after the other).
    // `same_op`: the plan built last in this thread was a job of the same op (of `ctx`), whose
    // distinct tiles need not be priced again (a job group's jobs after its first).
    void build(TileExecutor& unit, const OpContext& ctx, workloads::LaneTileSequence tiles, int middle_chunks,
               std::vector<TileRecord>* records, const OriginalIssueRules* rules = nullptr,
               std::uint64_t first_ordinal = 0, bool same_op = false);

    const std::vector<JobChunk>& chunks() const { return chunks_; }
    double cycles() const { return cycles_; }
    double idle_cycles() const { return idle_cycles_; }
    std::uint64_t tiles() const { return tiles_; }

private:
    std::vector<JobChunk> chunks_;
    double cycles_ = 0;
    double idle_cycles_ = 0;
    std::uint64_t tiles_ = 0;
};

// A job being run at the fast detail level, chunk by chunk: its plan and where it has got to.
// The PE advances it at the simulated time each chunk's reads are issued, so that the ports see
// reservations in time order, as in the full path.
struct FastJobState {
    FastJobState(TileExecutor& unit, const OpContext& ctx, workloads::LaneTileSequence tiles, int middle_chunks,
                 bool keep_records, const OriginalIssueRules* rules, std::uint64_t first_ordinal)
        : plan(unit, ctx, std::move(tiles), middle_chunks, keep_records ? &records : nullptr, rules, first_ordinal) {}
    std::vector<TileRecord> records;  // declared before plan, which fills it
    JobPlan plan;  // the job's, or a group's first job's

    // A job group (docs/model-reference.md §6a, "Job groups"). Chunk q of the group moves the
    // bytes of every job's chunk q (first with first, middle with middle, last with last) and
    // takes as long as the longest of them.
    struct JobTotals {
        double cycles = 0, idle_cycles = 0;
        std::uint64_t tiles = 0;
    };
    bool grouped = false;
    std::vector<JobChunk> group_chunks;
    std::vector<JobChunk> group_totals;  // per group chunk: the jobs' chunks added field by field
    std::vector<JobTotals> followers;    // the group's other jobs, in unit order
    // Starts the group with `plan` in middle_chunks + 2 chunk slots, adds another job's plan
    // (`copies` times: that many jobs with its figures), and drops the slots no job filled.
    void start_group(int middle_chunks);
    void add_to_group(const JobPlan& p, std::uint64_t copies = 1);
    void finish_group();
    const std::vector<JobChunk>& chunks() const { return grouped ? group_chunks : plan.chunks(); }
    std::size_t next_chunk = 0, next_record = 0;
    double free_at = 0;     // when the unit was free to start the job
    double chunk_end = 0;   // end of the last chunk simulated so far
    double done = 0;        // last write completion so far
    // The stall behind DMA bursts of the chunk just simulated, charged before the next one: its
    // tiles' unstalled starts run from stall_from to stall_to (ProcessingElement::burst_stall).
    bool stall_pending = false;
    double stall_from = 0, stall_to = 0;
    double stall_per_burst[workloads::kBufferKinds] = {0, 0, 0};
};

// Bytes of one tile's data or mask transfer of a tensor stored as `layout`: the full path's
// rule, shared by both paths (no mask bytes for a tensor without a mask).
std::uint64_t tile_transfer_bytes(const workloads::TensorLayout& layout, bool mask, std::uint64_t elements,
                                  double density);

}  // namespace acceltran::compute
