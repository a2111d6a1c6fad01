// The control block: executes the compiled program. Memory entries go to the DMA (lowest
// program index first, one per channel); a compute entry whose dependencies are met is split
// into jobs, contiguous ranges of its output tiles in loop order, one per unit at most, handed
// to free units of its class (at the fast detail level, several at once as a job group). It
// tracks buffer occupancy from the plan's residencies and the time units spend idle for want of
// ready work. An entry of a repeated layer (ProgramEntry::repeated, layer sampling) retires as
// soon as it is ready, holding its planned buffer space for no time.
#pragma once

#include <cstdint>
#include <deque>
#include <queue>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include "core/accelerator_config.h"
#include "modules/tlm/clock.h"
#include "modules/tlm/job_split.h"
#include "modules/tlm/payload_pool.h"
#include "modules/activity/activity_observer.h"
#include "workloads/tiled_program.h"

namespace acceltran {

class CommandExtension;

struct ControlActivity {
    double finish_cycle = 0;
    std::uint64_t retired = 0;
    std::uint64_t jobs = 0;
    // Unit-cycles that units of each class sat idle while work of their class remained, none of
    // it ready (waiting for producers or loads).
    double dependency_wait_unit_cycles[workloads::kUnitClasses] = {0, 0, 0};
    // Cycles in which no compute unit was busy while the DMA was moving data.
    double memory_bound_cycles = 0;
    std::uint64_t peak_occupancy[workloads::kBufferKinds] = {0, 0, 0};
};

// The longest simulated time a run may take: SystemC counts time in 64-bit picoseconds (2^63 ps,
// about 107 days, leaving headroom below the unsigned limit).
constexpr double kMaxSimulatedPicoseconds = 9.223372036854775807e18;

class ControlBlock : public sc_core::sc_module {
public:
    // Bound to every processing element, in PE index order.
    tlm_utils::multi_passthrough_initiator_socket<ControlBlock> pe_socket;
    tlm_utils::simple_initiator_socket<ControlBlock> dma_socket;

    ControlBlock(const sc_core::sc_module_name& name, const Clock& clock, const AcceleratorConfig& config,
                 const workloads::TiledProgram& program);

    bool finished() const { return activity_.retired == program_.entries.size(); }
    const ControlActivity& activity() const { return activity_; }
    // What is still waiting: entries started and not finished (with the op or tensor, the unit
    // class and the units holding their jobs, or the buffer a transfer fills or drains) and the
    // first entry blocked on them; for the deadlock and watchdog reports.
    std::string pending_report() const;
    // The watchdog stops the run with a SimulationError when no entry retires for this many
    // cycles. Default: serial_bound_cycles() x 10, far beyond any correct run's longest gap.
    void set_watchdog_cycles(double cycles) { watchdog_cycles_ = cycles; }
    double watchdog_cycles() const { return watchdog_cycles_; }
    // Cycles to run the whole program one step at a time on one unit and one port of the
    // slowest bandwidth: an upper bound on the time between two retirements in a correct run.
    double serial_bound_cycles() const;
    void set_observer(activity::ActivityObserver* observer) { observer_ = observer; }
    // Fast detail level: jobs of one entry for free units that follow each other in unit order
    // (in a PE and on into the next) go out as one group of at most kMaxGroupJobs
    // (docs/model-reference.md §6a, "Job groups"). Off: one job per dispatch.
    void set_group_jobs(bool on) { group_jobs_ = on; }
    // A group's jobs start together and end with the last, where one by one the first would
    // start and end earlier; the larger the group, the more the fast level departs from the
    // full one. Measured on BERT-Tiny, BERT-Mini and BERT-Mini at sequence 512 on Server (fast
    // against full cycles): groups of 32 jobs 0.07 / 0.05 / 0.03 %, 128 jobs 0.27 / 0.14 /
    // 0.11 %, 256 jobs 0.57 / 0.31 / 0.20 %, unbounded 0.82 / 0.90 / 1.13 %; BERT-Large at
    // sequence 512 on Server took 1.7, 1.1, 0.9 and 0.8 s of user time.
    static constexpr std::uint64_t kMaxGroupJobs = 128;

private:
    SC_HAS_PROCESS(ControlBlock);

    struct PendingJobs {
        std::uint32_t entry;
        JobSplit split;
        std::uint64_t next = 0;  // the next job to hand out
    };

    void schedule();
    void watchdog();
    void end_of_elaboration() override;
    void account(double now);
    void start_entry(std::uint32_t e);
    void complete_entry(std::uint32_t e);
    // Queues an entry whose dependencies have all retired, by what it needs next.
    void make_ready(std::uint32_t e);
    void report_occupancy(workloads::BufferKind b);
    void issue_memory(std::uint32_t e);
    // Hands the next job of class c's front entry (or a group of them) to the first free unit.
    void dispatch_job(workloads::UnitClass c);
    static CommandExtension* command_of(tlm::tlm_generic_payload& trans);
    tlm::tlm_sync_enum pe_bw(int id, tlm::tlm_generic_payload& trans, tlm::tlm_phase& phase,
                             sc_core::sc_time& delay);
    tlm::tlm_sync_enum dma_bw(tlm::tlm_generic_payload& trans, tlm::tlm_phase& phase,
                              sc_core::sc_time& delay);

    const Clock& clock_;
    const AcceleratorConfig& config_;
    const workloads::TiledProgram& program_;
    PayloadPool pool_;
    sc_core::sc_event wake_;

    std::vector<std::uint32_t> deps_left_;
    std::vector<std::vector<std::uint32_t>> dependents_;
    std::vector<std::uint32_t> users_left_;
    std::vector<std::uint64_t> jobs_left_;
    using MinHeap = std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<std::uint32_t>>;
    MinHeap ready_memory_;
    MinHeap ready_compute_[workloads::kUnitClasses];
    MinHeap ready_repeated_;  // ProgramEntry::repeated: retired when ready, at no cost
    std::deque<PendingJobs> jobs_[workloads::kUnitClasses];
    std::deque<std::uint32_t> free_units_[workloads::kUnitClasses];
    int units_per_pe_[workloads::kUnitClasses];
    int units_per_job_[workloads::kUnitClasses];  // units one job occupies (compat.softmax_all_units)
    std::uint64_t remaining_compute_[workloads::kUnitClasses] = {0, 0, 0};
    int busy_units_ = 0;
    int dma_in_flight_ = 0;
    double last_account_ = 0;
    std::uint64_t occupancy_[workloads::kBufferKinds] = {0, 0, 0};
    std::uint64_t capacity_[workloads::kBufferKinds];
    ControlActivity activity_;
    activity::ActivityObserver* observer_ = nullptr;
    bool group_jobs_ = false;
    std::vector<std::int64_t> unit_entry_[workloads::kUnitClasses];  // global unit -> entry, or -1
    std::vector<char> started_, retired_;
    sc_core::sc_event watchdog_event_;
    double watchdog_cycles_ = 0;
    std::uint64_t watchdog_retired_ = 0;
};

}  // namespace acceltran
