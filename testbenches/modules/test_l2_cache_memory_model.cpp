// Testbench for the `l2_cache` main-memory model (modules/memory/l2_cache_memory_model.*): plain
// C++, no SystemC. The clock is 1000 MHz, so GB/s read as bytes per cycle and ns as cycles; the
// timings below are worked by hand from docs/model-reference.md §8b.
#include <catch2/catch.hpp>

#include <memory>

#include "core/model_registry.h"
#include "modules/builtin_models.h"
#include "modules/memory/l2_cache_memory_model.h"

using namespace acceltran;

namespace {

// An L2 of `blocks` 4 KiB blocks, a 16 B/cycle link with 20 cycles of hit latency, DRAM at
// 64 B/cycle with 50 cycles of latency, 0.1 nJ per 64 B on the link.
std::unique_ptr<L2CacheMemoryModel> l2_model_of(int blocks) {
    register_builtin_models();
    ModelContext c;
    c.instance = "main_memory";
    c.clock_mhz = 1000;
    c.bytes_per_cycle = 64;
    c.latency_cycles = 50;
    ModelParameters p;
    p.set("size_kb", 4.0 * blocks, std::to_string(4 * blocks), true);
    p.set("block_bytes", 4096, "4096", true);
    p.set("link_gbps", 16, "16", true);
    p.set("hit_latency_ns", 20, "20", true);
    p.set("access_energy_nj", 0.1, "0.1", true);
    return std::make_unique<L2CacheMemoryModel>(c, p);
}

AccessRequest l2_request(bool write, std::uint64_t address, std::uint64_t bytes, double arrival) {
    AccessRequest r;
    r.write = write;
    r.address = address;
    r.bytes = bytes;
    r.arrival = arrival;
    r.now = arrival;
    return r;
}

double l2_counter(const ModelStats& s, const std::string& name) {
    for (const auto& kv : s.counters)
        if (kv.first == name) return kv.second;
    FAIL("no counter " << name);
    return 0;
}

}  // namespace

TEST_CASE("l2_cache: a cold read waits for DRAM and the link, a second read hits", "[modules][l2]") {
    auto l2 = l2_model_of(4);
    // Cold 4 KiB read at cycle 0: link 4096 / 16 = 256 cycles + 20 latency = 276; DRAM
    // 4096 / 64 = 64 cycles + 50 latency = 114. The slower one decides: 276.
    CHECK(l2->access(l2_request(false, 0, 4096, 0)) == Approx(276));
    // The same block again at cycle 1000: a hit, the link alone: 1000 + 256 + 20.
    CHECK(l2->access(l2_request(false, 0, 4096, 1000)) == Approx(1276));
    const ModelStats s = l2->stats();
    CHECK(l2_counter(s, "l2_miss_blocks") == 1);
    CHECK(l2_counter(s, "l2_hit_blocks") == 1);
    CHECK(s.device_bytes == 4096);                          // only the miss reached DRAM
    CHECK(s.busy_cycles == Approx(512));                    // the link, both transfers
    CHECK(s.energy_j == Approx(0.1e-9 * 8192 / 64));       // every link byte pays the L2
}

TEST_CASE("l2_cache: with a slow DRAM a miss is bounded by DRAM", "[modules][l2]") {
    register_builtin_models();
    ModelContext c;
    c.clock_mhz = 1000;
    c.bytes_per_cycle = 4;  // DRAM slower than the 16 B/cycle link
    c.latency_cycles = 50;
    ModelParameters p;
    p.set("size_kb", 64, "64", true);
    p.set("block_bytes", 4096, "4096", true);
    p.set("link_gbps", 16, "16", true);
    p.set("hit_latency_ns", 20, "20", true);
    p.set("access_energy_nj", 0, "0", true);
    L2CacheMemoryModel l2(c, p);
    // DRAM: 4096 / 4 = 1024 + 50 = 1074 > link 256 + 20.
    CHECK(l2.access(l2_request(false, 0, 4096, 0)) == Approx(1074));
}

