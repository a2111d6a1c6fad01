// Testbench for TileBuffer (modules/buffers/tile_buffer.h) behind a BufferInterconnect.
//
// Each TEST_CASE builds one hierarchy (SystemC elaborates once per process; ctest runs each case
// in its own process): two initiator modules -> BufferInterconnect -> activation, weight and
// mask TileBuffers.
//
// Buffer configuration (all three the same): 64 KiB (size_mb = 1/16), 4 banks x 16 B = 64 B per
// cycle, 2-cycle access latency. The clock is 1000 MHz, so one cycle is exactly 1000 ps and every
// expected time below is a whole number of ps; cycles read back through Clock::to_cycles
// (ps * 1e-12 * 1e9) carry only double rounding, hence the 1e-6-cycle margins.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "modules/buffers/buffer_interconnect.h"
#include "modules/buffers/tile_buffer.h"
#include "modules/tlm/address_map.h"
#include "modules/tlm/clock.h"
#include "modules/tlm/tile_extension.h"

using namespace acceltran;
using workloads::BufferKind;

namespace {

constexpr double kBufferClockMhz = 1000;
constexpr double kBufferMargin = 1e-6;  // cycles: double rounding of ps -> s -> cycles only

BufferConfig small_buffer(const char* name) {
    BufferConfig c;
    c.name = name;
    c.size_mb = 1.0 / 16;  // 65536 B
    c.banks = 4;
    c.bank_width_bytes = 16;  // 4 x 16 = 64 B/cycle
    c.latency_cycles = 2;
    return c;
}

// An initiator that issues one blocking read of `bytes` at `address` at simulated cycle
// `issue_at` (annotated delay zero), waits out the returned delay and records the cycle at
// which the data arrived.
struct ReadInitiator : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<ReadInitiator> socket;
    const Clock& clock;
    std::uint64_t address = 0;
    unsigned bytes = 0;
    double issue_at = 0;
    double done = -1;
    tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
    std::vector<unsigned char> data;

    SC_HAS_PROCESS(ReadInitiator);
    ReadInitiator(const sc_core::sc_module_name& n, const Clock& c) : sc_module(n), socket("socket"), clock(c) {
        SC_THREAD(run);
    }

    void run() {
        if (bytes == 0) return;
        sc_core::wait(clock.to_time(issue_at));
        data.assign(bytes, 0xEE);
        tlm::tlm_generic_payload t;
        TileExtension ext;  // timing-only transfer of our own
        t.set_extension(&ext);
        t.set_command(tlm::TLM_READ_COMMAND);
        t.set_address(address);
        t.set_data_ptr(data.data());
        t.set_data_length(bytes);
        t.set_streaming_width(bytes);
        t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        socket->b_transport(t, delay);
        status = t.get_response_status();
        t.clear_extension(&ext);
        sc_core::wait(delay);
        done = clock.now();
    }
};

// The hierarchy shared by the test cases.
struct BufferBench {
    Clock clock{kBufferClockMhz};
    BufferInterconnect interconnect{"interconnect"};
    TileBuffer activation{"activation_buffer", clock, small_buffer("activation")};
    TileBuffer weight{"weight_buffer", clock, small_buffer("weight")};
    TileBuffer mask{"mask_buffer", clock, small_buffer("mask")};
    ReadInitiator first{"first", clock};
    ReadInitiator second{"second", clock};

    BufferBench() {
        // Order of binding = workloads::BufferKind order.
        interconnect.buffers.bind(activation.socket);
        interconnect.buffers.bind(weight.socket);
        interconnect.buffers.bind(mask.socket);
        first.socket.bind(interconnect.requesters);
        second.socket.bind(interconnect.requesters);
    }
};

unsigned dbg(tlm_utils::simple_initiator_socket<ReadInitiator>& socket, tlm::tlm_command cmd,
             std::uint64_t address, unsigned char* data, unsigned length) {
    tlm::tlm_generic_payload t;
    t.set_command(cmd);
    t.set_address(address);
    t.set_data_ptr(data);
    t.set_data_length(length);
    return socket->transport_dbg(t);
}

}  // namespace

