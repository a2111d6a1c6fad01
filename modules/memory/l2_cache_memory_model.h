// `l2_cache`: main memory as a shared L2 in front of DRAM, the memory system of the survey's
// Gemmini template (Kim et al. 2023, arXiv 2302.14017, Sec. 3.3: a 2 MB L2, 16 B/cycle between
// the accelerator's local memories and the L2, 64 B/cycle between the L2 and DRAM).
//
// Every transfer crosses the link to the L2 (`link_gbps`, `hit_latency_ns`). The L2 holds
// `size_kb` in blocks of `block_bytes`, least recently used first out, write-allocate and
// write-back, each block in up to 64 sectors (64-byte lines for 4 KiB blocks): a read fetches
// from DRAM the sectors it touches that hold no data yet (the accelerator's own main_memory
// bandwidth_gbps and latency_ns), a write makes its sectors valid and dirty without a fetch (the
// DMA writes whole bursts), and evicting a dirty block writes its dirty bytes back. A read completes when both its link transfer and its DRAM fetch are done (the
// two stream through the L2 together); a write completes with its link transfer, its write-backs
// occupying DRAM behind it. Work per access is per touched block, never per cycle. Formulas and
// sources: docs/model-reference.md §8b.
#pragma once

#include <cstdint>
#include <list>
#include <unordered_map>

#include "core/bandwidth_port.h"
#include "core/memory_model.h"

namespace acceltran {

class L2CacheMemoryModel : public MemoryModel {
public:
    L2CacheMemoryModel(const ModelContext& context, const ModelParameters& parameters);
    static ModelEntry entry();

    double access(const AccessRequest& request) override;
    ModelStats stats() const override;
    double peak_bytes_per_cycle() const override { return link_.bytes_per_cycle(); }

    struct Counters {
        double hits = 0, misses = 0, writebacks = 0;  // blocks
        double dram_read_bytes = 0, dram_write_bytes = 0;
    };
    const Counters& counters() const { return counters_; }
    std::uint64_t capacity_blocks() const { return capacity_blocks_; }

private:
    struct Block {
        std::uint64_t dirty_bytes = 0;
        std::uint64_t valid = 0;  // bit s: sector s holds data
        std::list<std::uint64_t>::iterator lru;  // position in lru_ (front: most recent)
    };
    // Makes `block` resident and most recent. Returns it, whether it was resident already, and
    // adds the dirty bytes of a block it evicted to `written_back`.
    struct Touched {
        Block& block;
        bool was_resident;
    };
    Touched touch(std::uint64_t block, std::uint64_t& written_back);

    BandwidthPort link_;  // accelerator memories <-> L2
    BandwidthPort dram_;  // L2 <-> DRAM
    std::uint64_t block_bytes_;
    std::uint64_t sector_bytes_;  // block_bytes_ / 64, at least 64
    std::uint64_t capacity_blocks_;
    double access_energy_nj_;  // per 64 bytes crossing the link
    std::unordered_map<std::uint64_t, Block> blocks_;
    std::list<std::uint64_t> lru_;
    Counters counters_;
    std::uint64_t link_bytes_ = 0;
};

}  // namespace acceltran
