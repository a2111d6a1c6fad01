// A processing element: MAC lanes, softmax units and layer-norm units sharing one initiator
// socket to the buffers. The control block dispatches jobs (a range of output tiles of one op
// for one unit) with nb_transport BEGIN_REQ and gets BEGIN_RESP when the job's last result has
// been written. Per tile, the PE takes the tile's densities from tile_density(), reads its operands
// through TLM (blocking, annotated), hands the tile to the unit, whose executor (TileExecutor:
// MacLane, SoftmaxUnit, LayerNormUnit) prices its compute, and writes the result; operand reads
// for the next tile overlap the current tile's compute (the lane's operand FIFO). Everything is
// driven by one timed event queue per PE.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "core/accelerator_config.h"
#include "core/burst_log.h"
#include "modules/tlm/clock.h"
#include "core/detail_level.h"
#include "modules/tlm/job_split.h"
#include "modules/tlm/tile_extension.h"
#include "modules/compute/compute_unit.h"
#include "modules/compute/job_plan.h"
#include "modules/compute/op_context.h"
#include "modules/compute/original_issue_rules.h"
#include "modules/activity/activity_observer.h"
#include "modules/memory/memory_target.h"

namespace acceltran::compute {

class ProcessingElement : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<ProcessingElement> control_socket;
    tlm_utils::simple_initiator_socket<ProcessingElement> buffer_socket;

    // Builds one executor of a unit class: how a template other than AccelTran puts its own
    // units in the three class slots (modules/template_units.h).
    using UnitFactory = std::function<std::unique_ptr<ComputeUnit>(workloads::UnitClass)>;

    // Unit counts come from `config`; the units from `factory`, or AccelTran's when null.
    ProcessingElement(const sc_core::sc_module_name& name, int index, const Clock& clock,
                      const AcceleratorConfig& config, const std::vector<OpContext>& contexts,
                      const UnitFactory* factory = nullptr);

    int index() const { return index_; }
    int units(workloads::UnitClass c) const { return int(units_[int(c)].size()); }
    const ComputeUnit& unit(workloads::UnitClass c, int i) const { return *units_[int(c)][i]; }
    void set_observer(activity::ActivityObserver* observer) { observer_ = observer; }
    void set_detail(DetailLevel detail) { detail_ = detail; }
    // Functional mode (full detail level only): tiles carry and produce real values.
    void set_functional(FunctionalEngine* engine) { functional_ = engine; }
    // Every PE of the accelerator, in index order: a job group that starts on this PE's units may
    // run on into the next PEs' (docs/model-reference.md §6a, "Job groups").
    void set_peers(std::vector<ProcessingElement*> peers) { peers_ = std::move(peers); }
    // How a DMA burst into one buffer holds up the tiles' reads there (§6a, "Bursts behind the
    // tiles' reads"): the burst's time on the port (0 where writes do not hold up reads), the
    // port's bytes per cycle and its latency.
    struct BurstTiming {
        double burst_cycles = 0;
        double bytes_per_cycle = 1;
        double latency = 0;
    };
    // Fast detail level: the DMA's bursts into each buffer (one BurstLog per BufferKind, owned by
    // the accelerator) and their timing. Not set (the default), or no buffer with a burst time:
    // no such stalls.
    void set_burst_logs(BurstLog* logs, const std::array<BurstTiming, workloads::kBufferKinds>& timing);
    // The direct timing path: the buffers that buffer_socket reaches, by BufferKind (activation,
    // weight, mask), for the code that bound the socket to them through a BufferInterconnect
    // (Accelerator). The PE's accesses then call each buffer's MemoryTarget::timed_access with
    // the request its b_transport would have built, past the sockets, the interconnect's decode
    // and the payload: the same calls to the buffer models in the same order, so the same
    // results (docs/architecture.md §2.4). Without it (the default, and for any other target
    // bound to the socket) every access goes through buffer_socket.
    void set_direct_buffers(MemoryTarget* activation, MemoryTarget* weight, MemoryTarget* mask) {
        direct_[int(workloads::BufferKind::Activation)] = activation;
        direct_[int(workloads::BufferKind::Weight)] = weight;
        direct_[int(workloads::BufferKind::Mask)] = mask;
    }
    // Chunks between a fast job's first and last tile (docs/model-reference.md §6a): one, as
    // more chunks measured no closer to the full level and cost events and transfers.
    static constexpr int kFastMiddleChunks = 1;

private:
    SC_HAS_PROCESS(ProcessingElement);

    struct Wakeup {
        double at;
        ComputeUnit* unit;
        bool operator>(const Wakeup& o) const { return at > o.at; }
    };

    tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& trans, tlm::tlm_phase& phase,
                                       sc_core::sc_time& delay);
    void build_units(const UnitFactory* factory);
    void on_wakeup();
    void schedule(ComputeUnit* unit, double at);
    void run_tile(ComputeUnit& unit, double now);
    void run_chunks_fast(ComputeUnit& unit, double now);
    // Reports the tile for `unit` and for the units of its class it also occupies
    // (OriginalIssueRules::extra_units). `tiles` > 1: back-to-back tiles of one job reported as
    // one event (ActivityObserver::wants_tiles()); `units` > 1: a job group's units, busy for
    // `group_busy` unit-cycles in all (TileEvent::units).
    void report_tile(const ComputeUnit& unit, double start, double end, std::uint32_t pre, std::uint32_t post,
                     double conversion, std::uint32_t tiles = 1, std::uint32_t units = 1, double group_busy = 0);
    // Adds busy cycles and tiles to `unit` and to the units of its class it also occupies.
    void add_activity(ComputeUnit& unit, double busy_cycles, std::uint64_t tiles);
    void finish_job(ComputeUnit& unit);
    // Per BufferKind, the mean stall of chunk `c`'s tiles behind one DMA burst into a buffer they
    // read (burst_stall_cycles); false when every one is 0 (or no logs are set).
    bool burst_stalls(const JobChunk& c, const OperandPlace* const* places, const bool* masks,
                      double* per_burst) const;
    // The cycles a chunk whose tiles start from `from` to `to` without stalls waits behind the
    // DMA bursts that land meanwhile (set_burst_logs), `per_burst` from burst_stalls().
    double burst_stall(const double* per_burst, double from, double to) const;
    // Whether every job of `ctx` with range `r`'s k steps has the step flags of any other job
    // with as many output tiles of the same extents (job groups: JobPlan::charge).
    bool plans_translate(const OpContext& ctx, const JobRange& r) const;
    // Calls f(m, unit) for units first .. first + count - 1 of class `c` in that order, counted
    // on into the next PEs (unit null past the last PE's last unit).
    template <typename F>
    void for_group_units(workloads::UnitClass c, int first, int count, F&& f) {
        std::size_t pe = std::size_t(index_), local = std::size_t(first);
        const std::vector<std::unique_ptr<ComputeUnit>>* pool = &units_[int(c)];
        for (int m = 0; m < count; ++m, ++local) {
            if (pool != nullptr && local >= pool->size()) {
                local = 0;
                ++pe;
                pool = pe < peers_.size() && peers_[pe]->units_[int(c)].size() == units_[int(c)].size()
                           ? &peers_[pe]->units_[int(c)]
                           : nullptr;
            }
            f(m, pool != nullptr ? (*pool)[local].get() : nullptr);
        }
    }
    // The op's tile step at which job range `r` starts (OriginalIssueRules).
    static std::uint64_t first_ordinal(const OpContext& ctx, const JobRange& r);
    // One blocking transfer of a tile's data or mask for `unit`'s job, issued at cycle `at`;
    // returns completion.
    double transfer(ComputeUnit& unit, tlm::tlm_command cmd, const OperandPlace& place, bool mask, std::uint64_t slot,
                    std::uint64_t elements, double density, double at);
    // A transfer of `bytes` (one tile's, or a fast chunk's sum), split into pieces no larger than
    // the buffer when a chunk re-reads more than the buffer holds; returns the last completion.
    double transfer_bytes(ComputeUnit& unit, tlm::tlm_command cmd, const OperandPlace& place, bool mask, std::uint64_t slot,
                          std::uint64_t bytes, std::uint64_t elements, double density, double at);

    int index_;
    const Clock& clock_;
    const AcceleratorConfig& config_;
    const std::vector<OpContext>& contexts_;
    std::vector<std::unique_ptr<ComputeUnit>> units_[workloads::kUnitClasses];
    std::priority_queue<Wakeup, std::vector<Wakeup>, std::greater<Wakeup>> wakeups_;
    sc_core::sc_event wakeup_event_;
    tlm::tlm_generic_payload data_trans_;
    TileExtension* data_ext_;
    std::uint64_t capacity_[workloads::kBufferKinds];
    std::uint64_t piece_limit_[workloads::kBufferKinds];  // largest piece of one transfer (transfer_bytes)
    MemoryTarget* direct_[workloads::kBufferKinds] = {nullptr, nullptr, nullptr};  // set_direct_buffers
    // The direct path's conversions of the kernel time, kept while it stays the same: a tile's
    // wake-up issues up to seven reads at one cycle and up to two writes at another.
    struct KernelCycles {
        sc_core::sc_time::value_type stamp = ~sc_core::sc_time::value_type(0);  // kernel time of `now`
        double now = 0;      // clock_.now()
        double at = 0;       // the arrival cycle asked for last
        double landing = 0;  // clock_.landing(at)
        bool has_at = false;
    };
    KernelCycles kernel_cycles_;
    activity::ActivityObserver* observer_ = nullptr;
    DetailLevel detail_ = DetailLevel::Full;
    FunctionalEngine* functional_ = nullptr;
    OriginalIssueRules issue_rules_;
    JobPlan follower_plan_;  // reused for the jobs of a group after its first
    std::vector<ProcessingElement*> peers_;
    BurstLog* burst_logs_ = nullptr;  // null unless some buffer's bursts hold up its reads
    std::array<BurstTiming, workloads::kBufferKinds> burst_timing_{};
};

}  // namespace acceltran::compute
