// A memory-like TLM target: a window of `capacity` bytes whose timing comes from a pluggable
// TimingModel (a BufferModel or a MemoryModel, chosen by name from the model registry), loosely
// timed (b_transport returns the delay the model computes and never waits, so it may be called
// from method processes), with transport_dbg on real storage. TileBuffer and MainMemory are this
// with their own model and parameters.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "modules/tlm/clock.h"
#include "modules/tlm/sparse_memory.h"
#include "core/timing_model.h"
#include "modules/activity/activity_observer.h"

namespace acceltran {

struct MemoryTraffic {
    std::uint64_t read_bytes = 0, write_bytes = 0;
    std::uint64_t reads = 0, writes = 0;
    double busy_cycles = 0;    // data path occupied (the model's ModelStats::busy_cycles)
    double queued_cycles = 0;  // requests waited for a busy resource
};

class MemoryTarget : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<MemoryTarget> socket;

    MemoryTarget(const sc_core::sc_module_name& name, const Clock& clock, std::uint64_t capacity,
                 std::unique_ptr<TimingModel> model);

    std::uint64_t capacity() const { return capacity_; }
    const TimingModel& model() const { return *model_; }
    MemoryTraffic traffic() const;
    // Reports the model's busy stretches to `observer` as port `id`.
    void set_observer(activity::ActivityObserver* observer, activity::Port id);

    // One access's timing and counters as b_transport gives them, without a payload: the
    // model's access() for `request` (the mask port's model when `mask` and there is one), and
    // the byte and access counts. b_transport calls it once its checks pass. An initiator that
    // the elaborating code wired to this target directly calls it in place of b_transport for
    // timing-only accesses that would pass those checks (the PE's direct timing path,
    // ProcessingElement::set_direct_buffers), with the request b_transport would have built.
    // Returns the cycle the model says the access completes.
    double timed_access(const AccessRequest& request, bool mask) {
        TimingModel& timing = mask && mask_model_ ? *mask_model_ : *model_;
        const double done = timing.access(request);
        if (request.write) {
            write_bytes_ += request.bytes;
            ++writes_;
        } else {
            read_bytes_ += request.bytes;
            ++reads_;
        }
        return done;
    }

protected:
    // A second timing model for transactions that carry a mask (TileExtension::is_mask): they then
    // use a port of their own beside the data's (the original simulator's mask buffer loads in
    // parallel; compat.bandwidth_units). Without one, masks share the data's model.
    void set_mask_model(std::unique_ptr<TimingModel> model) { mask_model_ = std::move(model); }

private:
    void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
    bool in_range(const tlm::tlm_generic_payload& trans) const;

    const Clock& clock_;
    std::uint64_t capacity_;
    std::unique_ptr<TimingModel> model_;
    std::unique_ptr<TimingModel> mask_model_;  // null unless set_mask_model()
    SparseMemory storage_;
    std::uint64_t read_bytes_ = 0, write_bytes_ = 0, reads_ = 0, writes_ = 0;
};

}  // namespace acceltran
