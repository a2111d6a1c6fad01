// Testbench for the DMA engine (modules/control/dma.h) between a MainMemory and three
// TileBuffers behind a BufferInterconnect, driven by a small controller that sends
// CommandExtension transfer requests with nb_transport_fw BEGIN_REQ and records when BEGIN_RESP
// comes back on the backward path.
//
// Design point (hand-picked so every figure is a whole or half cycle):
//   clock 700 MHz; main memory 25.6 GB/s -> 25.6e9 / 700e6 = 36.5714 B/cycle, i.e. a byte count
//   B takes B * 7 / 256 cycles: 4096 B -> 112, 2048 B -> 56, 1024 B -> 28;
//   memory latency 50 ns * 0.7 cycles/ns = 35 cycles, paid by every burst (a burst is one
//   memory transaction) but overlapped because all bursts are issued at once;
//   DMA bursts of 4096 B;
//   activation buffer 64 banks x 64 B = 4096 B/cycle, 1-cycle latency;
//   mask buffer 8 banks x 64 B = 512 B/cycle, 1-cycle latency.
//   Transfer: N = 10240 data bytes (bursts 4096, 4096, 2048) + M = 1024 mask bytes (one burst),
//   the mask stored right after the data in main memory (memory_address + N).
//   The DMA issues a transfer's mask stream before its data stream (dma.cpp), all bursts at the
//   transfer's start cycle; both streams share the memory port in that order.
//
// Tolerance: Clock rounds each cycle -> sc_time conversion to 1 ps; at 700 MHz 1 ps is 7e-4
// cycles. The response time goes through one such conversion (plus, for a request started
// later, the conversion of its start time): margin 2e-3 cycles.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "modules/buffers/buffer_interconnect.h"
#include "modules/buffers/tile_buffer.h"
#include "core/accelerator_config.h"
#include "modules/tlm/address_map.h"
#include "modules/tlm/clock.h"
#include "modules/tlm/command_extension.h"
#include "modules/tlm/payload_pool.h"
#include "modules/control/dma.h"
#include "modules/memory/main_memory.h"
#include "workloads/tiled_program.h"

using namespace acceltran;
using workloads::BufferKind;

namespace {

constexpr double kDmaMargin = 2e-3;  // cycles, see header
constexpr std::uint64_t kDataBytes = 10240, kMaskBytes = 1024;

AcceleratorConfig dma_config(int channels) {
    AcceleratorConfig c;  // 700 MHz, 25.6 GB/s, 50 ns
    c.dma.channels = channels;
    c.dma.burst_bytes = 4096;
    c.activation_buffer.name = "activation";
    c.activation_buffer.size_mb = 1;
    c.activation_buffer.banks = 64;
    c.activation_buffer.bank_width_bytes = 64;
    c.activation_buffer.latency_cycles = 1;
    c.weight_buffer = c.activation_buffer;
    c.weight_buffer.name = "weight";
    c.mask_buffer.name = "mask";
    c.mask_buffer.size_mb = 1;
    c.mask_buffer.banks = 8;
    c.mask_buffer.bank_width_bytes = 64;
    c.mask_buffer.latency_cycles = 1;
    return c;
}

struct Request {
    std::uint32_t entry;
    bool to_buffer;
    std::uint64_t memory_address, buffer_offset, mask_offset, data_bytes, mask_bytes;
};

// Sends its requests at cycle 0 (all at once) and records each BEGIN_RESP cycle by entry.
struct Controller : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<Controller> socket;
    const Clock& clock;
    PayloadPool pool;
    std::vector<Request> requests;
    std::map<std::uint32_t, double> done;
    std::vector<tlm::tlm_sync_enum> accepted;
    int peak_busy = 0;
    const Dma* dma = nullptr;

    SC_HAS_PROCESS(Controller);
    Controller(const sc_core::sc_module_name& n, const Clock& c) : sc_module(n), socket("socket"), clock(c) {
        socket.register_nb_transport_bw(this, &Controller::nb_transport_bw);
        SC_THREAD(run);
    }

