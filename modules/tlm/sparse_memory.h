// Byte storage for a large address range, allocated in pages on first write, so that a 64 MiB
// buffer or a multi-GiB main memory costs nothing until a test or functional run writes to it.
// Unwritten bytes read as zero.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

namespace acceltran {

class SparseMemory {
public:
    void read(std::uint64_t address, unsigned char* out, std::uint64_t length) const;
    void write(std::uint64_t address, const unsigned char* in, std::uint64_t length);

private:
    static constexpr std::uint64_t kPageBytes = 4096;
    std::unordered_map<std::uint64_t, std::unique_ptr<std::vector<unsigned char>>> pages_;
};

}  // namespace acceltran
