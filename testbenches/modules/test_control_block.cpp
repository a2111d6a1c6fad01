// Testbench for the ControlBlock (modules/control/control_block.*): it drives stand-in PEs and a
// stand-in DMA (TLM targets that answer every request a fixed number of cycles later, or drop
// the ones they are told to) through a compiled BERT-Tiny program (seq 16, batch 1). Checked:
// every entry retires, each compute entry is split into min(output tiles, units) jobs, the run
// ends when the last answer arrives; a dropped job leaves a report naming the op, the unit
// class and the unit that holds it; a run kept alive without progress is stopped by the
// watchdog with the same report.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/peq_with_get.h>
#include <tlm_utils/simple_target_socket.h>

#include "core/accelerator_config.h"
#include "modules/tlm/clock.h"
#include "modules/tlm/command_extension.h"
#include "modules/accelerator.h"
#include "modules/control/control_block.h"
#include "workloads/model_spec.h"
#include "workloads/op_graph.h"
#include "workloads/tiled_program.h"
#include "workloads/graph_builder.h"
#include "workloads/buffer_planner.h"

using namespace acceltran;

namespace {

// Answers each BEGIN_REQ with BEGIN_RESP `latency` cycles later, except the `drop`-th request
// (counted from 0), which it keeps forever.
struct StandIn : sc_core::sc_module {
    tlm_utils::simple_target_socket<StandIn> socket;
    const Clock& clock;
    double latency;
    int drop;
    int requests = 0;
    std::vector<CommandExtension> commands;  // the jobs received, in order
    tlm_utils::peq_with_get<tlm::tlm_generic_payload> queue;

    SC_HAS_PROCESS(StandIn);
    StandIn(const sc_core::sc_module_name& n, const Clock& c, double latency_cycles, int drop_request = -1)
        : sc_module(n), socket("socket"), clock(c), latency(latency_cycles), drop(drop_request), queue("queue") {
        socket.register_nb_transport_fw(this, &StandIn::fw);
        SC_METHOD(answer);
        sensitive << queue.get_event();
        dont_initialize();
    }
    tlm::tlm_sync_enum fw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase, sc_core::sc_time&) {
        if (phase != tlm::BEGIN_REQ) return tlm::TLM_COMPLETED;
        if (requests++ == drop) return tlm::TLM_ACCEPTED;  // swallowed: never answered
        CommandExtension* cmd = nullptr;
        t.get_extension(cmd);
        if (cmd) commands.push_back(*cmd);
        t.acquire();
        queue.notify(t, clock.to_time(latency));
        phase = tlm::END_REQ;
        return tlm::TLM_UPDATED;
    }
    void answer() {
        while (tlm::tlm_generic_payload* t = queue.get_next_transaction()) {
            t->set_response_status(tlm::TLM_OK_RESPONSE);
            tlm::tlm_phase phase = tlm::BEGIN_RESP;
            sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
            socket->nb_transport_bw(*t, phase, delay);
            t->release();
        }
    }
};

// Keeps simulated time moving (one event every 1000 cycles), as a stuck model with a clock would.
struct Ticker : sc_core::sc_module {
    SC_HAS_PROCESS(Ticker);
    explicit Ticker(const sc_core::sc_module_name& n) : sc_module(n) { SC_THREAD(run); }
    void run() {
        for (;;) sc_core::wait(1000 * 1e6 / 700, sc_core::SC_PS);
    }
};

struct ControlBench {
    AcceleratorConfig config;
    workloads::OpGraph graph;
    workloads::TiledProgram program;
    Clock clock{700};
    std::unique_ptr<ControlBlock> control;
    std::vector<std::unique_ptr<StandIn>> pes;
    std::unique_ptr<StandIn> dma;

    explicit ControlBench(int drop_pe_request = -1, bool group_jobs = false) {
        const std::string src = ACCELTRAN_SOURCE_DIR;
        config = load_accelerator("acceltran-edge", src + "/configs", {"pe.count=2", "pe.lanes_per_pe=2"});
        graph = workloads::build_op_graph(workloads::load_model("bert-tiny", src + "/workloads/models"), 16, 1);
        program = workloads::compile_program(graph, compile_options(config));
        control = std::make_unique<ControlBlock>("control", clock, config, program);
        control->set_group_jobs(group_jobs);
        for (int p = 0; p < config.pes; ++p) {
            pes.push_back(std::make_unique<StandIn>(("pe" + std::to_string(p)).c_str(), clock, 10,
                                                    p == 0 ? drop_pe_request : -1));
            control->pe_socket.bind(pes.back()->socket);
        }
        dma = std::make_unique<StandIn>("dma", clock, 20);
        control->dma_socket.bind(dma->socket);
    }
};

}  // namespace

