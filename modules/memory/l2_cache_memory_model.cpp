#include "modules/memory/l2_cache_memory_model.h"

#include <algorithm>

namespace acceltran {

ModelEntry L2CacheMemoryModel::entry() {
    return memory_model_entry<L2CacheMemoryModel>(
        "l2_cache",
        "a shared L2 (LRU, write-back) in front of DRAM: transfers cross a link of link_gbps, misses and "
        "write-backs move at main_memory's bandwidth_gbps",
        {ParameterSpec::number("size_kb", 2048, 1, 1 << 30, "L2 capacity in kB (1024 bytes)"),
         ParameterSpec::integer("block_bytes", 4096, 64, 1 << 20,
                                "bytes the L2 tracks as one block (residency, LRU, dirtiness)"),
         ParameterSpec::number("link_gbps", 16, 1e-6, 1e9,
                               "bandwidth between the accelerator's memories and the L2, GB/s"),
         ParameterSpec::number("hit_latency_ns", 20, 0, 1e9, "first-byte latency of a transfer to or from the L2, ns"),
         ParameterSpec::number("access_energy_nj", 0, 0, 1e9,
                               "L2 energy per 64 bytes crossing the link, nJ (DRAM bytes are charged by the "
                               "technology table)")});
}

L2CacheMemoryModel::L2CacheMemoryModel(const ModelContext& c, const ModelParameters& p)
    : link_(p.number("link_gbps") * 1e3 / c.clock_mhz, p.number("hit_latency_ns") * 1e-3 * c.clock_mhz),
      dram_(c.bytes_per_cycle, c.latency_cycles),
      block_bytes_(std::uint64_t(p.integer("block_bytes"))),
      sector_bytes_(std::max<std::uint64_t>(64, (block_bytes_ + 63) / 64)),
      capacity_blocks_(std::max<std::uint64_t>(1, std::uint64_t(p.number("size_kb") * 1024) / block_bytes_)),
      access_energy_nj_(p.number("access_energy_nj")) {
    // The link is what the accelerator sees: its busy stretches are the main-memory port's.
    link_.set_listener([this](double start, double end, double bytes) { report_busy(start, end, bytes); });
}

L2CacheMemoryModel::Touched L2CacheMemoryModel::touch(std::uint64_t block, std::uint64_t& written_back) {
    auto it = blocks_.find(block);
    if (it != blocks_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        return {it->second, true};
    }
    if (blocks_.size() >= capacity_blocks_) {
        auto victim = blocks_.find(lru_.back());
        lru_.pop_back();
        if (victim->second.dirty_bytes > 0) ++counters_.writebacks;
        written_back += victim->second.dirty_bytes;
        blocks_.erase(victim);
    }
    lru_.push_front(block);
    Block& fresh = blocks_[block];
    fresh.lru = lru_.begin();
    return {fresh, false};
}

double L2CacheMemoryModel::access(const AccessRequest& r) {
    link_bytes_ += r.bytes;
    std::uint64_t fetch = 0, write_back = 0;
    if (r.bytes > 0) {
        const std::uint64_t first = r.address / block_bytes_, last = (r.address + r.bytes - 1) / block_bytes_;
        for (std::uint64_t b = first; b <= last; ++b) {
            // The bytes of this access inside block b.
            const std::uint64_t lo = std::max(r.address, b * block_bytes_);
            const std::uint64_t hi = std::min(r.address + r.bytes, (b + 1) * block_bytes_);
            const Touched t = touch(b, write_back);
            // The sectors [lo, hi) touches; a read fetches the ones without data (whole sectors,
            // the last one of a block cut at the block's end).
            const std::uint64_t s0 = (lo - b * block_bytes_) / sector_bytes_, s1 = (hi - 1 - b * block_bytes_) / sector_bytes_;
            const std::uint64_t sectors = (s1 - s0 == 63 ? ~std::uint64_t(0) : ((std::uint64_t(1) << (s1 - s0 + 1)) - 1)) << s0;
            const std::uint64_t missing = r.write ? 0 : sectors & ~t.block.valid;
            for (std::uint64_t m = missing; m != 0; m &= m - 1) {
                const auto s = std::uint64_t(__builtin_ctzll(m));
                fetch += std::min(sector_bytes_, block_bytes_ - s * sector_bytes_);
            }
            if (t.was_resident && missing == 0) ++counters_.hits; else ++counters_.misses;
            t.block.valid |= sectors;
            if (r.write) t.block.dirty_bytes = std::min(block_bytes_, t.block.dirty_bytes + (hi - lo));
        }
    }
    counters_.dram_read_bytes += double(fetch);
    counters_.dram_write_bytes += double(write_back);
    const double link_done = link_.reserve(r.arrival, r.bytes, r.now);
    if (fetch + write_back == 0) return link_done;
    const double dram_done = dram_.reserve(r.arrival, fetch + write_back, r.now);
    // A read streams from DRAM through the L2 and waits for both; a write's write-backs drain
    // behind it.
    return r.write ? link_done : std::max(link_done, dram_done);
}

ModelStats L2CacheMemoryModel::stats() const {
    ModelStats s;
    s.busy_cycles = link_.busy_cycles();
    s.queued_cycles = link_.queued_cycles() + dram_.queued_cycles();
    s.energy_j = access_energy_nj_ * 1e-9 * double(link_bytes_) / 64.0;
    s.device_bytes = counters_.dram_read_bytes + counters_.dram_write_bytes;
    s.counters = {{"l2_hit_blocks", counters_.hits},
                  {"l2_miss_blocks", counters_.misses},
                  {"l2_writeback_blocks", counters_.writebacks},
                  {"dram_read_bytes", counters_.dram_read_bytes},
                  {"dram_write_bytes", counters_.dram_write_bytes},
                  {"dram_busy_cycles", dram_.busy_cycles()}};
    return s;
}

}  // namespace acceltran
