// Testbench for the PE's direct timing path (ProcessingElement::set_direct_buffers,
// MemoryTarget::timed_access; docs/architecture.md §2.4).
//
// One SystemC hierarchy holds two identical benches side by side: a dispatcher sends the same
// jobs at cycle 0 to the same units of a PE, whose buffer_socket is bound through a
// BufferInterconnect to an activation, a weight and a mask buffer. In bench "socket" the PE
// reaches the buffers through the socket (b_transport); in bench "direct" it is also handed the
// buffers with set_direct_buffers and calls their timed_access past the sockets. Each buffer's
// model records every access() it receives (request and answer) and every busy stretch it
// reports. The direct path is a shortcut, not another model: the records, the buffers'
// counters, the units' activity and the jobs' completion times must be identical, compared with
// == (both paths do the same arithmetic on the same values).
//
// Design point: 700 MHz, 2 MAC lanes x 16 MACs; buffers of 1 KiB (so the PE's largest piece is
// 512 bytes: a 640-byte dense partial-sum tile of 4 + 16 bits goes as two pieces, and tile
// placements wrap inside the buffer), 2 x 16 = 32 B/cycle activation and 64 B/cycle weight
// bandwidth, 8 B/cycle masks, a 1-cycle latency; the activation buffer's model is
// `banked_sram` (its timing depends on the addresses), the others `sram`. The op is a 64 x 48
// matmul with k = 64 (4 x 3 output tiles of 16 x 16, 4 k steps), loop order k_b_i_j (partial
// sums spilled and read back), at density 0.5, split into two jobs that run at once on the two
// lanes, so that their reads and writes contend and reach the ports out of time order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "core/accelerator_config.h"
#include "core/buffer_model.h"
#include "modules/buffers/buffer_interconnect.h"
#include "modules/buffers/tile_buffer.h"
#include "modules/compute/processing_element.h"
#include "modules/memory/memory_target.h"
#include "modules/tlm/address_map.h"
#include "modules/tlm/clock.h"
#include "modules/tlm/command_extension.h"
#include "modules/tlm/payload_pool.h"
#include "workloads/tiled_program.h"

namespace direct_path_bench {

using namespace acceltran;
using namespace acceltran::compute;
using workloads::BufferKind;
using workloads::UnitClass;

// One call of a buffer model: access() (its request and answer) or a busy stretch it reported.
struct ModelCall {
    bool busy_report = false;
    bool write = false;
    std::uint64_t address = 0, bytes = 0;
    double arrival = 0, now = 0, done = 0;        // access()
    double start = 0, end = 0, moved = 0;          // busy report
    bool operator==(const ModelCall& o) const {
        return busy_report == o.busy_report && write == o.write && address == o.address && bytes == o.bytes &&
               arrival == o.arrival && now == o.now && done == o.done && start == o.start && end == o.end &&
               moved == o.moved;
    }
};

// The configured model, with every call to it recorded in `log`.
class RecordingModel : public BufferModel {
public:
    RecordingModel(std::unique_ptr<TimingModel> inner, std::vector<ModelCall>* log) : inner_(std::move(inner)), log_(log) {
        inner_->set_listener([this](double start, double end, double bytes) {
            ModelCall c;
            c.busy_report = true;
            c.start = start;
            c.end = end;
            c.moved = bytes;
            log_->push_back(c);
            report_busy(start, end, bytes);
        });
    }
    double access(const AccessRequest& r) override {
        const double done = inner_->access(r);
        ModelCall c;
        c.write = r.write;
        c.address = r.address;
        c.bytes = r.bytes;
        c.arrival = r.arrival;
        c.now = r.now;
        c.done = done;
        log_->push_back(c);
        return done;
    }
    ModelStats stats() const override { return inner_->stats(); }
    double peak_bytes_per_cycle() const override { return inner_->peak_bytes_per_cycle(); }

private:
    std::unique_ptr<TimingModel> inner_;
    std::vector<ModelCall>* log_;
};

AcceleratorConfig direct_config() {
    AcceleratorConfig c;  // 700 MHz, 4 + 16 bits
    c.pes = 1;
    c.lanes_per_pe = 2;
    c.macs_per_lane = 16;
    c.softmax_per_pe = 1;
    c.layernorm_per_pe = 1;
    auto buffer = [](const char* name, const char* model, int banks, int width) {
        BufferConfig b;
        b.name = name;
        b.model = model;
        b.size_mb = 1.0 / 1024;  // 1 KiB
        b.banks = banks;
        b.bank_width_bytes = width;
        b.latency_cycles = 1;
        return b;
    };
    c.activation_buffer = buffer("activation", "banked_sram", 2, 16);  // 32 B/cycle
    c.weight_buffer = buffer("weight", "sram", 4, 16);                 // 64 B/cycle
    c.mask_buffer = buffer("mask", "sram", 1, 8);                      // 8 B/cycle
    return c;
}

// A buffer whose model records its calls.
struct RecordedBuffer {
    std::vector<ModelCall> log;
    MemoryTarget target;
    RecordedBuffer(const char* name, const Clock& clock, const BufferConfig& config)
        : target(name, clock, config.capacity_bytes(),
                 std::make_unique<RecordingModel>(TileBuffer::make_model(clock, config), &log)) {}
};

// Sends `jobs` jobs of one entry at cycle 0, job i to MAC lane i, and records their completions.
struct JobSender : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<JobSender> socket;
    const Clock& clock;
    PayloadPool pool;
    CommandExtension job;  // entry, program entry and split; unit and first_job set per job
    int jobs = 1;
    std::vector<double> done;

