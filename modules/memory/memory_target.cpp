#include "modules/memory/memory_target.h"

#include "modules/tlm/tile_extension.h"

namespace acceltran {

MemoryTarget::MemoryTarget(const sc_core::sc_module_name& name, const Clock& clock,
                           std::uint64_t capacity, std::unique_ptr<TimingModel> model)
    : sc_module(name),
      socket("socket"),
      clock_(clock),
      capacity_(capacity),
      model_(std::move(model)) {
    socket.register_b_transport(this, &MemoryTarget::b_transport);
    socket.register_transport_dbg(this, &MemoryTarget::transport_dbg);
}

inline bool MemoryTarget::in_range(const tlm::tlm_generic_payload& trans) const {
    return trans.get_address() <= capacity_ && trans.get_data_length() <= capacity_ - trans.get_address();
}

void MemoryTarget::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    if (!in_range(trans)) {
        trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    if (trans.get_byte_enable_ptr()) {
        trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
        return;
    }
    const tlm::tlm_command cmd = trans.get_command();
    if (cmd != tlm::TLM_READ_COMMAND && cmd != tlm::TLM_WRITE_COMMAND) {
        trans.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
        return;
    }
    const std::uint64_t length = trans.get_data_length();
    // Third-party initiators that send no extension move real bytes; timing-only transfers of
    // our own carry no values.
    TileExtension* ext = nullptr;
    trans.get_extension(ext);
    AccessRequest request;
    request.write = cmd == tlm::TLM_WRITE_COMMAND;
    request.address = trans.get_address();
    request.bytes = length;
    request.arrival = clock_.to_cycles(Clock::stamp() + delay);
    request.now = clock_.now();
    const double done = timed_access(request, ext != nullptr && ext->is_mask);
    delay = clock_.until(done);

    const bool copy = (ext == nullptr || !ext->timing_only) && trans.get_data_ptr() != nullptr;
    if (copy) {
        if (request.write)
            storage_.write(trans.get_address(), trans.get_data_ptr(), length);
        else
            storage_.read(trans.get_address(), trans.get_data_ptr(), length);
    }
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int MemoryTarget::transport_dbg(tlm::tlm_generic_payload& trans) {
    if (!in_range(trans) || trans.get_data_ptr() == nullptr) return 0;
    const std::uint64_t length = trans.get_data_length();
    if (trans.get_command() == tlm::TLM_READ_COMMAND)
        storage_.read(trans.get_address(), trans.get_data_ptr(), length);
    else if (trans.get_command() == tlm::TLM_WRITE_COMMAND)
        storage_.write(trans.get_address(), trans.get_data_ptr(), length);
    else
        return 0;
    return static_cast<unsigned int>(length);
}

void MemoryTarget::set_observer(activity::ActivityObserver* observer, activity::Port id) {
    for (TimingModel* m : {model_.get(), mask_model_.get()}) {
        if (m == nullptr) continue;
        if (observer == nullptr) {
            m->set_listener(nullptr);
            continue;
        }
        m->set_listener([observer, id](double start, double end, double bytes) {
            observer->on_port_busy(id, start, end, bytes);
        });
    }
}

MemoryTraffic MemoryTarget::traffic() const {
    MemoryTraffic t;
    t.read_bytes = read_bytes_;
    t.write_bytes = write_bytes_;
    t.reads = reads_;
    t.writes = writes_;
    // The data port's figures; a mask port (set_mask_model) runs beside it and adds its waits.
    const ModelStats s = model_->stats();
    t.busy_cycles = s.busy_cycles;
    t.queued_cycles = s.queued_cycles;
    if (mask_model_) t.queued_cycles += mask_model_->stats().queued_cycles;
    return t;
}

}  // namespace acceltran
