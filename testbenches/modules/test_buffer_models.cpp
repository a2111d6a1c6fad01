// Testbench for the buffer models (modules/buffers/*_buffer_model.*): plain C++, no SystemC.
// Unless stated, the geometry is 4 banks of 16 bytes (64 bytes/cycle) with a 2-cycle latency;
// all figures are small integers or halves, exact in double precision, so comparisons are exact.
#include <catch2/catch.hpp>

#include <memory>
#include <random>

#include "modules/buffers/banked_sram_buffer_model.h"
#include "modules/buffers/double_buffered_buffer_model.h"
#include "modules/buffers/ideal_buffer_model.h"
#include "modules/buffers/sram_buffer_model.h"
#include "core/bandwidth_port.h"
#include "core/model_registry.h"

using namespace acceltran;

namespace {

ModelContext geometry() {
    ModelContext c;
    c.instance = "activation";
    c.capacity_bytes = 1 << 20;
    c.banks = 4;
    c.bank_width_bytes = 16;
    c.bytes_per_cycle = 64;
    c.latency_cycles = 2;
    return c;
}

// The named model with its defaults, overridden by `set` ("name", value) pairs.
std::unique_ptr<TimingModel> make_buffer_model(const std::string& name,
                                  std::vector<std::pair<std::string, double>> set = {},
                                  ModelContext c = geometry()) {
    ModelSelection s = ModelRegistry::instance().defaults(ModelKind::Buffer, name);
    for (const auto& kv : set) s.parameters.set(kv.first, kv.second, std::to_string(kv.second), true);
    return ModelRegistry::instance().create(ModelKind::Buffer, s, c);
}

double read(TimingModel& m, std::uint64_t address, std::uint64_t bytes, double arrival) {
    return m.access(AccessRequest{false, address, bytes, arrival, 0});
}
double write(TimingModel& m, std::uint64_t address, std::uint64_t bytes, double arrival) {
    return m.access(AccessRequest{true, address, bytes, arrival, 0});
}

}  // namespace

TEST_CASE("sram with its defaults times every access exactly as a BandwidthPort of banks x width",
          "[modules][buffer_models]") {
    // The default model must not change any result (golden tests): the same random sequence of
    // out-of-order arrivals through both gives identical completions and busy/queued cycles.
    auto sram = make_buffer_model("sram");
    BandwidthPort port(64, 2);
    std::mt19937_64 rng(7);
    double now = 0;
    for (int i = 0; i < 2000; ++i) {
        const double arrival = now + double(rng() % 200);
        const std::uint64_t bytes = 1 + rng() % 4096;
        const bool is_write = rng() % 2;
        REQUIRE(sram->access(AccessRequest{is_write, rng() % 100000, bytes, arrival, now}) ==
                port.reserve(arrival, bytes, now));
        if (i % 10 == 0) now += 50;
    }
    CHECK(sram->stats().busy_cycles == port.busy_cycles());
    CHECK(sram->stats().queued_cycles == port.queued_cycles());
    CHECK(sram->peak_bytes_per_cycle() == 64);
}

TEST_CASE("sram: a dual-ported buffer overlaps a read with a write, a single-ported one serializes them",
          "[modules][buffer_models]") {
    auto single = make_buffer_model("sram");
    CHECK(read(*single, 0, 640, 0) == 10 + 2);    // 640 / 64 = 10 cycles + latency
    CHECK(write(*single, 4096, 640, 0) == 20 + 2);  // waits for the read
    auto dual = make_buffer_model("sram", {{"ports", 2}});
    CHECK(read(*dual, 0, 640, 0) == 12);
    CHECK(write(*dual, 4096, 640, 0) == 12);  // its own port
    CHECK(read(*dual, 0, 640, 0) == 22);      // reads still share the read port
    CHECK(dual->peak_bytes_per_cycle() == 128);
}

TEST_CASE("sram: block_bytes rounds a transfer up to whole blocks, bytes_per_cycle overrides the geometry",
          "[modules][buffer_models]") {
    auto blocked = make_buffer_model("sram", {{"block_bytes", 64}});
    CHECK(read(*blocked, 0, 65, 0) == 2 + 2);  // 65 B -> 2 blocks = 128 B = 2 cycles
    auto narrow = make_buffer_model("sram", {{"bytes_per_cycle", 8}});
    CHECK(read(*narrow, 0, 64, 0) == 8 + 2);
}

TEST_CASE("ideal: every access completes latency cycles after it arrives, whatever the load",
          "[modules][buffer_models]") {
    auto ideal = make_buffer_model("ideal");
    for (int i = 0; i < 100; ++i) CHECK(read(*ideal, 0, 1 << 20, 5) == 7);
    CHECK(ideal->stats().busy_cycles == 0);
}

