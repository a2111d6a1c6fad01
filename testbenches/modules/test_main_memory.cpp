// Testbench for MainMemory (modules/memory/main_memory.h): bandwidth from GB/s and the clock,
// first-byte latency from ns, one TLM initiator issuing blocking reads and writes.
//
// Timing tolerance: Clock converts cycles to sc_time once, rounded to the 1 ps resolution, so an
// expected time is within 0.5 ps of the ideal; we allow 1 ps. Read back as cycles at 700 MHz
// (1428.571... ps per cycle), 1 ps is 7e-4 cycles; we allow 1e-3 cycles.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "core/accelerator_config.h"
#include "modules/tlm/clock.h"
#include "modules/memory/fixed_bandwidth_memory_model.h"
#include "modules/memory/main_memory.h"

using namespace acceltran;

namespace {

constexpr double kCycleMargin = 1e-3;  // 1 ps at 700 MHz is 7e-4 cycles (see header)

sc_core::sc_time ps(double v) { return sc_core::sc_time(v, sc_core::SC_PS); }

bool near(const sc_core::sc_time& a, const sc_core::sc_time& b) {  // within 1 ps
    return (a > b ? a - b : b - a) <= ps(1);
}

// Issues a list of blocking reads, all at cycle 0 with zero annotated delay (loosely timed: the
// initiator does not wait between them), then waits for each returned delay in turn and records
// the absolute completion time of each.
struct MemoryInitiator : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<MemoryInitiator> socket;
    std::vector<std::uint64_t> addresses;
    unsigned bytes = 0;
    std::vector<sc_core::sc_time> done;

    SC_HAS_PROCESS(MemoryInitiator);
    explicit MemoryInitiator(const sc_core::sc_module_name& n) : sc_module(n), socket("socket") { SC_THREAD(run); }

    void run() {
        std::vector<unsigned char> data(bytes);
        std::vector<sc_core::sc_time> delays;
        for (std::uint64_t a : addresses) {
            tlm::tlm_generic_payload t;
            t.set_command(tlm::TLM_READ_COMMAND);
            t.set_address(a);
            t.set_data_ptr(data.data());
            t.set_data_length(bytes);
            t.set_streaming_width(bytes);
            t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
            sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
            socket->b_transport(t, delay);
            if (t.get_response_status() != tlm::TLM_OK_RESPONSE) delay = sc_core::SC_ZERO_TIME;
            delays.push_back(delay);
        }
        for (const auto& d : delays) done.push_back(sc_core::sc_time_stamp() + d);
    }
};

}  // namespace

