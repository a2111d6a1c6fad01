// Testbench for ProcessingElement (modules/compute/processing_element.h) and the per-tile timing
// formulas (modules/compute/tile_timing.h).
//
// Each SystemC TEST_CASE builds one hierarchy (SystemC elaborates once per process; ctest runs
// each case in its own process): a dispatcher -> ProcessingElement -> BufferInterconnect ->
// activation, weight and mask TileBuffers. The dispatcher sends one job (CommandExtension with
// entry, program_entry, unit index and output range) with nb_transport_fw BEGIN_REQ at cycle 0
// and records the cycle of the BEGIN_RESP that comes back on the backward path.
//
// Design point:
//   700 MHz; 2 MAC lanes x 16 MACs, 4 softmax units, 1 layer-norm unit per PE;
//   values are 4 + 16 = 20 bits; tiles 1 x 16 x 16 (256 values);
//   activation buffer 2 banks x 16 B = 32 B/cycle, weight 4 x 16 = 64 B/cycle,
//   mask 1 x 8 = 8 B/cycle, each with a 1-cycle access latency.
// A 256-value tile at density 0.5: compressed_bytes = 256 * 0.5 * 20 / 8 = 320 B,
// mask_bytes = 256 / 8 = 32 B; a dense partial-sum tile: 256 * 20 / 8 = 640 B. So:
//   activation: 320 B -> 10 cycles (+1), 640 B -> 20 cycles (+1)
//   weight:     320 B -> 5 cycles (+1)
//   mask:       32 B  -> 4 cycles (+1)
//
// Tolerance: event times are cycles converted once to sc_time, rounded to the 1 ps resolution
// (700 MHz = 1428.571... ps per cycle, so a wake-up time is off by at most 0.5 ps =
// 3.5e-4 cycles); the response time can inherit such a rounding from the wake-up that issued its
// last write plus its own conversion: margin 2e-3 cycles.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
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
#include "modules/compute/mac_lane.h"
#include "modules/compute/op_context.h"
#include "modules/compute/processing_element.h"
#include "modules/compute/tile_timing.h"
#include "workloads/tiled_program.h"

using namespace acceltran;
using namespace acceltran::compute;
using workloads::BufferKind;
using workloads::UnitClass;

namespace {

constexpr double kPeMargin = 2e-3;  // cycles, see header

AcceleratorConfig pe_config() {
    AcceleratorConfig c;  // 700 MHz, 4 + 16 bits
    c.pes = 1;
    c.lanes_per_pe = 2;
    c.macs_per_lane = 16;
    c.softmax_per_pe = 4;
    c.layernorm_per_pe = 1;
    auto buffer = [](const char* name, int banks, int width) {
        BufferConfig b;
        b.name = name;
        b.size_mb = 1;
        b.banks = banks;
        b.bank_width_bytes = width;
        b.latency_cycles = 1;
        return b;
    };
    c.activation_buffer = buffer("activation", 2, 16);  // 32 B/cycle
    c.weight_buffer = buffer("weight", 4, 16);          // 64 B/cycle
    c.mask_buffer = buffer("mask", 1, 8);               // 8 B/cycle
    return c;
}

// Sends one job at cycle 0 and records when it completes.
struct Dispatcher : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<Dispatcher> socket;
    const Clock& clock;
    PayloadPool pool;
    CommandExtension job;  // copied into the payload's extension
    double done = -1;
    int responses = 0;
    tlm::tlm_sync_enum accepted = tlm::TLM_ACCEPTED;
    tlm::tlm_phase accepted_phase = tlm::UNINITIALIZED_PHASE;

    SC_HAS_PROCESS(Dispatcher);
    Dispatcher(const sc_core::sc_module_name& n, const Clock& c) : sc_module(n), socket("socket"), clock(c) {
        socket.register_nb_transport_bw(this, &Dispatcher::nb_transport_bw);
        SC_THREAD(run);
    }