TEST_CASE("ControlBlock: every entry of BERT-Tiny retires, each compute entry in min(outputs, units) jobs",
          "[modules][control_block]") {
    ControlBench b;
    sc_core::sc_start();
    REQUIRE(b.control->finished());
    std::uint64_t jobs = 0;
    const int units_per_pe[3] = {b.config.lanes_per_pe, b.config.softmax_per_pe, b.config.layernorm_per_pe};
    for (const auto& e : b.program.entries)
        if (e.kind == workloads::EntryKind::Compute)
            jobs += std::min<std::uint64_t>(e.grid.output_tiles(),
                                            std::uint64_t(units_per_pe[int(e.unit)]) * std::uint64_t(b.config.pes));
    CHECK(b.control->activity().jobs == jobs);
    CHECK(b.control->activity().retired == b.program.entries.size());
    int pe_requests = 0;
    for (const auto& pe : b.pes) pe_requests += pe->requests;
    CHECK(std::uint64_t(pe_requests) == jobs);
    CHECK(std::uint64_t(b.dma->requests) ==
          b.program.totals.load_entries + b.program.totals.spill_entries + b.program.totals.store_entries);
    // The run ends with the last answer: a whole number of 10- and 20-cycle answers after 0.
    CHECK(b.control->activity().finish_cycle == Approx(sc_core::sc_time_stamp().to_seconds() * 700e6));
    // The watchdog was armed and then cancelled: simulated time did not run on to it.
    CHECK(b.control->serial_bound_cycles() > b.control->activity().finish_cycle);
    CHECK(b.control->activity().finish_cycle < b.control->watchdog_cycles());
}

// Job groups (the fast detail level, docs/model-reference.md §6a): the same jobs, handed out as
// runs of units that follow each other in unit order (on into the next PE); every job of an entry
// exactly once. With 2 PEs of 2 lanes and entries of more than 2 output tiles, some groups have
// more than one job.
TEST_CASE("ControlBlock: grouped jobs cover every job of every entry once, each group on units that follow each other",
          "[modules][control_block]") {
    ControlBench b(-1, true);
    sc_core::sc_start();
    REQUIRE(b.control->finished());
    const int units_per_pe[3] = {b.config.lanes_per_pe, b.config.softmax_per_pe, b.config.layernorm_per_pe};
    std::uint64_t jobs = 0;
    for (const auto& e : b.program.entries)
        if (e.kind == workloads::EntryKind::Compute)
            jobs += std::min<std::uint64_t>(e.grid.output_tiles(),
                                            std::uint64_t(units_per_pe[int(e.unit)]) * std::uint64_t(b.config.pes));
    CHECK(b.control->activity().jobs == jobs);
    std::vector<std::uint64_t> next_job(b.program.entries.size(), 0);
    std::uint64_t requests = 0, grouped = 0;
    std::vector<const CommandExtension*> all;
    for (std::size_t p = 0; p < b.pes.size(); ++p)
        for (const auto& c : b.pes[p]->commands) {
            all.push_back(&c);
            // A group runs on from the PE it was sent to into the next PEs' units, never past the last.
            const int per_pe = units_per_pe[int(b.program.entries[c.entry].unit)];
            CHECK(int(p) * per_pe + c.unit + c.group <= per_pe * b.config.pes);
        }
    // Per entry, the groups' job ranges join without gap or overlap.
    std::sort(all.begin(), all.end(), [](const CommandExtension* x, const CommandExtension* y) {
        return x->entry != y->entry ? x->entry < y->entry : x->first_job < y->first_job;
    });
    for (const CommandExtension* c : all) {
        INFO("entry " << c->entry << " first job " << c->first_job << " group " << c->group);
        CHECK(c->first_job == next_job[c->entry]);
        next_job[c->entry] += std::uint64_t(c->group);
        CHECK(c->group >= 1);
        CHECK(c->split.jobs >= c->first_job + std::uint64_t(c->group));
        ++requests;
        if (c->group > 1) ++grouped;
    }
    for (std::uint32_t e = 0; e < b.program.entries.size(); ++e) {
        const auto& entry = b.program.entries[e];
        if (entry.kind != workloads::EntryKind::Compute) continue;
        INFO("entry " << e);
        CHECK(next_job[e] == std::min<std::uint64_t>(entry.grid.output_tiles(),
                                                     std::uint64_t(units_per_pe[int(entry.unit)]) * std::uint64_t(b.config.pes)));
    }
    CHECK(requests < jobs);
    CHECK(grouped > 0);
}

TEST_CASE("ControlBlock: a job that never comes back is reported by the watchdog as a deadlock, naming its op and unit",
          "[modules][control_block]") {
    ControlBench b(0);  // pe0 keeps its first job; nothing else keeps the simulation going
    std::string message;
    try {
        sc_core::sc_start();
    } catch (const std::exception& e) {
        message = e.what();
    }
    INFO(message);
    REQUIRE_FALSE(b.control->finished());
    CHECK(message.find("watchdog: deadlock, nothing left to simulate") != std::string::npos);
    CHECK(message.find("started, not finished: entry") != std::string::npos);
    CHECK(message.find("of op '") != std::string::npos);
    CHECK(message.find("on mac_lane units, jobs held by pe0/mac_lane0") != std::string::npos);
    CHECK(message.find("first blocked: entry") != std::string::npos);
    CHECK(message.find("buffer occupancy (bytes): activation ") != std::string::npos);
}

TEST_CASE("ControlBlock: the watchdog stops a run that keeps time moving without retiring anything",
          "[modules][control_block]") {
    ControlBench b(0);
    Ticker ticker("ticker");
    b.control->set_watchdog_cycles(50000);
    std::string message;
    try {
        sc_core::sc_start();
    } catch (const std::exception& e) {
        message = e.what();
    }
    INFO(message);
    CHECK(message.find("watchdog: no program entry retired in 50000") != std::string::npos);
    CHECK(message.find("deadlock") == std::string::npos);  // the ticker is still active
    CHECK(message.find("jobs held by pe0/mac_lane0") != std::string::npos);
}
