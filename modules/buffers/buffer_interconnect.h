// The on-chip crossbar between the requesters (processing elements, DMA) and the three
// buffers. It decodes the address map, forwards with the buffer-local address and adds no
// delay of its own: contention is modelled at the buffers' ports.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

namespace acceltran {

class BufferInterconnect : public sc_core::sc_module {
public:
    // Any number of requesters bind here.
    tlm_utils::multi_passthrough_target_socket<BufferInterconnect> requesters;
    // Bind the activation, weight and mask buffers, in that order (workloads::BufferKind).
    tlm_utils::multi_passthrough_initiator_socket<BufferInterconnect> buffers;

    explicit BufferInterconnect(const sc_core::sc_module_name& name);

private:
    void b_transport(int id, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    unsigned int transport_dbg(int id, tlm::tlm_generic_payload& trans);
};

}  // namespace acceltran