TEST_CASE("TileBuffer: two simultaneous reads contend for the port and the second lands bytes/bandwidth later",
          "[modules][tile_buffer]") {
    BufferBench bench;
    // Both read 640 B from the activation buffer at cycle 0.
    bench.first.address = AddressMap::base(BufferKind::Activation) + 0;
    bench.second.address = AddressMap::base(BufferKind::Activation) + 4096;
    bench.first.bytes = bench.second.bytes = 640;
    sc_core::sc_start();

    REQUIRE(bench.first.status == tlm::TLM_OK_RESPONSE);
    REQUIRE(bench.second.status == tlm::TLM_OK_RESPONSE);
    // Whichever thread runs first: port [0, 10) (640 / 64 = 10 cycles) + 2 latency = 12;
    // the other waits for the port: [10, 20) + 2 = 22, i.e. 640 / 64 = 10 cycles later.
    const double early = std::min(bench.first.done, bench.second.done);
    const double late = std::max(bench.first.done, bench.second.done);
    CHECK(early == Approx(12).margin(kBufferMargin));
    CHECK(late == Approx(22).margin(kBufferMargin));
    CHECK(late - early == Approx(640.0 / 64).margin(kBufferMargin));

    const MemoryTraffic t = bench.activation.traffic();
    CHECK(t.reads == 2);
    CHECK(t.read_bytes == 1280);
    CHECK(t.writes == 0);
    CHECK(t.busy_cycles == 20);    // 2 x 10 cycles on the port
    CHECK(t.queued_cycles == 10);  // the second waited [0, 10)
    // The other buffers saw nothing: contention is per buffer.
    CHECK(bench.weight.traffic().reads == 0);
    CHECK(bench.mask.traffic().reads == 0);
}

TEST_CASE("TileBuffer: reads to different buffers at the same time do not contend",
          "[modules][tile_buffer]") {
    BufferBench bench;
    bench.first.address = AddressMap::base(BufferKind::Weight) + 100;
    bench.second.address = AddressMap::base(BufferKind::Mask) + 100;
    bench.first.bytes = 640;   // 10 cycles + 2 = 12
    bench.second.bytes = 128;  // 2 cycles + 2 = 4
    sc_core::sc_start();
    CHECK(bench.first.done == Approx(12).margin(kBufferMargin));
    CHECK(bench.second.done == Approx(4).margin(kBufferMargin));
    CHECK(bench.weight.traffic().queued_cycles == 0);
    CHECK(bench.mask.traffic().queued_cycles == 0);
}

TEST_CASE("TileBuffer: a read issued after the port frees is not delayed",
          "[modules][tile_buffer]") {
    BufferBench bench;
    bench.first.address = bench.second.address = AddressMap::base(BufferKind::Activation);
    bench.first.bytes = 640;  // [0, 10) -> 12
    bench.second.bytes = 64;  // issued at 15: [15, 16) -> 18
    bench.second.issue_at = 15;
    sc_core::sc_start();
    CHECK(bench.first.done == Approx(12).margin(kBufferMargin));
    CHECK(bench.second.done == Approx(18).margin(kBufferMargin));
    CHECK(bench.activation.traffic().queued_cycles == 0);
}

TEST_CASE("TileBuffer: transport_dbg write then read returns the bytes, through the interconnect and directly",
          "[modules][tile_buffer]") {
    BufferBench bench;
    sc_core::sc_start();  // completes elaboration (binds the sockets); no reads configured

    std::vector<unsigned char> written(300);
    for (std::size_t i = 0; i < written.size(); ++i) written[i] = static_cast<unsigned char>(i * 7 + 3);
    // Straddles a 4 KiB storage page: offset 4000 .. 4299 in the weight buffer.
    const std::uint64_t address = AddressMap::base(BufferKind::Weight) + 4000;
    CHECK(dbg(bench.first.socket, tlm::TLM_WRITE_COMMAND, address, written.data(), 300) == 300);

    std::vector<unsigned char> read(300, 0);
    CHECK(dbg(bench.second.socket, tlm::TLM_READ_COMMAND, address, read.data(), 300) == 300);
    CHECK(read == written);

    // The same bytes directly at the buffer-local address; the other buffers hold zeros there.
    tlm::tlm_generic_payload t;
    std::vector<unsigned char> direct(300, 0xFF);
    t.set_command(tlm::TLM_READ_COMMAND);
    t.set_address(4000);
    t.set_data_ptr(direct.data());
    t.set_data_length(300);
    CHECK(bench.weight.socket.get_base_interface().transport_dbg(t) == 300);
    CHECK(direct == written);
    std::fill(direct.begin(), direct.end(), 0xFF);
    CHECK(bench.activation.socket.get_base_interface().transport_dbg(t) == 300);
    CHECK(direct == std::vector<unsigned char>(300, 0));

    // Debug access costs no time and no traffic.
    CHECK(sc_core::sc_time_stamp() == sc_core::SC_ZERO_TIME);
    CHECK(bench.weight.traffic().reads == 0);
    CHECK(bench.weight.traffic().writes == 0);
    CHECK(bench.weight.traffic().busy_cycles == 0);
}