    void run() {
        tlm::tlm_generic_payload* t = pool.acquire();
        auto* cmd = new CommandExtension(job);
        t->set_extension(cmd);
        t->set_command(tlm::TLM_IGNORE_COMMAND);
        t->set_data_length(0);
        tlm::tlm_phase phase = tlm::BEGIN_REQ;
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        accepted = socket->nb_transport_fw(*t, phase, delay);
        accepted_phase = phase;
    }

    tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase, sc_core::sc_time&) {
        if (phase == tlm::BEGIN_RESP) {
            done = clock.now();
            ++responses;
            CHECK(t.get_response_status() == tlm::TLM_OK_RESPONSE);
            t.release();
        }
        return tlm::TLM_COMPLETED;
    }
};

// One op, its single program entry and context, a PE and the buffers.
struct PeBench {
    AcceleratorConfig config = pe_config();
    Clock clock{config.clock_mhz};
    workloads::Op op;
    workloads::TensorLayout in_layout, weight_layout, out_layout;
    workloads::ProgramEntry entry;
    std::vector<OpContext> contexts;
    BufferInterconnect interconnect{"interconnect"};
    TileBuffer activation{"activation_buffer", clock, config.activation_buffer};
    TileBuffer weight{"weight_buffer", clock, config.weight_buffer};
    TileBuffer mask{"mask_buffer", clock, config.mask_buffer};
    std::unique_ptr<ProcessingElement> pe;
    Dispatcher dispatcher{"dispatcher", clock};