    void run() {
        for (const Request& r : requests) {
            tlm::tlm_generic_payload* t = pool.acquire();
            CommandExtension* cmd = nullptr;  // a reused pooled payload keeps its extension
            t->get_extension(cmd);
            if (cmd == nullptr) {
                cmd = new CommandExtension;
                t->set_extension(cmd);
            }
            t->set_command(tlm::TLM_IGNORE_COMMAND);
            t->set_data_length(0);
            cmd->entry = r.entry;
            cmd->to_buffer = r.to_buffer;
            cmd->memory_address = r.memory_address;
            cmd->buffer_address = AddressMap::base(BufferKind::Activation) + r.buffer_offset;
            cmd->mask_address = AddressMap::base(BufferKind::Mask) + r.mask_offset;
            cmd->data_bytes = r.data_bytes;
            cmd->mask_bytes = r.mask_bytes;
            tlm::tlm_phase phase = tlm::BEGIN_REQ;
            sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
            accepted.push_back(socket->nb_transport_fw(*t, phase, delay));
        }
        // Sample how many channels are busy a little after the start (requests are picked up
        // in the first delta cycle).
        sc_core::wait(clock.to_time(10));
        peak_busy = dma->busy_channels();
    }

    tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase, sc_core::sc_time&) {
        if (phase == tlm::BEGIN_RESP) {
            CommandExtension* cmd = nullptr;
            t.get_extension(cmd);
            done[cmd->entry] = clock.now();
            CHECK(t.get_response_status() == tlm::TLM_OK_RESPONSE);
            t.release();
        }
        return tlm::TLM_COMPLETED;
    }
};

struct DmaBench {
    AcceleratorConfig config;
    Clock clock;
    Dma dma;
    MainMemory memory;
    BufferInterconnect interconnect;
    TileBuffer activation, weight, mask;
    Controller controller;

    explicit DmaBench(int channels)
        : config(dma_config(channels)),
          clock(config.clock_mhz),
          dma("dma", clock, config.dma),
          memory("main_memory", clock, config),
          interconnect("interconnect"),
          activation("activation_buffer", clock, config.activation_buffer),
          weight("weight_buffer", clock, config.weight_buffer),
          mask("mask_buffer", clock, config.mask_buffer),
          controller("controller", clock) {
        controller.socket.bind(dma.control_socket);
        dma.memory_socket.bind(memory.socket);
        dma.buffer_socket.bind(interconnect.requesters);
        interconnect.buffers.bind(activation.socket);
        interconnect.buffers.bind(weight.socket);
        interconnect.buffers.bind(mask.socket);
        controller.dma = &dma;
    }
};

Request load(std::uint32_t entry, std::uint64_t memory_address, std::uint64_t offset) {
    return Request{entry, true, memory_address, offset, offset / 8, kDataBytes, kMaskBytes};
}

}  // namespace

TEST_CASE("Dma: one load of 10240 data + 1024 mask bytes finishes when memory bandwidth predicts (344.5 cycles)",
          "[modules][dma]") {
    DmaBench bench(2);
    bench.controller.requests = {load(7, 0x10000, 0)};
    sc_core::sc_start();

    // Both streams share the memory port and are issued at cycle 0, mask first, then data:
    //   mask burst:   memory [0, 28)    + 35 = 63  -> mask write [63, 65) + 1 = 66
    //   data burst 0: memory [28, 140)  + 35 = 175 -> activation write [175, 176) + 1 = 177
    //   data burst 1: memory [140, 252) + 35 = 287 -> activation write [287, 288) + 1 = 289
    //   data burst 2: memory [252, 308) + 35 = 343 -> activation write [343, 343.5) + 1 = 344.5
    // Done = max(66, 344.5) = 344.5 cycles
    //      = (N + M) * 7 / 256 (308) + 35 latency + 2048 / 4096 (0.5) + 1 buffer latency.
    REQUIRE(bench.controller.done.count(7) == 1);
    CHECK(bench.controller.done.at(7) == Approx(344.5).margin(kDmaMargin));
    CHECK(bench.controller.accepted.at(0) == tlm::TLM_UPDATED);  // END_REQ returned at once

    const DmaActivity& a = bench.dma.activity();
    CHECK(a.transfers == 1);
    CHECK(a.bytes_to_buffers == kDataBytes + kMaskBytes);
    CHECK(a.bytes_to_memory == 0);
    CHECK(a.busy_channel_cycles == Approx(344.5).margin(kDmaMargin));
    CHECK(bench.dma.busy_channels() == 0);

    const MemoryTraffic m = bench.memory.traffic();
    CHECK(m.reads == 4);  // 3 data bursts + 1 mask burst
    CHECK(m.read_bytes == kDataBytes + kMaskBytes);
    CHECK(m.writes == 0);
    CHECK(m.busy_cycles == Approx(308).margin(1e-9));  // 11264 * 7 / 256
    // Each burst waited for the earlier ones: 0 (mask) + 28 + 140 + 252.
    CHECK(m.queued_cycles == Approx(420).margin(1e-9));
    const MemoryTraffic act = bench.activation.traffic();
    CHECK(act.writes == 3);
    CHECK(act.write_bytes == kDataBytes);
    const MemoryTraffic msk = bench.mask.traffic();
    CHECK(msk.writes == 1);
    CHECK(msk.write_bytes == kMaskBytes);
    CHECK(bench.weight.traffic().writes == 0);
}