TEST_CASE("MainMemory: a 64 KiB read at 25.6 GB/s and 700 MHz takes 1792 + 35 = 1827 cycles",
          "[modules][main_memory]") {
    AcceleratorConfig config;  // defaults: 700 MHz, 25.6 GB/s, 50 ns (LP-DDR3 design point)
    REQUIRE(config.clock_mhz == 700);
    REQUIRE(config.main_memory.bandwidth_gbps == 25.6);
    REQUIRE(config.main_memory.latency_ns == 50);
    Clock clock(config.clock_mhz);
    MainMemory memory("main_memory", clock, config);
    MemoryInitiator cpu("initiator");
    cpu.socket.bind(memory.socket);
    cpu.addresses = {0x1000'0000};
    cpu.bytes = 65536;

    // Bytes per cycle = 25.6e9 / 700e6 = 36.5714... ; latency = 50 ns * 0.7 cycles/ns = 35 cycles.
    const auto& model = dynamic_cast<const FixedBandwidthMemoryModel&>(memory.model());
    CHECK(model.port().bytes_per_cycle() == Approx(25.6e9 / 700e6).epsilon(1e-12));
    CHECK(model.port().latency() == Approx(35).epsilon(1e-12));

    sc_core::sc_start();
    REQUIRE(cpu.done.size() == 1);
    // Transfer: 65536 / (25.6e9 / 700e6) = 65536 * 7 / 256 = 1792 cycles; + 35 = 1827 cycles
    // = 1827 / 700 MHz = 2610 ns exactly (1827 / 0.7).
    CHECK(clock.to_cycles(cpu.done[0]) == Approx(1827).margin(kCycleMargin));
    CHECK(near(cpu.done[0], sc_core::sc_time(2610, sc_core::SC_NS)));

    const MemoryTraffic t = memory.traffic();
    CHECK(t.reads == 1);
    CHECK(t.read_bytes == 65536);
    CHECK(t.busy_cycles == Approx(1792).margin(1e-9));
    CHECK(t.queued_cycles == Approx(0).margin(1e-9));
}

TEST_CASE("MainMemory: back-to-back 64 KiB reads stream at the bandwidth and pay the latency each",
          "[modules][main_memory]") {
    AcceleratorConfig config;
    Clock clock(config.clock_mhz);
    MainMemory memory("main_memory", clock, config);
    MemoryInitiator cpu("initiator");
    cpu.socket.bind(memory.socket);
    cpu.addresses = {0, 65536, 1u << 30};
    cpu.bytes = 65536;
    sc_core::sc_start();
    REQUIRE(cpu.done.size() == 3);
    // Port [0, 1792), [1792, 3584), [3584, 5376); each + 35 latency:
    // 1827, 3619, 5411 cycles = 2610 ns, 5170 ns, 7730 ns.
    CHECK(clock.to_cycles(cpu.done[0]) == Approx(1827).margin(kCycleMargin));
    CHECK(clock.to_cycles(cpu.done[1]) == Approx(3619).margin(kCycleMargin));
    CHECK(clock.to_cycles(cpu.done[2]) == Approx(5411).margin(kCycleMargin));
    CHECK(near(cpu.done[1], sc_core::sc_time(5170, sc_core::SC_NS)));
    CHECK(near(cpu.done[2], sc_core::sc_time(7730, sc_core::SC_NS)));
    const MemoryTraffic t = memory.traffic();
    CHECK(t.reads == 3);
    CHECK(t.read_bytes == 3 * 65536);
    CHECK(t.busy_cycles == Approx(3 * 1792).margin(1e-9));
    CHECK(t.queued_cycles == Approx(1792 + 2 * 1792).margin(1e-9));  // waited 1792 and 3584
}

TEST_CASE("MainMemory: an HBM-like point (256 GB/s, 1 GHz, 100 ns) reads 64 KiB in 256 + 100 cycles",
          "[modules][main_memory]") {
    AcceleratorConfig config;
    config.clock_mhz = 1000;
    config.main_memory.type = "hbm2";
    config.main_memory.bandwidth_gbps = 256;
    config.main_memory.latency_ns = 100;
    Clock clock(config.clock_mhz);
    MainMemory memory("main_memory", clock, config);
    MemoryInitiator cpu("initiator");
    cpu.socket.bind(memory.socket);
    cpu.addresses = {123};
    cpu.bytes = 65536;
    sc_core::sc_start();
    REQUIRE(cpu.done.size() == 1);
    // 256e9 / 1e9 = 256 B/cycle: 65536 / 256 = 256 cycles; 100 ns * 1 cycle/ns = 100 cycles.
    // 356 cycles = 356 ns exactly at 1 GHz.
    CHECK(clock.to_cycles(cpu.done[0]) == Approx(356).margin(1e-6));
    CHECK(near(cpu.done[0], sc_core::sc_time(356, sc_core::SC_NS)));
}

TEST_CASE("MainMemory: a plain write (no extension) stores bytes that transport_dbg reads back",
          "[modules][main_memory]") {
    AcceleratorConfig config;
    Clock clock(config.clock_mhz);
    MainMemory memory("main_memory", clock, config);
    MemoryInitiator cpu("initiator");  // no reads configured
    cpu.socket.bind(memory.socket);
    sc_core::sc_start();

    // High in the 1 TiB space: storage is sparse, so this costs one page.
    const std::uint64_t address = (std::uint64_t(1) << 39) + 12345;
    std::vector<unsigned char> bytes(100);
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(255 - i);
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_WRITE_COMMAND);
    t.set_address(address);
    t.set_data_ptr(bytes.data());
    t.set_data_length(100);
    t.set_streaming_width(100);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    cpu.socket->b_transport(t, delay);
    CHECK(t.get_response_status() == tlm::TLM_OK_RESPONSE);
    // 100 B / 36.571 B per cycle = 2.734375 cycles (100 * 7 / 256) + 35 latency = 37.734375.
    CHECK(clock.to_cycles(delay) == Approx(37.734375).margin(kCycleMargin));

    std::vector<unsigned char> back(100, 0);
    tlm::tlm_generic_payload r;
    r.set_command(tlm::TLM_READ_COMMAND);
    r.set_address(address);
    r.set_data_ptr(back.data());
    r.set_data_length(100);
    CHECK(cpu.socket->transport_dbg(r) == 100);
    CHECK(back == bytes);
    CHECK(memory.traffic().writes == 1);
    CHECK(memory.traffic().write_bytes == 100);

    // Beyond the 1 TiB window: address error, no traffic.
    t.set_address(MainMemory::kCapacity - 50);
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    delay = sc_core::SC_ZERO_TIME;
    cpu.socket->b_transport(t, delay);
    CHECK(t.get_response_status() == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    CHECK(memory.traffic().writes == 1);
}

TEST_CASE("MainMemory: with model dram the TLM delay is the dram model's completion (row miss then hit)",
          "[modules][main_memory][dram]") {
    // 1000 MHz, so cycles are ns. LPDDR3-1600 preset: a first 32-byte read misses,
    // tRCD + tCL + one burst = 18 + 15 + 5 = 38 ns; the same row again hits, tCL + burst = 20 ns
    // after it arrives, which (loosely timed, arriving at 0) is behind the first on the bus: 43.
    AcceleratorConfig config;
    config.clock_mhz = 1000;
    config.main_memory.model = "dram";
    config.main_memory.model_parameters = ModelRegistry::instance().defaults(ModelKind::Memory, "dram").parameters;
    Clock clock(config.clock_mhz);
    MainMemory memory("main_memory", clock, config);
    MemoryInitiator cpu("initiator");
    cpu.socket.bind(memory.socket);
    cpu.addresses = {0, 4 * 32};  // burst 4 of channel 0: same channel, bank and row as burst 0
    cpu.bytes = 32;
    sc_core::sc_start();
    REQUIRE(cpu.done.size() == 2);
    CHECK(clock.to_cycles(cpu.done[0]) == Approx(38).margin(kCycleMargin));
    CHECK(clock.to_cycles(cpu.done[1]) == Approx(43).margin(kCycleMargin));
    const ModelStats s = memory.model().stats();
    REQUIRE(s.counters.size() == 4);
    CHECK(s.counters[0] == std::make_pair(std::string("row_hits"), 1.0));
    CHECK(s.counters[1] == std::make_pair(std::string("row_misses"), 1.0));
    CHECK(memory.traffic().reads == 2);
}
