#include "modules/buffers/buffer_interconnect.h"

#include "modules/tlm/address_map.h"

namespace acceltran {

BufferInterconnect::BufferInterconnect(const sc_core::sc_module_name& name)
    : sc_module(name), requesters("requesters"), buffers("buffers") {
    requesters.register_b_transport(this, &BufferInterconnect::b_transport);
    requesters.register_transport_dbg(this, &BufferInterconnect::transport_dbg);
}

void BufferInterconnect::b_transport(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    const std::uint64_t global = trans.get_address();
    workloads::BufferKind kind;
    std::uint64_t offset;
    if (!AddressMap::decode(global, kind, offset) || int(kind) >= int(buffers.size())) {
        trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    trans.set_address(offset);
    buffers[int(kind)]->b_transport(trans, delay);
    trans.set_address(global);
}

unsigned int BufferInterconnect::transport_dbg(int, tlm::tlm_generic_payload& trans) {
    const std::uint64_t global = trans.get_address();
    workloads::BufferKind kind;
    std::uint64_t offset;
    if (!AddressMap::decode(global, kind, offset) || int(kind) >= int(buffers.size())) return 0;
    trans.set_address(offset);
    unsigned int n = buffers[int(kind)]->transport_dbg(trans);
    trans.set_address(global);
    return n;
}

}  // namespace acceltran