    SC_HAS_PROCESS(JobSender);
    JobSender(const sc_core::sc_module_name& n, const Clock& c) : sc_module(n), socket("socket"), clock(c) {
        socket.register_nb_transport_bw(this, &JobSender::nb_transport_bw);
        SC_THREAD(run);
    }
    void run() {
        for (int i = 0; i < jobs; ++i) {
            tlm::tlm_generic_payload* t = pool.acquire();
            auto* cmd = new CommandExtension(job);
            cmd->unit = i;
            cmd->first_job = std::uint64_t(i);
            t->set_extension(cmd);
            t->set_command(tlm::TLM_IGNORE_COMMAND);
            t->set_data_length(0);
            tlm::tlm_phase phase = tlm::BEGIN_REQ;
            sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
            socket->nb_transport_fw(*t, phase, delay);
        }
    }
    tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase, sc_core::sc_time&) {
        if (phase == tlm::BEGIN_RESP) {
            done.push_back(clock.now());
            t.release();
        }
        return tlm::TLM_COMPLETED;
    }
};

// One op (A[64][64] x W[64][48] -> out[64][48], density 0.5), its program entry, a PE, the
// interconnect and the recorded buffers.
struct Bench : sc_core::sc_module {
    AcceleratorConfig config = direct_config();
    Clock clock{config.clock_mhz};
    workloads::Op op;
    workloads::TensorLayout in_layout, weight_layout, out_layout;
    workloads::ProgramEntry entry;
    std::vector<OpContext> contexts;
    BufferInterconnect interconnect{"interconnect"};
    RecordedBuffer activation{"activation_buffer", clock, config.activation_buffer};
    RecordedBuffer weight{"weight_buffer", clock, config.weight_buffer};
    RecordedBuffer mask{"mask_buffer", clock, config.mask_buffer};
    std::unique_ptr<ProcessingElement> pe;
    JobSender sender{"sender", clock};

    Bench(const sc_core::sc_module_name& name, bool direct, DetailLevel detail) : sc_module(name) {
        op.id = 0;
        op.name = "op";
        op.kind = workloads::OpKind::MatMul;
        op.batch = 1;
        op.m = 64;
        op.n = 48;
        op.k = 64;
        op.a_inputs = {0};
        op.b_input = 1;
        op.output = 2;
        for (auto* l : {&in_layout, &weight_layout, &out_layout}) l->density = 0.5;
        in_layout.buffer = BufferKind::Activation;
        weight_layout.buffer = BufferKind::Weight;
        out_layout.buffer = BufferKind::Activation;

        entry.kind = workloads::EntryKind::Compute;
        entry.op = 0;
        entry.unit = UnitClass::MacLane;
        entry.grid = workloads::make_tile_grid(op, workloads::TileShape{1, 16, 16});

        OpContext ctx;
        ctx.entry = 0;
        ctx.op = &op;
        ctx.grid = &entry.grid;
        ctx.loop_order = workloads::LoopOrder::parse("k_b_i_j");
        auto place = [](const workloads::TensorLayout* l, int tensor, std::uint64_t offset) {
            OperandPlace p;
            p.layout = l;
            p.tensor = tensor;
            p.data_base = AddressMap::base(l->buffer) + offset;
            p.mask_base = AddressMap::base(BufferKind::Mask) + offset / 8;
            return p;
        };
        ctx.a = place(&in_layout, 0, 0);
        ctx.b = place(&weight_layout, 1, 0);
        ctx.out = place(&out_layout, 2, 700);
        contexts.push_back(ctx);

        pe = std::make_unique<ProcessingElement>("pe0", 0, clock, config, contexts);
        pe->set_detail(detail);
        interconnect.buffers.bind(activation.target.socket);
        interconnect.buffers.bind(weight.target.socket);
        interconnect.buffers.bind(mask.target.socket);
        pe->buffer_socket.bind(interconnect.requesters);
        if (direct) pe->set_direct_buffers(&activation.target, &weight.target, &mask.target);
        sender.socket.bind(pe->control_socket);

        sender.jobs = 2;
        sender.job.entry = 0;
        sender.job.program_entry = &entry;
        sender.job.split = JobSplit{entry.grid.output_tiles(), 2};
    }
};