TEST_CASE("TileBuffer: an out-of-range access gets TLM_ADDRESS_ERROR_RESPONSE",
          "[modules][tile_buffer]") {
    BufferBench bench;
    // first: 64 B starting 32 B before the end of the 65536-B activation buffer.
    bench.first.address = AddressMap::base(BufferKind::Activation) + 65536 - 32;
    bench.first.bytes = 64;
    // second: below every buffer window (the interconnect cannot decode it).
    bench.second.address = AddressMap::kBufferBase - 64;
    bench.second.bytes = 64;
    sc_core::sc_start();
    CHECK(bench.first.status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    CHECK(bench.second.status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    // Rejected requests take no port time and count no traffic.
    CHECK(bench.first.done == Approx(0).margin(kBufferMargin));
    CHECK(bench.activation.traffic().reads == 0);
    CHECK(bench.activation.traffic().busy_cycles == 0);

    // The last 64 B exactly fit; one byte more does not (debug path, same range rule).
    unsigned char buf[65] = {};
    CHECK(dbg(bench.first.socket, tlm::TLM_READ_COMMAND,
              AddressMap::base(BufferKind::Activation) + 65536 - 64, buf, 64) == 64);
    CHECK(dbg(bench.first.socket, tlm::TLM_READ_COMMAND,
              AddressMap::base(BufferKind::Activation) + 65536 - 64, buf, 65) == 0);
}

TEST_CASE("TileBuffer: timing-only TileExtension transfers do not touch storage but plain ones do",
          "[modules][tile_buffer]") {
    BufferBench bench;
    sc_core::sc_start();

    const std::uint64_t address = AddressMap::base(BufferKind::Activation) + 256;
    std::vector<unsigned char> original(64, 0x5A);
    REQUIRE(dbg(bench.first.socket, tlm::TLM_WRITE_COMMAND, address, original.data(), 64) == 64);

    auto transport = [&](tlm::tlm_command cmd, unsigned char* data, TileExtension* ext) {
        tlm::tlm_generic_payload t;
        if (ext) t.set_extension(ext);
        t.set_command(cmd);
        t.set_address(address);
        t.set_data_ptr(data);
        t.set_data_length(64);
        t.set_streaming_width(64);
        t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        bench.first.socket->b_transport(t, delay);
        if (ext) t.clear_extension(ext);
        return t.get_response_status();
    };

    TileExtension timing;  // timing_only defaults to true
    REQUIRE(timing.timing_only);
    // A timing-only write of other bytes leaves storage alone...
    std::vector<unsigned char> other(64, 0xA5);
    CHECK(transport(tlm::TLM_WRITE_COMMAND, other.data(), &timing) == tlm::TLM_OK_RESPONSE);
    std::vector<unsigned char> back(64, 0);
    dbg(bench.first.socket, tlm::TLM_READ_COMMAND, address, back.data(), 64);
    CHECK(back == original);
    // ...and a timing-only read leaves the initiator's buffer alone.
    std::vector<unsigned char> sink(64, 0x11);
    CHECK(transport(tlm::TLM_READ_COMMAND, sink.data(), &timing) == tlm::TLM_OK_RESPONSE);
    CHECK(sink == std::vector<unsigned char>(64, 0x11));

    // With timing_only = false, and without any extension (a third-party initiator), bytes move.
    TileExtension functional;
    functional.timing_only = false;
    CHECK(transport(tlm::TLM_READ_COMMAND, sink.data(), &functional) == tlm::TLM_OK_RESPONSE);
    CHECK(sink == original);
    CHECK(transport(tlm::TLM_WRITE_COMMAND, other.data(), nullptr) == tlm::TLM_OK_RESPONSE);
    dbg(bench.first.socket, tlm::TLM_READ_COMMAND, address, back.data(), 64);
    CHECK(back == other);

    // Every one of the four counted as traffic (timing is modelled either way).
    const MemoryTraffic t = bench.activation.traffic();
    CHECK(t.reads == 2);
    CHECK(t.writes == 2);
    CHECK(t.read_bytes == 128);
    CHECK(t.write_bytes == 128);
}