// The fast detail level's pieces (Dma::set_bursts_per_piece; docs/model-reference.md §6a, "DMA
// pieces"), here of up to 4 bursts: the 10240 data bytes (3 bursts) go as one piece, the 1024
// mask bytes (one burst) as before.
//   mask:  memory [0, 28) + 35 = 63 -> mask write [63, 65) + 1 = 66
//   data:  memory [28, 308) + 35 = 343 (arrived; one latency for the piece);
//          first burst in at 0 + 343 / 3 = 114.333, when the piece's write goes out:
//          activation [114.333, 116.833) + 1 = 117.833 (written);
//          done = max(117.833, 343 + (117.833 - 114.333) / 3 = 344.167) = 344.167
// against 344.5 burst by burst (the last burst's write there takes 0.5 cycles, here a third of
// the piece's 3.5).
TEST_CASE("Dma: in pieces of 4 bursts the same load is one memory read and one buffer write per stream (344.167 cycles)",
          "[modules][dma]") {
    DmaBench bench(2);
    bench.dma.set_bursts_per_piece(4);
    bench.controller.requests = {load(7, 0x10000, 0)};
    sc_core::sc_start();
    REQUIRE(bench.controller.done.count(7) == 1);
    CHECK(bench.controller.done.at(7) == Approx(343.0 + 3.5 / 3).margin(kDmaMargin));
    const MemoryTraffic m = bench.memory.traffic();
    CHECK(m.reads == 2);  // the mask burst and the data piece
    CHECK(m.read_bytes == kDataBytes + kMaskBytes);
    CHECK(m.busy_cycles == Approx(308).margin(1e-9));
    const MemoryTraffic act = bench.activation.traffic();
    CHECK(act.writes == 1);
    CHECK(act.write_bytes == kDataBytes);
    CHECK(bench.mask.traffic().writes == 1);
}

TEST_CASE("Dma: with 2 channels two simultaneous loads overlap (344.5 and 652.5 cycles)",
          "[modules][dma]") {
    DmaBench bench(2);
    bench.controller.requests = {load(1, 0x10000, 0), load(2, 0x40000, 65536)};
    sc_core::sc_start();

    // Both channels start at cycle 0. Request 1 reserves its bursts first (as in the one-load
    // case): memory busy [0, 308), done 344.5. Request 2's bursts queue behind on the port:
    //   mask: [308, 336) -> 371 -> mask write [371, 373) + 1 = 374
    //   data: [336, 448) -> 483 -> write [483, 484) + 1 = 485
    //         [448, 560) -> 595 -> 597
    //         [560, 616) -> 651 -> write [651, 651.5) + 1 = 652.5
    // One channel would start request 2 only at 344.5 and finish at 689 (next test); two
    // channels hide request 2's latency and buffer-write tail behind request 1:
    // 689 - 652.5 = 36.5 cycles = 35 + 0.5 + 1.
    REQUIRE(bench.controller.done.size() == 2);
    CHECK(bench.controller.done.at(1) == Approx(344.5).margin(kDmaMargin));
    CHECK(bench.controller.done.at(2) == Approx(652.5).margin(kDmaMargin));
    CHECK(bench.controller.peak_busy == 2);

    const DmaActivity& a = bench.dma.activity();
    CHECK(a.transfers == 2);
    CHECK(a.bytes_to_buffers == 2 * (kDataBytes + kMaskBytes));
    CHECK(a.busy_channel_cycles == Approx(344.5 + 652.5).margin(2 * kDmaMargin));
    const MemoryTraffic m = bench.memory.traffic();
    CHECK(m.reads == 8);
    CHECK(m.read_bytes == 2 * (kDataBytes + kMaskBytes));
    CHECK(m.busy_cycles == Approx(616).margin(1e-9));
    // Every burst arrives at 0 and queues until its start: request 1's at 0, 28, 140, 252,
    // request 2's at 308, 336, 448, 560.
    CHECK(m.queued_cycles == Approx(0 + 28 + 140 + 252 + 308 + 336 + 448 + 560).margin(1e-9));
    CHECK(bench.activation.traffic().write_bytes == 2 * kDataBytes);
    CHECK(bench.mask.traffic().write_bytes == 2 * kMaskBytes);
}

