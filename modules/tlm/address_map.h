// The on-chip address map seen through the buffer interconnect: each buffer occupies its own
// window, so a processing element or the DMA reaches a buffer by address alone, as on a bus.
#pragma once

#include <cstdint>

#include "workloads/tiled_program.h"

namespace acceltran {

struct AddressMap {
    static constexpr std::uint64_t kWindow = std::uint64_t(1) << 40;  // 1 TiB per buffer
    static constexpr std::uint64_t kBufferBase = std::uint64_t(1) << 44;

    static std::uint64_t base(workloads::BufferKind b) {
        return kBufferBase + std::uint64_t(b) * kWindow;
    }
    // Which buffer an address falls in; false when it is outside every window.
    static bool decode(std::uint64_t address, workloads::BufferKind& b, std::uint64_t& offset) {
        if (address < kBufferBase) return false;
        std::uint64_t index = (address - kBufferBase) / kWindow;
        if (index >= std::uint64_t(workloads::kBufferKinds)) return false;
        b = workloads::BufferKind(index);
        offset = (address - kBufferBase) % kWindow;
        return true;
    }
    // Where a tensor of `bytes` sits in a buffer of `capacity`: derived from its main-memory
    // address so that it is stable and inside the buffer. Nominal, since the static plan
    // accounts capacity in bytes without placing tensors (see workloads/tiled_program.h).
    static std::uint64_t place(workloads::BufferKind b, std::uint64_t seed, std::uint64_t bytes,
                               std::uint64_t capacity) {
        const std::uint64_t room = capacity > bytes ? capacity - bytes + 1 : 1;
        return base(b) + seed % room;
    }
};

}  // namespace acceltran
