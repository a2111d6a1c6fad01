#include "modules/tlm/sparse_memory.h"

#include <algorithm>
#include <cstring>

namespace acceltran {

void SparseMemory::read(std::uint64_t address, unsigned char* out, std::uint64_t length) const {
    while (length > 0) {
        std::uint64_t page = address / kPageBytes, offset = address % kPageBytes;
        std::uint64_t n = std::min(length, kPageBytes - offset);
        auto it = pages_.find(page);
        if (it == pages_.end())
            std::memset(out, 0, n);
        else
            std::memcpy(out, it->second->data() + offset, n);
        out += n;
        address += n;
        length -= n;
    }
}

void SparseMemory::write(std::uint64_t address, const unsigned char* in, std::uint64_t length) {
    while (length > 0) {
        std::uint64_t page = address / kPageBytes, offset = address % kPageBytes;
        std::uint64_t n = std::min(length, kPageBytes - offset);
        auto& slot = pages_[page];
        if (!slot) slot = std::make_unique<std::vector<unsigned char>>(kPageBytes, 0);
        std::memcpy(slot->data() + offset, in, n);
        in += n;
        address += n;
        length -= n;
    }
}

}  // namespace acceltran
