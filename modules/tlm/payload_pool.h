// A memory manager for generic payloads: acquire/release reference counting as the base
// protocol prescribes, with freed payloads reused instead of reallocated.
#pragma once

#include <memory>
#include <vector>

#include <tlm>

namespace acceltran {

class PayloadPool : public tlm::tlm_mm_interface {
public:
    // A payload with reference count 1, owned by the caller until it calls release().
    tlm::tlm_generic_payload* acquire() {
        tlm::tlm_generic_payload* p;
        if (free_.empty()) {
            storage_.push_back(std::make_unique<tlm::tlm_generic_payload>(this));
            p = storage_.back().get();
        } else {
            p = free_.back();
            free_.pop_back();
        }
        p->acquire();
        return p;
    }

    void free(tlm::tlm_generic_payload* p) override {
        // Extensions stay attached (reset() keeps those not set as auto-extensions), so a reused
        // payload finds its extension objects already there.
        p->reset();
        free_.push_back(p);
    }

private:
    std::vector<std::unique_ptr<tlm::tlm_generic_payload>> storage_;
    std::vector<tlm::tlm_generic_payload*> free_;
};

}  // namespace acceltran
