// The DMA engine: moves whole tensors (compressed data and mask) between main memory and the
// buffers in bursts, on several channels at once. Requests arrive from the control block with
// nb_transport BEGIN_REQ; BEGIN_RESP goes back when the last byte has landed.
// Each channel is a thread because a third-party main-memory target may wait() in b_transport.
// All bursts of a transfer are issued together (outstanding requests), so main memory streams
// at its bandwidth and pays its latency once per transfer, not once per burst.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "core/accelerator_config.h"
#include "core/burst_log.h"
#include "modules/tlm/clock.h"
#include "modules/tlm/tile_extension.h"
#include "modules/activity/activity_observer.h"

namespace acceltran {

struct DmaActivity {
    double busy_channel_cycles = 0;  // summed over channels
    std::uint64_t transfers = 0;
    std::uint64_t bytes_to_buffers = 0;
    std::uint64_t bytes_to_memory = 0;
};

class Dma : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<Dma> control_socket;
    tlm_utils::simple_initiator_socket<Dma> memory_socket;
    tlm_utils::simple_initiator_socket<Dma> buffer_socket;

    Dma(const sc_core::sc_module_name& name, const Clock& clock, const DmaConfig& config);

    const DmaActivity& activity() const { return activity_; }
    int channels() const { return config_.channels; }
    int busy_channels() const { return busy_; }
    void set_observer(activity::ActivityObserver* observer) { observer_ = observer; }
    // Fast detail level: `bursts` consecutive bursts of a transfer go as one piece, read as one
    // access and written as one, the write streaming behind the read (docs/model-reference.md
    // §6a, "DMA pieces"). 1 (the default): burst by burst. Set before the simulation starts.
    void set_bursts_per_piece(int bursts) { bursts_per_piece_ = bursts < 1 ? 1 : bursts; }
    // ... except transfers into or out of `kind`, which go burst by burst (a buffer whose port a
    // piece would hold for longer than its tiles take; §6a, "Bursts behind the tiles' reads").
    void set_burst_by_burst(workloads::BufferKind kind) { burst_by_burst_[int(kind)] = true; }
    // Fast detail level: the bursts of every load into buffer `kind` are logged in `log` at the
    // cycles the full level would write them (docs/model-reference.md §6a, "Bursts behind the
    // tiles' reads"). Not set (the default): that buffer's bursts are not logged.
    void set_burst_log(workloads::BufferKind kind, BurstLog* log) { burst_logs_[int(kind)] = log; }

private:
    SC_HAS_PROCESS(Dma);

    tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& trans, tlm::tlm_phase& phase,
                                       sc_core::sc_time& delay);
    void channel(int index);
    // Copies `bytes` from one socket to the other starting at cycle `start`; returns the cycle
    // at which the last write completes.
    // Each channel has its own burst payload: a target that waits must not see it reused.
    struct Burst {
        tlm::tlm_generic_payload trans;
        TileExtension* ext;
        std::vector<unsigned char> scratch;
    };
    double copy(Burst& burst, tlm_utils::simple_initiator_socket<Dma>& from, std::uint64_t from_address,
                tlm_utils::simple_initiator_socket<Dma>& to, std::uint64_t to_address,
                std::uint64_t bytes, bool mask, int tensor, double start);
    double access(Burst& burst, tlm_utils::simple_initiator_socket<Dma>& socket, tlm::tlm_command cmd,
                  std::uint64_t address, std::uint64_t bytes, bool mask, int tensor, double at);

    const Clock& clock_;
    DmaConfig config_;
    std::deque<tlm::tlm_generic_payload*> queue_;
    sc_core::sc_event queued_;
    int busy_ = 0;
    int bursts_per_piece_ = 1;
    BurstLog* burst_logs_[workloads::kBufferKinds] = {nullptr, nullptr, nullptr};
    bool burst_by_burst_[workloads::kBufferKinds] = {false, false, false};
    DmaActivity activity_;
    activity::ActivityObserver* observer_ = nullptr;
};

}  // namespace acceltran