TEST_CASE("Dma: with 1 channel the second load waits for the first (344.5 and 689 cycles)",
          "[modules][dma]") {
    DmaBench bench(1);
    bench.controller.requests = {load(1, 0x10000, 0), load(2, 0x40000, 65536)};
    sc_core::sc_start();
    // Request 2 starts at 344.5, when the channel frees; the memory port is idle since 308:
    //   mask [344.5, 372.5) -> 407.5 -> mask write [407.5, 409.5) + 1 = 410.5
    //   data [372.5, 484.5) -> 521.5; [484.5, 596.5) -> 633.5;
    //        [596.5, 652.5) -> 687.5 -> write [687.5, 688) + 1 = 689 = 2 x 344.5.
    REQUIRE(bench.controller.done.size() == 2);
    CHECK(bench.controller.done.at(1) == Approx(344.5).margin(kDmaMargin));
    CHECK(bench.controller.done.at(2) == Approx(689).margin(kDmaMargin));
    CHECK(bench.controller.peak_busy == 1);
    CHECK(bench.dma.activity().busy_channel_cycles == Approx(689).margin(2 * kDmaMargin));
    // Each request's bursts queue 0 + 28 + 140 + 252 = 420 behind its own earlier bursts (the
    // start cycle 344.5 went through sc_time: margin 1e-3).
    CHECK(bench.memory.traffic().queued_cycles == Approx(2 * 420).margin(1e-3));
}

TEST_CASE("Dma: a store moves buffer bytes to main memory and finishes at the memory write time (345 cycles)",
          "[modules][dma]") {
    DmaBench bench(2);
    Request store = load(3, 0x80000, 8192);
    store.to_buffer = false;
    bench.controller.requests = {store};
    sc_core::sc_start();
    // Buffer reads issued at 0 (mask stream first), memory writes when each read's data is back:
    //   mask: mask read [0, 2) + 1 = 3             -> memory write [3, 31) + 35 = 66
    //   data: activation read [0, 1) + 1 = 2       -> memory write split around the mask:
    //                                                 [2, 3) + [31, 142) + 35 = 177
    //         activation read [1, 2) + 1 = 3       -> memory write [142, 254) + 35 = 289
    //         activation read [2, 2.5) + 1 = 3.5   -> memory write [254, 310) + 35 = 345
    REQUIRE(bench.controller.done.count(3) == 1);
    CHECK(bench.controller.done.at(3) == Approx(345).margin(kDmaMargin));
    const DmaActivity& a = bench.dma.activity();
    CHECK(a.bytes_to_memory == kDataBytes + kMaskBytes);
    CHECK(a.bytes_to_buffers == 0);
    CHECK(bench.memory.traffic().writes == 4);
    CHECK(bench.memory.traffic().write_bytes == kDataBytes + kMaskBytes);
    // Queued = end - arrival - duration per burst: 0 + (142 - 2 - 112) + (254 - 3 - 112)
    //          + (310 - 3.5 - 56) = 0 + 28 + 139 + 250.5 = 417.5 cycles.
    CHECK(bench.memory.traffic().queued_cycles == Approx(417.5).margin(1e-9));
    CHECK(bench.activation.traffic().read_bytes == kDataBytes);
    CHECK(bench.mask.traffic().read_bytes == kMaskBytes);
}
