// Control-path commands: the control block's job dispatch to a processing element and its
// transfer requests to the DMA travel as TLM_IGNORE_COMMAND payloads carrying this extension
// through nb_transport (several in flight at once, completion by BEGIN_RESP).
#pragma once

#include <cstdint>

#include <tlm>

#include "modules/tlm/job_split.h"

namespace acceltran {

namespace workloads {
struct ProgramEntry;
struct TensorLayout;
}  // namespace workloads

class CommandExtension : public tlm::tlm_extension<CommandExtension> {
public:
    std::uint32_t entry = 0;                            // program entry index
    const workloads::ProgramEntry* program_entry = nullptr;
    // Compute job: jobs first_job .. first_job + group - 1 of the entry's split, on units unit ..
    // unit + group - 1 of its class, counted from this PE on into the next PEs. group > 1 only at
    // the fast detail level: jobs handed out at one instant to units that follow each other start
    // and complete together (docs/model-reference.md §6a, "Job groups").
    int unit = -1;
    int group = 1;
    JobSplit split;
    std::uint64_t first_job = 0;
    JobRange range(int member) const { return split.range(first_job + std::uint64_t(member)); }
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
