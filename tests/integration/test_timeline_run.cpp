// The timeline of a whole run (BERT-Tiny on AccelTran-Edge, in-process): its sample periods must
// add up to the run's own totals, which the simulator counts separately (units, ports, DMA, the
// control block's peak occupancy), and the power timeline's energies to the run's energy.
// Tolerances: busy cycles and bytes are sums of a few hundred thousand doubles spread over periods
// (relative rounding well under 1e-9); ports leave unreported rounding slivers below 1e-6 cycle
// per transfer (core/bandwidth_port.cpp), which stays below 1e-6 relative here.
#include <catch2/catch.hpp>

#include <systemc>

#include "modules/accelerator.h"
#include "modules/power/energy_model.h"
#include "modules/power/technology.h"
#include "modules/trace/timeline.h"
#include "modules/trace/timeline_report.h"
#include "workloads/model_spec.h"
#include "workloads/op_graph.h"
#include "workloads/graph_builder.h"
#include "workloads/buffer_planner.h"

using namespace acceltran;
using workloads::UnitClass;

TEST_CASE("timeline of BERT-Tiny on AccelTran-Edge adds up to the run's totals and energy", "[integration][timeline]") {
    const std::string src = ACCELTRAN_SOURCE_DIR;
    const AcceleratorConfig config = load_accelerator("acceltran-edge", src + "/configs", {});
    const auto model = workloads::load_model("bert-tiny", src + "/workloads/models");
    const auto graph = workloads::build_op_graph(model, 128, 4);
    const auto program = workloads::compile_program(graph, compile_options(config));
    const power::Technology tech = power::load_technology(config.technology, src + "/configs");

    trace::Timeline timeline;
    Accelerator acc("acceltran", config, program, &timeline);
    sc_core::sc_start();
    const RunResult r = acc.result();
    const auto samples = timeline.samples(r.cycles);

    REQUIRE(samples.size() <= trace::Timeline::kMaxSamples);
    REQUIRE(samples.size() > trace::Timeline::kMaxSamples / 2);  // the run is longer than 4096 cycles
    power::RunActivity sum;
    double memory_busy = 0, dma_busy = 0, cycles = 0;
    std::uint64_t peak[workloads::kBufferKinds] = {0, 0, 0};
    for (const auto& s : samples) {
        cycles += s.cycles;
        sum.lane_busy_unit_cycles += s.activity.lane_busy_unit_cycles;
        sum.softmax_busy_unit_cycles += s.activity.softmax_busy_unit_cycles;
        sum.layernorm_busy_unit_cycles += s.activity.layernorm_busy_unit_cycles;
        sum.pre_sparsity_tiles += s.activity.pre_sparsity_tiles;
        sum.post_sparsity_tiles += s.activity.post_sparsity_tiles;
        for (int b = 0; b < workloads::kBufferKinds; ++b) {
            sum.buffer_bytes[b] += s.activity.buffer_bytes[b];
            sum.buffer_busy_cycles[b] += s.activity.buffer_busy_cycles[b];
            peak[b] = std::max(peak[b], s.peak_occupancy[b]);
        }
        sum.memory_bytes += s.activity.memory_bytes;
        memory_busy += s.memory_busy_cycles;
        dma_busy += s.dma_busy_channel_cycles;
    }
    CHECK(cycles == Approx(r.cycles).epsilon(1e-12));
    CHECK(sum.lane_busy_unit_cycles == Approx(r.units[int(UnitClass::MacLane)].busy_unit_cycles).epsilon(1e-9));
    CHECK(sum.softmax_busy_unit_cycles == Approx(r.units[int(UnitClass::Softmax)].busy_unit_cycles).epsilon(1e-9));
    CHECK(sum.layernorm_busy_unit_cycles == Approx(r.units[int(UnitClass::LayerNorm)].busy_unit_cycles).epsilon(1e-9));
    CHECK(sum.pre_sparsity_tiles == r.pre_sparsity_tiles);
    CHECK(sum.post_sparsity_tiles == r.post_sparsity_tiles);
    for (int b = 0; b < workloads::kBufferKinds; ++b) {
        INFO("buffer " << b);
        CHECK(sum.buffer_bytes[b] == Approx(double(r.buffers[b].read_bytes + r.buffers[b].write_bytes)).epsilon(1e-6));
        CHECK(sum.buffer_busy_cycles[b] == Approx(r.buffers[b].busy_cycles).epsilon(1e-6));
        CHECK(peak[b] == r.buffers[b].peak_occupancy);
    }
    CHECK(sum.memory_bytes == Approx(double(r.memory_read_bytes + r.memory_write_bytes)).epsilon(1e-6));
    CHECK(memory_busy == Approx(r.memory_busy_cycles).epsilon(1e-6));
    CHECK(dma_busy == Approx(r.dma_busy_channel_cycles).epsilon(1e-9));

    // Energy is linear in the activity (docs/model-reference.md §9b), so the periods' energies add
    // up to the energy of the run's totals.
    power::RunActivity totals;
    totals.cycles = r.cycles;
    totals.lane_busy_unit_cycles = r.units[int(UnitClass::MacLane)].busy_unit_cycles;
    totals.softmax_busy_unit_cycles = r.units[int(UnitClass::Softmax)].busy_unit_cycles;
    totals.layernorm_busy_unit_cycles = r.units[int(UnitClass::LayerNorm)].busy_unit_cycles;
    totals.pre_sparsity_tiles = r.pre_sparsity_tiles;
    totals.post_sparsity_tiles = r.post_sparsity_tiles;
    for (int b = 0; b < workloads::kBufferKinds; ++b) {
        totals.buffer_bytes[b] = double(r.buffers[b].read_bytes + r.buffers[b].write_bytes);
        totals.buffer_busy_cycles[b] = r.buffers[b].busy_cycles;
    }
    totals.memory_bytes = double(r.memory_read_bytes + r.memory_write_bytes);
    const double energy = power::energy(config, tech, totals).total();
    const trace::TimelineReport report(samples, config, tech);
    CHECK(report.energy_j() == Approx(energy).epsilon(1e-6));
    const double average = energy / r.seconds;
    CHECK(report.peak_power_w() >= average);
    // Nor can it exceed the power of one cycle with every unit busy, a sparsity tile in every
    // lane, and every buffer and main memory moving data at full bandwidth.
    power::RunActivity all_busy;
    all_busy.cycles = 1;
    all_busy.lane_busy_unit_cycles = double(config.mac_lanes());
    all_busy.softmax_busy_unit_cycles = double(config.softmax_units());
    all_busy.layernorm_busy_unit_cycles = double(config.layernorm_units());
    all_busy.pre_sparsity_tiles = all_busy.post_sparsity_tiles = std::uint64_t(config.mac_lanes());
    const BufferConfig* buffers[3] = {&config.activation_buffer, &config.weight_buffer, &config.mask_buffer};
    for (int b = 0; b < workloads::kBufferKinds; ++b) {
        all_busy.buffer_bytes[b] = buffers[b]->bytes_per_cycle();
        all_busy.buffer_busy_cycles[b] = 1;
    }
    all_busy.memory_bytes = config.memory_bytes_per_cycle();
    const double ceiling = power::energy(config, tech, all_busy).total() * config.clock_hz();
    CHECK(report.peak_power_w() <= ceiling);
}