    // `kind` with out[batch=1][m][n] (= A[m][k] x W[k][n] for a matmul), every tensor at
    // density 0.5, on unit `unit` of its class, all output tiles in one job.
    PeBench(workloads::OpKind kind, std::int64_t m, std::int64_t n, std::int64_t k, int unit,
          const std::string& loop_order = "b_i_j_k", const CompatConfig& compat = CompatConfig{}) {
        config.compat = compat;
        op.id = 0;
        op.name = "op";
        op.kind = kind;
        op.batch = 1;
        op.m = m;
        op.n = n;
        op.k = kind == workloads::OpKind::MatMul ? k : 0;
        op.a_inputs = {0};
        op.b_input = kind == workloads::OpKind::MatMul ? 1 : -1;
        op.output = 2;

        in_layout.buffer = BufferKind::Activation;
        in_layout.density = 0.5;
        weight_layout.buffer = BufferKind::Weight;
        weight_layout.density = 0.5;
        out_layout.buffer = BufferKind::Activation;
        out_layout.density = 0.5;

        entry.kind = workloads::EntryKind::Compute;
        entry.op = 0;
        entry.unit = workloads::unit_class_of(kind);
        entry.grid = workloads::make_tile_grid(op, workloads::TileShape{1, 16, 16});

        OpContext ctx;
        ctx.entry = 0;
        ctx.op = &op;
        ctx.grid = &entry.grid;
        ctx.loop_order = workloads::LoopOrder::parse(loop_order);
        // Tensors placed apart in their buffers (addresses matter only to banked models).
        auto place = [](const workloads::TensorLayout* l, int tensor, std::uint64_t offset) {
            OperandPlace p;
            p.layout = l;
            p.tensor = tensor;
            p.data_base = AddressMap::base(l->buffer) + offset;
            p.mask_base = AddressMap::base(BufferKind::Mask) + offset / 8;
            return p;
        };
        ctx.a = place(&in_layout, 0, 0);
        if (op.b_input >= 0) ctx.b = place(&weight_layout, 1, 0);
        ctx.out = place(&out_layout, 2, 512 * 1024);
        contexts.push_back(ctx);

        pe = std::make_unique<ProcessingElement>("pe0", 0, clock, config, contexts);
        interconnect.buffers.bind(activation.socket);
        interconnect.buffers.bind(weight.socket);
        interconnect.buffers.bind(mask.socket);
        pe->buffer_socket.bind(interconnect.requesters);
        dispatcher.socket.bind(pe->control_socket);

        dispatcher.job.entry = 0;
        dispatcher.job.program_entry = &entry;
        dispatcher.job.unit = unit;
        dispatcher.job.split = JobSplit{entry.grid.output_tiles(), 1};
    }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// tile_timing.h, directly

TEST_CASE("tile_timing: per-tile cycle formulas of the MAC lane, softmax and layer-norm units",
          "[modules][processing_element][tile_timing]") {
    // 1 x 16 x 16 matmul tile, k = 16: 4096 MACs, densities 0.5 x 0.5 -> 1024 effectual,
    // 16 per cycle -> 64.
    CHECK(matmul_tile_cycles(4096 * 0.5 * 0.5, 16) == 64);
    CHECK(matmul_tile_cycles(1000, 16) == 63);  // 62.5 rounds up
    CHECK(matmul_tile_cycles(4096, 16) == 256); // dense
    CHECK(matmul_tile_cycles(0, 16) == 1);      // all zero: the masks still pass, 1 cycle
    // Softmax: one non-zero per cycle: 256 * 0.5 = 128; 256 * 0.3 = 76.8 -> 77.
    CHECK(softmax_tile_cycles(256, 0.5) == 128);
    CHECK(softmax_tile_cycles(256, 0.3) == 77);
    CHECK(softmax_tile_cycles(256, 0.0) == 1);
    // Layer-norm: ceil(b * (x + y) * density): 1 * 32 * 0.5 = 16; 4 * 32 * 0.3 = 38.4 -> 39.
    CHECK(layernorm_tile_cycles(1, 16, 16, 0.5) == 16);
    CHECK(layernorm_tile_cycles(4, 16, 16, 0.3) == 39);
    CHECK(layernorm_tile_cycles(1, 16, 16, 0.0) == 1);
    // Residual add: 256 * 0.5 / 16 = 8; 100 * 0.5 / 16 = 3.125 -> 4. GELU/ReLU: 1 per tile.
    CHECK(add_tile_cycles(256, 0.5, 16) == 8);
    CHECK(add_tile_cycles(100, 0.5, 16) == 4);
    CHECK(nonlinearity_tile_cycles() == 1);
    // at_least_one is a ceiling with a floor of 1.
    CHECK(at_least_one(2.0) == 2);
    CHECK(at_least_one(2.000001) == 3);
    CHECK(at_least_one(0.2) == 1);
    CHECK(at_least_one(0.0) == 1);
    // The byte counts the PE tests below rely on.
    CHECK(workloads::compressed_bytes(256, 0.5, 20) == 320);
    CHECK(workloads::compressed_bytes(256, 1.0, 20) == 640);
    CHECK(workloads::mask_bytes(256) == 32);
}

// ---------------------------------------------------------------------------------------------
// ProcessingElement jobs

TEST_CASE("ProcessingElement: one 16x16 matmul tile (k = 16) at 0.5/0.5 finishes at 11 + 64 + 11 = 86 cycles",
          "[modules][processing_element]") {
    PeBench bench(workloads::OpKind::MatMul, 16, 16, 16, 1);
    REQUIRE(bench.entry.grid.tiles() == 1);  // nb = ni = nj = nk = 1
    sc_core::sc_start();

    // Operand reads, all issued at cycle 0:
    //   A data 320 B  activation [0, 10) + 1 = 11
    //   A mask 32 B   mask       [0, 4)  + 1 = 5
    //   W data 320 B  weight     [0, 5)  + 1 = 6
    //   W mask 32 B   mask       [4, 8)  + 1 = 9   (waits for A's mask on the mask port)
    // ready = 11; compute ceil(4096 * 0.25 / 16) = 64 cycles: [11, 75);
    // output write at 75: data 320 B activation [75, 85) + 1 = 86, mask [75, 79) + 1 = 80.
    // BEGIN_RESP at max(86, 80, 75) = 86.
    CHECK(bench.dispatcher.accepted == tlm::TLM_UPDATED);
    CHECK(bench.dispatcher.accepted_phase == tlm::END_REQ);
    CHECK(bench.dispatcher.responses == 1);
    CHECK(bench.dispatcher.done == Approx(86).margin(kPeMargin));

    const ComputeUnit& lane = bench.pe->unit(UnitClass::MacLane, 1);
    CHECK(lane.activity.busy_cycles == 64);
    CHECK(lane.activity.tiles == 1);
    CHECK(lane.activity.jobs == 1);
    CHECK(lane.activity.memory_wait_cycles == Approx(11).margin(kPeMargin));  // ready 11 - now 0
    CHECK(lane.job() == nullptr);
    CHECK(static_cast<const MacLane&>(lane).effectual_macs() == 1024);
    CHECK(bench.pe->unit(UnitClass::MacLane, 0).activity.jobs == 0);  // the other lane idle

    const MemoryTraffic act = bench.activation.traffic(), w = bench.weight.traffic(), m = bench.mask.traffic();
    CHECK(act.reads == 1);
    CHECK(act.read_bytes == 320);
    CHECK(act.writes == 1);
    CHECK(act.write_bytes == 320);
    CHECK(w.reads == 1);
    CHECK(w.read_bytes == 320);
    CHECK(m.reads == 2);
    CHECK(m.read_bytes == 64);
    CHECK(m.writes == 1);
    CHECK(m.write_bytes == 32);
    CHECK(m.queued_cycles == Approx(4).margin(1e-9));  // W mask waited [0, 4)
}

TEST_CASE("ProcessingElement: one 16x16 softmax tile at density 0.5 computes 128 cycles and finishes at 150",
          "[modules][processing_element]") {
    PeBench bench(workloads::OpKind::Softmax, 16, 16, 0, 2);  // softmax unit 2 of 4
    sc_core::sc_start();
    // Reads at 0: input data activation [0, 10) + 1 = 11, mask [0, 4) + 1 = 5 -> ready 11.
    // Compute 256 * 0.5 = 128 cycles: [11, 139). Write at 139: data [139, 149) + 1 = 150,
    // mask [139, 143) + 1 = 144. BEGIN_RESP at 150.
    CHECK(bench.dispatcher.done == Approx(150).margin(kPeMargin));
    const ComputeUnit& unit = bench.pe->unit(UnitClass::Softmax, 2);
    CHECK(unit.activity.busy_cycles == 128);
    CHECK(unit.activity.tiles == 1);
    CHECK(unit.activity.memory_wait_cycles == Approx(11).margin(kPeMargin));
    for (int u : {0, 1, 3}) CHECK(bench.pe->unit(UnitClass::Softmax, u).activity.jobs == 0);
    CHECK(bench.weight.traffic().reads == 0);  // element-wise: no B operand
    CHECK(bench.activation.traffic().read_bytes == 320);
    CHECK(bench.activation.traffic().write_bytes == 320);
}

TEST_CASE("ProcessingElement: one 16x16 layer-norm tile computes ceil(1*(16+16)*0.5) = 16 cycles and finishes at 38",
          "[modules][processing_element]") {
    PeBench bench(workloads::OpKind::LayerNorm, 16, 16, 0, 0);
    sc_core::sc_start();
    // ready 11 (as for softmax); compute 16 cycles [11, 27); write [27, 37) + 1 = 38,
    // mask [27, 31) + 1 = 32. BEGIN_RESP at 38.
    CHECK(bench.dispatcher.done == Approx(38).margin(kPeMargin));
    const ComputeUnit& unit = bench.pe->unit(UnitClass::LayerNorm, 0);
    CHECK(unit.activity.busy_cycles == 16);
    CHECK(unit.activity.tiles == 1);
    CHECK(unit.activity.memory_wait_cycles == Approx(11).margin(kPeMargin));
}

TEST_CASE("ProcessingElement: a k-chain of 4 matmul tiles (b_i_j_k) accumulates in the lane and overlaps reads with compute (278 cycles)",
          "[modules][processing_element]") {
    // 16x64 x 64x16: nk = 64 / 16 = 4 tiles, one output tile, all on lane 0.
    PeBench bench(workloads::OpKind::MatMul, 16, 16, 64, 0);
    REQUIRE(bench.entry.grid.nk == 4);
    REQUIRE(bench.entry.grid.output_tiles() == 1);
    sc_core::sc_start();

    // k = 0, issued at 0: A [0, 10) -> 11, A mask [0, 4) -> 5, W [0, 5) -> 6,
    //        W mask [4, 8) -> 9; ready 11, compute [11, 75). No write (k continues in the lane).
    // k = 1, issued at 11 (when k = 0 starts computing): A [11, 21) -> 22, masks -> 16, 20,
    //        W [11, 16) -> 17; ready 22 < 75 = lane free: compute [75, 139), no wait.
    // k = 2, issued at 75: ready 86 < 139: compute [139, 203).
    // k = 3, issued at 139: ready 150 < 203: compute [203, 267); output write at 267:
    //        data [267, 277) + 1 = 278, mask [267, 271) + 1 = 272.
    // BEGIN_RESP at 278 = 11 (first operands) + 4 x 64 + 11 (output write), where fetching
    // serially would give 4 x (11 + 64) + 11 = 311.
    CHECK(bench.dispatcher.done == Approx(278).margin(kPeMargin));

    const ComputeUnit& lane = bench.pe->unit(UnitClass::MacLane, 0);
    CHECK(lane.activity.busy_cycles == 4 * 64);
    CHECK(lane.activity.tiles == 4);
    CHECK(lane.activity.jobs == 1);
    // Only the first tile waited for operands (11 cycles); later reads were hidden.
    CHECK(lane.activity.memory_wait_cycles == Approx(11).margin(kPeMargin));
    const auto& mac = static_cast<const MacLane&>(lane);
    CHECK(mac.effectual_macs() == 4 * 1024);
    CHECK(mac.post_sparsity().tiles() == 1);  // one finished output tile

    // No partial-sum traffic: activation reads are the 4 A blocks only (4 x 320 B), the one
    // write is the compressed output (320 B; a dense partial sum would be 640 B).
    const MemoryTraffic act = bench.activation.traffic();
    CHECK(act.reads == 4);
    CHECK(act.read_bytes == 4 * 320);
    CHECK(act.writes == 1);
    CHECK(act.write_bytes == 320);
    CHECK(bench.weight.traffic().read_bytes == 4 * 320);
    CHECK(bench.mask.traffic().read_bytes == 8 * 32);
    CHECK(bench.mask.traffic().write_bytes == 32);
}

TEST_CASE("ProcessingElement: k-outer loop order (k_b_i_j) spills dense partial sums through the activation buffer (278 cycles)",
          "[modules][processing_element]") {
    // 16x32 x 32x32: nj = 2, nk = 2, two output tiles, both on lane 0. Loop order k_b_i_j runs
    // (j0,k0) (j1,k0) (j0,k1) (j1,k1): the lane cannot keep both accumulators, so each k = 0
    // result is written as a dense 640-B partial sum and read back for k = 1.
    PeBench bench(workloads::OpKind::MatMul, 16, 32, 32, 0, "k_b_i_j");
    REQUIRE(bench.entry.grid.nj == 2);
    REQUIRE(bench.entry.grid.nk == 2);
    sc_core::sc_start();

    // (j0,k0) at 0: A [0, 10) -> 11, A mask [0, 4) -> 5, W [0, 5) -> 6, W mask [4, 8) -> 9;
    //         compute [11, 75); partial sum write 640 B at 75: activation [75, 95) -> 96.
    // (j1,k0) at 11: A reused (same b, i, k); W [11, 16) -> 17, W mask [11, 15) -> 16;
    //         compute [75, 139); partial sum write at 139: [139, 159) -> 160.
    // (j0,k1) at 75: A [95, 105) -> 106 (behind the first partial-sum write), A mask
    //         [75, 79) -> 80, W [75, 80) -> 81, W mask [79, 83) -> 84, partial sum read 640 B
    //         [105, 125) -> 126 (fits before the write booked at 139); compute [139, 203);
    //         output write at 203: [203, 213) -> 214, mask [203, 207) -> 208.
    // (j1,k1) at 139: A reused; W [139, 144) -> 145, W mask [139, 143) -> 144, partial sum
    //         read [159, 179) -> 180 (behind the second write); compute [203, 267);
    //         output write at 267: [267, 277) -> 278, mask [267, 271) -> 272.
    // BEGIN_RESP at 278.
    CHECK(bench.dispatcher.done == Approx(278).margin(kPeMargin));

    const ComputeUnit& lane = bench.pe->unit(UnitClass::MacLane, 0);
    CHECK(lane.activity.busy_cycles == 4 * 64);
    CHECK(lane.activity.tiles == 4);
    CHECK(lane.activity.memory_wait_cycles == Approx(11).margin(kPeMargin));

    // Activation reads: 2 A blocks (320 B) + 2 partial sums (640 B); writes: 2 partial sums
    // (640 B) + 2 outputs (320 B).
    const MemoryTraffic act = bench.activation.traffic();
    CHECK(act.reads == 4);
    CHECK(act.read_bytes == 2 * 320 + 2 * 640);
    CHECK(act.writes == 4);
    CHECK(act.write_bytes == 2 * 640 + 2 * 320);
    CHECK(bench.weight.traffic().reads == 4);
    // Partial sums carry no mask: mask reads are 2 A + 4 W masks, writes the 2 output masks.
    CHECK(bench.mask.traffic().reads == 6);
    CHECK(bench.mask.traffic().writes == 2);
}

// ---------------------------------------------------------------------------------------------
// The fast detail level (ProcessingElement::run_job_fast, JobPlan) against the full path on the
// same job: a 16x16 output with k = 64, so four k tiles of 64 cycles on one lane (b_i_j_k keeps
// the partial sum in the lane). Hand timing of the full path (reads of tile t+1 issued when tile
// t starts computing):
//   tile 0: reads at 0: A 320 B activation [0,10)+1 = 11; A mask [0,4)+1 = 5; W 320 B weight
//           [0,5)+1 = 6; W mask [4,8)+1 = 9 -> compute [11, 75)
//   tile 1: reads at 11: A [11,21)+1 = 22, ... -> compute [75, 139)
//   tile 2: reads at 75 -> ready 86 -> compute [139, 203)
//   tile 3: reads at 139 -> ready 150 -> compute [203, 267)
//   output write at 267: data [267,277)+1 = 278, mask [267,271)+1 = 272 -> BEGIN_RESP at 278.
// The fast level splits the job into the chunks [0,1) [1,3) [3,4) (first tile, one middle
// chunk, last tile) and sends a chunk's masks as one transfer ([0,8)+1 = 9 for chunk 0). Chunk 1
// reads at 11: A 640 B [11,31)+1 = 32; its first tile may start at 11 + (32-11)/2 = 21.5, so at
// 75 (tile 0's end), its last at max(75+64, 32) = 139, ending 203; chunk 2 reads at 139 ->
// ready 150, starts at 203, ends 267: also 278, with the same bytes in fewer transactions.
namespace {
void check_four_k_tiles(DetailLevel detail) {
    PeBench bench(workloads::OpKind::MatMul, 16, 16, 64, 0);
    REQUIRE(bench.entry.grid.tiles() == 4);
    bench.pe->set_detail(detail);
    sc_core::sc_start();
    CHECK(bench.dispatcher.done == Approx(278).margin(kPeMargin));
    const ComputeUnit& lane = bench.pe->unit(UnitClass::MacLane, 0);
    CHECK(lane.activity.busy_cycles == 256);
    CHECK(lane.activity.tiles == 4);
    CHECK(lane.activity.memory_wait_cycles == Approx(11).margin(kPeMargin));
    const MemoryTraffic act = bench.activation.traffic(), w = bench.weight.traffic(), m = bench.mask.traffic();
    CHECK(act.read_bytes == 4 * 320);
    CHECK(act.write_bytes == 320);
    CHECK(w.read_bytes == 4 * 320);
    CHECK(m.read_bytes == 8 * 32);
    CHECK(m.write_bytes == 32);
    // Transactions: the full path one per tile and operand (masks apart), the fast one per chunk
    // and buffer (three chunks).
    CHECK(m.reads == (detail == DetailLevel::Full ? 8u : 3u));
    CHECK(act.reads == (detail == DetailLevel::Full ? 4u : 3u));
}
}  // namespace

TEST_CASE("ProcessingElement, full detail: four k tiles of one output finish at 278", "[modules][processing_element][detail]") {
    check_four_k_tiles(DetailLevel::Full);
}

TEST_CASE("ProcessingElement, fast detail: the same four k tiles as one job plan also finish at 278",
          "[modules][processing_element][detail]") {
    check_four_k_tiles(DetailLevel::Fast);
}

// A job group (fast detail level, docs/model-reference.md §6a, "Job groups"): two outputs of 4 k
// tiles each (m = 16, n = 32, k = 64), jobs 0 and 1 on lanes 0 and 1, dispatched as one command.
// Each job has the chunks of the case above; the group's chunk moves both jobs' bytes in one
// transfer per buffer and takes as long as the longer job's chunk:
//   chunk 0 at 0: A 640 B [0,20)+1 = 21, W 640 B [0,10)+1, masks 128 B [0,16)+1 -> ready 21;
//     one tile per lane: start 21, ends 85.
//   chunk 1 at 21: A 1280 B [21,61)+1 = 62, W [21,41)+1, masks 256 B [21,53)+1 -> ready 62;
//     2 tiles per lane, first may start at 21 + (62-21)/2 = 41.5, so at 85; last at
//     max(85 + 128 - 64, 62) = 149, ending 213.
//   chunk 2 at 149: A 640 B [149,169)+1 = 170, W and masks earlier -> ready 170; runs
//     [213, 277); writes at 277: data 640 B [277,297)+1 = 298, masks 64 B [277,285)+1.
// One BEGIN_RESP at 298; each lane busy 256 cycles over 4 tiles, memory wait 277 - 256 = 21.
TEST_CASE("ProcessingElement, fast detail: a group of two jobs moves both jobs' bytes and answers once at 298",
          "[modules][processing_element][detail]") {
    PeBench bench(workloads::OpKind::MatMul, 16, 32, 64, 0);
    REQUIRE(bench.entry.grid.output_tiles() == 2);
    bench.pe->set_detail(DetailLevel::Fast);
    bench.dispatcher.job.split = JobSplit{2, 2};
    bench.dispatcher.job.group = 2;
    sc_core::sc_start();
    CHECK(bench.dispatcher.responses == 1);
    CHECK(bench.dispatcher.done == Approx(298).margin(kPeMargin));
    for (int lane = 0; lane < 2; ++lane) {
        INFO("lane " << lane);
        const ComputeUnit& u = bench.pe->unit(UnitClass::MacLane, lane);
        CHECK(u.activity.busy_cycles == 256);
        CHECK(u.activity.tiles == 4);
        CHECK(u.activity.jobs == 1);
        CHECK(u.activity.memory_wait_cycles == Approx(21).margin(kPeMargin));
        CHECK(u.job() == nullptr);
    }
    const MemoryTraffic act = bench.activation.traffic(), w = bench.weight.traffic(), m = bench.mask.traffic();
    CHECK(act.read_bytes == 8 * 320);
    CHECK(act.write_bytes == 2 * 320);
    CHECK(w.read_bytes == 8 * 320);
    CHECK(m.read_bytes == 16 * 32);
    CHECK(m.write_bytes == 2 * 32);
    CHECK(act.reads == 3u);  // one per group chunk
    CHECK(m.reads == 3u);
}

TEST_CASE("ProcessingElement: a job group at the full detail level is refused", "[modules][processing_element][detail]") {
    PeBench bench(workloads::OpKind::MatMul, 16, 32, 64, 0);
    bench.dispatcher.job.split = JobSplit{2, 2};
    bench.dispatcher.job.group = 2;
    CHECK_THROWS_WITH(sc_core::sc_start(), Catch::Contains("a group of 2 jobs at the full detail level"));
}

// ---------------------------------------------------------------------------------------------
// Compatibility options that change how the PE issues tiles (OriginalIssueRules; docs/
// validation.md §7.5), on the four-k-tile job above.
//
// compat.mac_tile_cycles: a 16x16x16 tile takes ceil(4096 / 16 * 0.5) = 128 cycles (the
// activation density only), and the lane stays occupied one idle cycle after each tile:
//   tile 0: ready 11 -> compute [11, 139), free at 140
//   tile 1: reads at 11 (ready 22) -> compute [140, 268), free at 269
//   tile 2: reads at 140 -> compute [269, 397), free at 398
//   tile 3: reads at 269 -> compute [398, 526); output write at 526: data [526,536)+1 = 537.
// BEGIN_RESP at 537 = 11 + 4 x 128 + 3 idle cycles + 11; the idle cycles are not busy cycles
// (the original charges no power for them). The fast level: chunk 0 ends at 140; chunk 1 (tiles
// 1-2, reads ready 32) starts at 140 and its last tile at 140 + 258 - 129 = 269, ending at 398;
// chunk 2 (reads at 269, ready 280) runs [398, 526) and writes at 526: also 537.
namespace {
void check_original_tile_cycles(DetailLevel detail) {
    CompatConfig compat;
    compat.mac_tile_cycles = true;
    PeBench bench(workloads::OpKind::MatMul, 16, 16, 64, 0, "b_i_j_k", compat);
    bench.pe->set_detail(detail);
    sc_core::sc_start();
    CHECK(bench.dispatcher.done == Approx(537).margin(kPeMargin));
    const ComputeUnit& lane = bench.pe->unit(UnitClass::MacLane, 0);
    CHECK(lane.activity.busy_cycles == 4 * 128);
    CHECK(lane.activity.tiles == 4);
    CHECK(lane.activity.memory_wait_cycles == Approx(11).margin(kPeMargin));
    // Same bytes as without the option.
    CHECK(bench.activation.traffic().read_bytes == 4 * 320);
    CHECK(bench.activation.traffic().write_bytes == 320);
    CHECK(bench.weight.traffic().read_bytes == 4 * 320);
}
}  // namespace

TEST_CASE("ProcessingElement, compat mac_tile_cycles: four 128-cycle k tiles with an idle cycle after each finish at 537",
          "[modules][processing_element][compat]") {
    check_original_tile_cycles(DetailLevel::Full);
}

TEST_CASE("ProcessingElement, compat mac_tile_cycles, fast detail: the same job also finishes at 537",
          "[modules][processing_element][compat]") {
    check_original_tile_cycles(DetailLevel::Fast);
}

// compat.softmax_all_units: the tile on softmax unit 0 occupies all 4 units of the PE for its
// 128 cycles (16 x 16 x 0.5); its timing is the one-unit case's (150).
TEST_CASE("ProcessingElement, compat softmax_all_units: one softmax tile keeps all four softmax units busy",
          "[modules][processing_element][compat]") {
    CompatConfig compat;
    compat.softmax_all_units = true;
    PeBench bench(workloads::OpKind::Softmax, 16, 16, 0, 0, "b_i_j_k", compat);
    sc_core::sc_start();
    CHECK(bench.dispatcher.done == Approx(150).margin(kPeMargin));
    for (int u = 0; u < 4; ++u) {
        CHECK(bench.pe->unit(UnitClass::Softmax, u).activity.busy_cycles == 128);
        CHECK(bench.pe->unit(UnitClass::Softmax, u).activity.tiles == 1);
    }
}

// compat.duplicate_issue on a layer-norm op of nine 16x16 tiles (one job on the unit): tile
// step 8 starts the original's second compute group and is issued by the first as its ninth,
// so it runs twice: 10 x ceil(1 x (16 + 16) x 0.5) = 160 busy cycles for 9 tiles.
TEST_CASE("ProcessingElement, compat duplicate_issue: the ninth tile of a grouped op runs twice",
          "[modules][processing_element][compat]") {
    CompatConfig compat;
    compat.duplicate_issue = true;
    PeBench bench(workloads::OpKind::LayerNorm, 16, 9 * 16, 0, 0, "b_i_j_k", compat);
    bench.contexts[0].grouped = true;
    REQUIRE(bench.entry.grid.tiles() == 9);
    sc_core::sc_start();
    const ComputeUnit& unit = bench.pe->unit(UnitClass::LayerNorm, 0);
    CHECK(unit.activity.busy_cycles == 10 * 16);
    CHECK(unit.activity.tiles == 9);
}