TEST_CASE("l2_cache: writes allocate without a fetch, and evicting a dirty block writes it back", "[modules][l2]") {
    auto l2 = l2_model_of(2);
    // A write completes with its link transfer, no DRAM traffic: 256 + 20.
    CHECK(l2->access(l2_request(true, 0, 4096, 0)) == Approx(276));
    CHECK(l2->stats().device_bytes == 0);
    // Two cold reads of other blocks fill the 2-block L2; the second evicts the dirty block 0
    // (least recently used), whose 4096 bytes go back to DRAM.
    l2->access(l2_request(false, 4096, 4096, 1000));
    CHECK(l2->stats().device_bytes == 4096);
    l2->access(l2_request(false, 8192, 4096, 2000));
    const ModelStats s = l2->stats();
    CHECK(l2_counter(s, "l2_writeback_blocks") == 1);
    CHECK(l2_counter(s, "dram_write_bytes") == 4096);
    CHECK(l2_counter(s, "dram_read_bytes") == 8192);
    CHECK(s.device_bytes == 12288);
    // Block 0 is gone: reading it again misses.
    l2->access(l2_request(false, 0, 4096, 3000));
    CHECK(l2_counter(l2->stats(), "l2_miss_blocks") == 3 + 1);  // the write's allocate counted as a miss too
}

TEST_CASE("l2_cache: least recently used goes first, and a partial read fetches only its sectors", "[modules][l2]") {
    auto l2 = l2_model_of(2);
    l2->access(l2_request(false, 0, 4096, 0));       // A
    l2->access(l2_request(false, 4096, 4096, 100));  // B
    l2->access(l2_request(false, 0, 4096, 200));     // A again: B is now the least recent
    l2->access(l2_request(false, 8192, 100, 300));   // C, 100 bytes: evicts B, fetches 2 sectors of 64
    CHECK(l2_counter(l2->stats(), "dram_read_bytes") == 4096 + 4096 + 128);
    const double hits = l2_counter(l2->stats(), "l2_hit_blocks");
    l2->access(l2_request(false, 0, 64, 400));       // A still there
    CHECK(l2_counter(l2->stats(), "l2_hit_blocks") == hits + 1);
    l2->access(l2_request(false, 4096, 64, 500));    // B was evicted
    CHECK(l2_counter(l2->stats(), "dram_read_bytes") == 4096 + 4096 + 128 + 64);
    // A read that spans two blocks counts one per block.
    const double misses = l2_counter(l2->stats(), "l2_miss_blocks");
    l2->access(l2_request(false, 20000, 4096, 600));  // blocks 4 and 5, both cold
    CHECK(l2_counter(l2->stats(), "l2_miss_blocks") == misses + 2);
}

TEST_CASE("l2_cache: a resident block's other sectors are fetched when first read, however the reads are cut",
          "[modules][l2]") {
    // Half a block, then the other half: the second read misses and fetches its 2048 bytes.
    auto halves = l2_model_of(4);
    halves->access(l2_request(false, 0, 2048, 0));
    halves->access(l2_request(false, 2048, 2048, 1000));
    CHECK(l2_counter(halves->stats(), "dram_read_bytes") == 4096);
    CHECK(l2_counter(halves->stats(), "l2_miss_blocks") == 2);
    CHECK(l2_counter(halves->stats(), "l2_hit_blocks") == 0);
    // 8192 bytes from address 100, as two unaligned 4 KiB bursts or one piece: the same sectors,
    // bytes [64, 8320), reach DRAM either way.
    auto bursts = l2_model_of(4), piece = l2_model_of(4);
    bursts->access(l2_request(false, 100, 4096, 0));
    bursts->access(l2_request(false, 4196, 4096, 0));
    piece->access(l2_request(false, 100, 8192, 0));
    CHECK(l2_counter(bursts->stats(), "dram_read_bytes") == 8320 - 64);
    CHECK(l2_counter(piece->stats(), "dram_read_bytes") == 8320 - 64);
    // Written sectors hold data: reading them back fetches nothing.
    auto written = l2_model_of(4);
    written->access(l2_request(true, 0, 1024, 0));
    written->access(l2_request(false, 0, 1024, 1000));
    CHECK(l2_counter(written->stats(), "dram_read_bytes") == 0);
    CHECK(l2_counter(written->stats(), "l2_hit_blocks") == 1);
}

TEST_CASE("l2_cache: the registry builds it with its defaults", "[modules][l2]") {
    register_builtin_models();
    const ModelEntry* e = ModelRegistry::instance().find(ModelKind::Memory, "l2_cache");
    REQUIRE(e != nullptr);
    ModelContext c;
    c.clock_mhz = 1000;
    c.bytes_per_cycle = 64;
    auto m = ModelRegistry::instance().create(ModelKind::Memory, ModelRegistry::instance().defaults(ModelKind::Memory, "l2_cache"), c);
    // Defaults: a 16 GB/s link at 1 GHz, 2048 kB in 4 KiB blocks.
    CHECK(m->peak_bytes_per_cycle() == Approx(16));
    CHECK(dynamic_cast<L2CacheMemoryModel&>(*m).capacity_blocks() == 512);
}