TEST_CASE("banked_sram: accesses to one bank serialize, to different banks proceed in parallel",
          "[modules][buffer_models]") {
    // 4 banks x 16 B/cycle, interleaved by 64-byte blocks: bank = (address / 64) mod 4.
    // A 64-byte block takes 64 / 16 = 4 cycles on its bank.
    auto conflict = make_buffer_model("banked_sram");
    CHECK(read(*conflict, 0, 64, 0) == 4 + 2);        // bank 0
    CHECK(read(*conflict, 4 * 64, 64, 0) == 8 + 2);   // bank 0 again: waits 4 cycles
    CHECK(read(*conflict, 8 * 64, 64, 0) == 12 + 2);  // and again
    auto stats = conflict->stats();
    CHECK(stats.queued_cycles == 4 + 8);
    REQUIRE(stats.counters.size() == 1);
    CHECK(stats.counters[0].second == 2);  // two bank conflicts

    auto parallel = make_buffer_model("banked_sram");
    for (int b = 0; b < 4; ++b) CHECK(read(*parallel, std::uint64_t(b) * 64, 64, 0) == 4 + 2);
    CHECK(parallel->stats().counters[0].second == 0);
}

TEST_CASE("banked_sram: a stripe over every bank moves banks x width bytes per cycle, an unaligned one pays its slowest bank",
          "[modules][buffer_models]") {
    auto m = make_buffer_model("banked_sram");
    // 1024 B = 16 blocks, 4 per bank: 256 B / 16 = 16 cycles on every bank, as sram at 64 B/cycle.
    CHECK(read(*m, 0, 1024, 0) == 16 + 2);
    // 32 B at 48 spans blocks 0 (16 B, bank 0) and 1 (16 B, bank 1): 1 cycle each, in parallel.
    auto u = make_buffer_model("banked_sram");
    CHECK(read(*u, 48, 32, 0) == 1 + 2);
    // 5 blocks from 0: bank 0 holds two of them (blocks 0 and 4): 8 cycles.
    auto five = make_buffer_model("banked_sram");
    CHECK(read(*five, 0, 5 * 64, 0) == 8 + 2);
    // Tiny blocks over many banks: the analytic round-robin split agrees with the block-by-block count.
    ModelContext many = geometry();
    many.banks = 7;
    auto seven = make_buffer_model("banked_sram", {{"block_bytes", 3}}, many);
    // 100 B from 5: head 1 B (block 1, bank 1), 33 whole blocks (4 or 5 per bank), tail 0 B.
    // Blocks 2..34 -> banks 2,3,4,5,6,0,1,...: 33 = 4 x 7 + 5, so banks 2..6 get 5 blocks (15 B),
    // banks 0 and 1 get 4 (12 B; bank 1 also the 1-byte head: 13 B). Slowest: 15 B / 16 B/cycle.
    CHECK(read(*seven, 5, 100, 0) == Approx(15.0 / 16 + 2));
}

TEST_CASE("double_buffered: a load into one half overlaps reads of the other, the same half serializes",
          "[modules][buffer_models]") {
    // 1 MiB: halves [0, 512 KiB) and [512 KiB, 1 MiB), each 32 B/cycle (half of 4 x 16).
    auto m = make_buffer_model("double_buffered");
    CHECK(write(*m, 0, 640, 0) == 20 + 2);             // the DMA fills the ping half
    CHECK(read(*m, 512 * 1024, 640, 0) == 20 + 2);     // units read the pong half meanwhile
    CHECK(read(*m, 1024, 640, 0) == 40 + 2);           // the ping half is still busy
    // Straddling the middle: 32 B in each half, both after the earlier traffic there.
    CHECK(read(*m, 512 * 1024 - 32, 64, 0) == 41 + 2);
    CHECK(m->peak_bytes_per_cycle() == 64);
}

TEST_CASE("writes_hold_up_reads says what each built-in's timing does to a read arriving behind a write",
          "[modules][buffer_models]") {
    // The fast detail level charges tiles' reads for DMA bursts only where a model says writes
    // hold them up (docs/model-reference.md §6a); each built-in's answer must be its own timing:
    // a 640-byte read at cycle 0 behind a 640-byte write at cycle 0, against the same read on an
    // idle model. double_buffered: the DMA loads one half while the tiles read the other.
    struct Case {
        const char* model;
        std::vector<std::pair<std::string, double>> set;
        std::uint64_t write_at, read_at;
    };
    const std::uint64_t half = (1u << 20) / 2;
    for (const Case& c : {Case{"sram", {}, 0, 4096}, Case{"sram", {{"ports", 2}}, 0, 4096},
                          Case{"banked_sram", {}, 0, 0}, Case{"double_buffered", {}, 0, half},
                          Case{"ideal", {}, 0, 4096}}) {
        INFO(c.model << (c.set.empty() ? "" : " with two ports"));
        auto alone = make_buffer_model(c.model, c.set);
        const double idle = read(*alone, c.read_at, 640, 0);
        auto behind = make_buffer_model(c.model, c.set);
        write(*behind, c.write_at, 640, 0);
        const bool held_up = read(*behind, c.read_at, 640, 0) > idle;
        const auto* buffer = dynamic_cast<const BufferModel*>(behind.get());
        REQUIRE(buffer != nullptr);
        CHECK(buffer->writes_hold_up_reads() == held_up);
    }
}
