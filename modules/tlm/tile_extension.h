// Accelerator facts that ride along with a data transaction (a tile or a DMA burst) in a
// generic payload. Ignorable: a third-party target that does not know it still sees a plain
// read or write of `length` bytes at `address`.
#pragma once

#include <cstdint>

#include <tlm>

namespace acceltran {

class TileExtension : public tlm::tlm_extension<TileExtension> {
public:
    int tensor = -1;             // tensor id in the op graph
    std::uint64_t tile = 0;      // tile ordinal within the op (0 for DMA bursts)
    std::uint64_t elements = 0;  // values covered by the transfer
    std::uint32_t element_bits = 20;
    std::uint64_t nonzeros = 0;  // values that are not zero (compressed data holds only these)
    bool is_mask = false;        // the transfer carries the one-bit-per-value mask
    // Timing-only runs move no values: targets must not copy through the data pointer.
    bool timing_only = true;
    void* values = nullptr;      // functional mode: the tile's values
    void* mask = nullptr;        // functional mode: the tile's mask

    tlm::tlm_extension_base* clone() const override { return new TileExtension(*this); }
    void copy_from(const tlm::tlm_extension_base& other) override {
        *this = static_cast<const TileExtension&>(other);
    }
};

}  // namespace acceltran