void check_same_traffic(const MemoryTarget& a, const MemoryTarget& b) {
    const MemoryTraffic x = a.traffic(), y = b.traffic();
    CHECK(x.read_bytes == y.read_bytes);
    CHECK(x.write_bytes == y.write_bytes);
    CHECK(x.reads == y.reads);
    CHECK(x.writes == y.writes);
    CHECK(x.busy_cycles == y.busy_cycles);
    CHECK(x.queued_cycles == y.queued_cycles);
}

void check_paths_agree(DetailLevel detail) {
    Bench socket("socket", false, detail);
    Bench direct("direct", true, detail);
    REQUIRE(socket.entry.grid.output_tiles() == 12);
    REQUIRE(socket.entry.grid.nk == 4);
    sc_core::sc_start();

    REQUIRE(socket.sender.done.size() == 2);
    CHECK(direct.sender.done == socket.sender.done);
    // The run exercised what the direct path must reproduce: calls out of arrival order, a
    // transfer cut into pieces (512 bytes), writes, and addresses spread over the buffer.
    bool out_of_order = false, pieces = false, written = false;
    double latest = 0;
    std::uint64_t highest = 0;
    for (const ModelCall& c : socket.activation.log) {
        if (c.busy_report) continue;
        out_of_order = out_of_order || c.arrival < latest;
        latest = std::max(latest, c.arrival);
        pieces = pieces || c.bytes == 512;
        written = written || c.write;
        highest = std::max(highest, c.address + c.bytes);
    }
    CHECK(out_of_order);
    CHECK(pieces);
    CHECK(written);
    CHECK(highest > 700);
    CHECK(highest <= 1024);

    const std::pair<const RecordedBuffer*, const RecordedBuffer*> buffers[] = {
        {&socket.activation, &direct.activation}, {&socket.weight, &direct.weight}, {&socket.mask, &direct.mask}};
    for (const auto& [s, d] : buffers) {
        INFO("buffer " << s->target.basename());
        CHECK(!s->log.empty());
        CHECK(s->log.size() == d->log.size());
        CHECK(s->log == d->log);
        check_same_traffic(s->target, d->target);
    }
    for (int lane = 0; lane < 2; ++lane) {
        INFO("lane " << lane);
        const UnitActivity& s = socket.pe->unit(UnitClass::MacLane, lane).activity;
        const UnitActivity& d = direct.pe->unit(UnitClass::MacLane, lane).activity;
        CHECK(s.tiles > 0);
        CHECK(d.tiles == s.tiles);
        CHECK(d.busy_cycles == s.busy_cycles);
        CHECK(d.memory_wait_cycles == s.memory_wait_cycles);
    }
}

}  // namespace direct_path_bench

TEST_CASE("ProcessingElement, full detail: the direct timing path gives the buffer models the socket path's calls",
          "[modules][processing_element][direct_path]") {
    direct_path_bench::check_paths_agree(acceltran::DetailLevel::Full);
}

TEST_CASE("ProcessingElement, fast detail: the direct timing path gives the buffer models the socket path's calls",
          "[modules][processing_element][direct_path]") {
    direct_path_bench::check_paths_agree(acceltran::DetailLevel::Fast);
}
