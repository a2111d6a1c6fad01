// Control-path commands: the control block's job dispatch to a processing element and its
// transfer requests to the DMA travel as TLM_IGNORE_COMMAND payloads carrying this extension
// through nb_transport (several in flight at once, completion by BEGIN_RESP).
#pragma once

#include <cstdint>

#include <tlm>

namespace acceltran {

namespace workloads {
struct ProgramEntry;
struct TensorLayout;
}  // namespace workloads

class CommandExtension : public tlm::tlm_extension<CommandExtension> {
public:
    std::uint32_t entry = 0;                            // program entry index
    const workloads::ProgramEntry* program_entry = nullptr;
    // Compute job: unit within the PE (per class), output-tile range [first, end).
    int unit = -1;
    std::uint64_t first_output = 0, end_output = 0;
    std::int64_t k_begin = 0, k_end = -1;  // k steps of those outputs (-1: to the last; CompatConfig::spread_k_tiles)
    // Memory transfer: direction and addresses.
    bool to_buffer = true;                 // load (memory -> buffer) or spill/store
    std::uint64_t memory_address = 0;
    std::uint64_t buffer_address = 0;      // global address (buffer base + offset)
    std::uint64_t mask_address = 0;        // global address in the mask buffer
    std::uint64_t data_bytes = 0, mask_bytes = 0;

    tlm::tlm_extension_base* clone() const override { return new CommandExtension(*this); }
    void copy_from(const tlm::tlm_extension_base& other) override {
        *this = static_cast<const CommandExtension&>(other);
    }
};

}  // namespace acceltran
