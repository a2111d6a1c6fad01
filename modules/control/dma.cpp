#include "modules/control/dma.h"

#include <algorithm>
#include <string>

#include "modules/tlm/address_map.h"
#include "modules/tlm/command_extension.h"
#include "core/errors.h"
#include "workloads/tiled_program.h"

namespace acceltran {

Dma::Dma(const sc_core::sc_module_name& name, const Clock& clock, const DmaConfig& config)
    : sc_module(name),
      control_socket("control_socket"),
      memory_socket("memory_socket"),
      buffer_socket("buffer_socket"),
      clock_(clock),
      config_(config) {
    control_socket.register_nb_transport_fw(this, &Dma::nb_transport_fw);
    for (int i = 0; i < config.channels; ++i)
        sc_core::sc_spawn(sc_bind(&Dma::channel, this, i), (std::string("channel_") + std::to_string(i)).c_str());
}

tlm::tlm_sync_enum Dma::nb_transport_fw(tlm::tlm_generic_payload& trans, tlm::tlm_phase& phase,
                                        sc_core::sc_time&) {
    if (phase == tlm::END_RESP) return tlm::TLM_COMPLETED;
    if (phase != tlm::BEGIN_REQ) return tlm::TLM_ACCEPTED;
    trans.acquire();
    queue_.push_back(&trans);
    queued_.notify(sc_core::SC_ZERO_TIME);
    phase = tlm::END_REQ;
    return tlm::TLM_UPDATED;
}

double Dma::access(Burst& b, tlm_utils::simple_initiator_socket<Dma>& socket, tlm::tlm_command cmd,
                   std::uint64_t address, std::uint64_t bytes, bool mask, int tensor, double at) {
    b.trans.set_command(cmd);
    b.trans.set_address(address);
    b.trans.set_data_ptr(b.scratch.data());
    b.trans.set_data_length(static_cast<unsigned int>(bytes));
    b.trans.set_streaming_width(static_cast<unsigned int>(bytes));
    b.trans.set_byte_enable_ptr(nullptr);
    b.trans.set_dmi_allowed(false);
    b.trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    b.ext->tensor = tensor;
    b.ext->is_mask = mask;
    b.ext->timing_only = true;
    sc_core::sc_time delay = clock_.until(at);
    socket->b_transport(b.trans, delay);
    if (b.trans.is_response_error())
        throw SimulationError(std::string(name()) + ": transfer failed (" + b.trans.get_response_string() +
                              ") at address " + std::to_string(address));
    return clock_.to_cycles(sc_core::sc_time_stamp() + delay);
}

double Dma::copy(Burst& b, tlm_utils::simple_initiator_socket<Dma>& from, std::uint64_t from_address,
                 tlm_utils::simple_initiator_socket<Dma>& to, std::uint64_t to_address,
                 std::uint64_t bytes, bool mask, int tensor, double start) {
    double done = start;
    const auto burst = std::uint64_t(config_.burst_bytes);
    const bool loading = &to == &buffer_socket;
    workloads::BufferKind kind = workloads::BufferKind::Activation;  // set by decode
    std::uint64_t offset = 0;
    const bool in_buffer = AddressMap::decode(loading ? to_address : from_address, kind, offset);
    const bool by_burst = in_buffer && burst_by_burst_[int(kind)];
    const std::uint64_t piece = burst * std::uint64_t(by_burst ? 1 : bursts_per_piece_);
    for (std::uint64_t off = 0; off < bytes; off += piece) {
        const std::uint64_t n = std::min<std::uint64_t>(piece, bytes - off);
        const double arrived = access(b, from, tlm::TLM_READ_COMMAND, from_address + off, n, mask, tensor, start);
        const double k = double((n + burst - 1) / burst);
        // A piece of k bursts streams in: its first burst is in after its share of the read.
        const double first_in = start + (arrived - start) / k;
        if (loading && in_buffer && burst_logs_[int(kind)]) {
            // Questions reach back only to the windows the PEs hold open (BurstLog::hold).
            BurstLog& log = *burst_logs_[int(kind)];
            log.forget_before(start);
            log.add(first_in, (arrived - start) / k, std::uint64_t(k));
        }
        if (n <= burst) {
            done = std::max(done, access(b, to, tlm::TLM_WRITE_COMMAND, to_address + off, n, mask, tensor, arrived));
            continue;
        }
        // The piece's write goes out from its first burst's arrival, and the last burst's write
        // cannot end before the last burst is in plus its share of the write.
        const double written = access(b, to, tlm::TLM_WRITE_COMMAND, to_address + off, n, mask, tensor, first_in);
        done = std::max({done, written, arrived + (written - first_in) / k});
    }
    return done;
}

void Dma::channel(int index) {
    Burst burst;
    burst.ext = new TileExtension;
    burst.trans.set_extension(burst.ext);
    burst.scratch.resize(std::size_t(config_.burst_bytes) * std::size_t(bursts_per_piece_));
    for (;;) {
        while (queue_.empty()) sc_core::wait(queued_);
        tlm::tlm_generic_payload* trans = queue_.front();
        queue_.pop_front();
        CommandExtension* cmd = nullptr;
        trans->get_extension(cmd);
        ++busy_;
        const double start = clock_.now();
        const int tensor = cmd->program_entry ? cmd->program_entry->tensor : -1;
        // The mask stream is issued before the data stream, in separate statements: both share
        // the memory port, so their order sets the timing, and the evaluation order of function
        // arguments (std::max(copy(), copy())) is unspecified (GCC ran the mask first; another
        // compiler may run the data first).
        double mask_done, data_done;
        if (cmd->to_buffer) {
            mask_done = copy(burst, memory_socket, cmd->memory_address + cmd->data_bytes, buffer_socket,
                             cmd->mask_address, cmd->mask_bytes, true, tensor, start);
            data_done = copy(burst, memory_socket, cmd->memory_address, buffer_socket, cmd->buffer_address,
                             cmd->data_bytes, false, tensor, start);
            activity_.bytes_to_buffers += cmd->data_bytes + cmd->mask_bytes;
        } else {
            mask_done = copy(burst, buffer_socket, cmd->mask_address, memory_socket,
                             cmd->memory_address + cmd->data_bytes, cmd->mask_bytes, true, tensor, start);
            data_done = copy(burst, buffer_socket, cmd->buffer_address, memory_socket, cmd->memory_address,
                             cmd->data_bytes, false, tensor, start);
            activity_.bytes_to_memory += cmd->data_bytes + cmd->mask_bytes;
        }
        const double done = std::max(mask_done, data_done);
        // Reported as soon as it is known, like the ports' reservations, with the end the wait
        // below reaches (the same cycle value): an observer that settles the past at a retirement
        // (CompatEnergyCounters) then never sees a transfer that started before it.
        if (observer_)
            observer_->on_dma_transfer(index, cmd->entry, start,
                                       clock_.to_cycles(sc_core::sc_time_stamp() + clock_.until(done)));
        sc_core::wait(clock_.until(done));
        activity_.busy_channel_cycles += clock_.now() - start;
        activity_.transfers++;
        --busy_;
        trans->set_response_status(tlm::TLM_OK_RESPONSE);
        tlm::tlm_phase phase = tlm::BEGIN_RESP;
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        control_socket->nb_transport_bw(*trans, phase, delay);
        trans->release();
    }
}

}  // namespace acceltran
