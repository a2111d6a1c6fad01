// End-to-end invariants of whole simulations.
//
// In-process (one Accelerator and one sc_start() per TEST_CASE; ctest runs each case in its own
// process): BERT-Tiny, seq 128, batch 4, on AccelTran-Edge and AccelTran-Server. Every check
// compares the simulator's counters with figures this file derives on its own from the op graph,
// the compiled program and the documented semantics (workloads/tiling.h, tiled_program.h,
// modules/compute/tile_timing.h), never from the simulator's other counters:
//   - completion: every program entry retired, every tile op executed exactly once;
//   - bytes conserved: main memory moves exactly the program's load and store bytes; each buffer
//     receives exactly what the DMA loads into it plus what compute writes (finished outputs,
//     compressed, with their masks; dense partial sums) and serves at least (at most) the
//     operand reads of the most (least) reusing job split plus what the DMA spills and stores;
//   - time: cycles at least the compute bound of each unit class (sum of per-tile busy cycles
//     over the class's unit count) and at least the main-memory bound (bytes / bytes per cycle);
//     utilizations in [0, 1], stall counters non-negative.
// Via the CLI (two child processes): a one-layer model under loop order k_b_i_j against
// b_i_j_k, where partial sums leave the lane and activation-buffer traffic grows by exactly the
// partial-sum bytes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <systemc>

#include "modules/accelerator.h"
#include "core/accelerator_config.h"
#include "modules/compute/tile_timing.h"
#include "modules/run_result.h"
#include "tests/integration/integration_support.h"
#include "tests/source_tree.h"
#include "workloads/model_spec.h"
#include "workloads/op_graph.h"
#include "workloads/tiled_program.h"
#include "workloads/tiling.h"
#include "workloads/graph_builder.h"
#include "workloads/buffer_planner.h"

using namespace acceltran;
using namespace acceltran::workloads;
using acceltran::testing::ScratchDir;
using acceltran::testing::kModelsDir;
using acceltran::testing::kConfigs;

namespace {


// ---------------------------------------------------------------------------------------------
// Bytes each buffer reads and writes, derived from the program.

struct Traffic {
    std::uint64_t read[kBufferKinds] = {0, 0, 0};
    std::uint64_t write[kBufferKinds] = {0, 0, 0};
    std::uint64_t psum_read = 0, psum_write = 0;  // dense partial sums (already in read/write)
};

// How a compute entry's tiles are walked for the byte count.
enum class Walk {
    FullRange,  // one sequence over all output tiles (what a single unit running the op does)
    NoReuse,    // every tile reads every operand and (k > 0) its partial sum: the upper bound
};

// DMA traffic: a load writes the tensor's data into its buffer and its mask into the mask
// buffer; a spill or store reads them back out.
void add_dma(const TiledProgram& p, Traffic& t) {
    for (const ProgramEntry& e : p.entries) {
        if (e.kind == EntryKind::Compute) continue;
        const BufferKind home = p.layouts[e.tensor].buffer;
        auto& side = e.kind == EntryKind::Load ? t.write : t.read;
        side[int(home)] += e.data_bytes;
        side[int(BufferKind::Mask)] += e.mask_bytes;
    }
}

// Compute traffic of one entry. A tensor is stored compressed (non-zeros at element_bits each)
// with a one-bit-per-element mask; a unit reads the data and mask of each operand block it does
// not reuse from its previous tile, writes a finished output block with its mask, and keeps
// partial sums dense, without a mask.
void add_compute(const TiledProgram& p, const ProgramEntry& e, Walk walk, Traffic& t) {
    const OpGraph& g = *p.graph;
    const Op& op = g.ops[e.op];
    const int bits = p.options.element_bits;
    const TileGrid& grid = e.grid;
    auto block = [&](int tensor, std::uint64_t elements, bool read) {
        const TensorLayout& l = p.layouts[tensor];
        auto& side = read ? t.read : t.write;
        side[int(l.buffer)] += compressed_bytes(elements, l.density, bits);
        side[int(BufferKind::Mask)] += mask_bytes(elements);
    };
    auto dense = [&](std::uint64_t elements, bool read) {
        const std::uint64_t bytes = compressed_bytes(elements, 1.0, bits);
        (read ? t.read : t.write)[int(p.layouts[op.output].buffer)] += bytes;
        (read ? t.psum_read : t.psum_write) += bytes;
    };
    LaneTileSequence seq(grid, p.options.loop_order, 0, grid.output_tiles());
    TileStep s;
    while (seq.next(s)) {
        if (walk == Walk::NoReuse) {
            s.read_a = true;
            s.read_b = grid.matmul;
            s.read_psum = grid.matmul && s.index.k > 0;
        }
        const std::uint64_t a = grid.a_elements(s.index);
        if (s.read_a) block(op.a_inputs[0], a, true);
        if (op.kind == OpKind::Add && op.a_inputs.size() > 1) block(op.a_inputs[1], a, true);  // no reuse flag
        if (s.read_b && op.b_input >= 0) block(op.b_input, grid.b_elements(s.index), true);
        if (s.read_psum) dense(grid.out_elements(s.index), true);
        if (s.write_output)
            block(op.output, grid.out_elements(s.index), false);
        else if (s.write_psum)
            dense(grid.out_elements(s.index), false);
    }
}

Traffic program_traffic(const TiledProgram& p, Walk walk) {
    Traffic t;
    add_dma(p, t);
    for (const ProgramEntry& e : p.entries)
        if (e.kind == EntryKind::Compute) add_compute(p, e, walk, t);
    return t;
}

// ---------------------------------------------------------------------------------------------
// Work per unit class, from the op graph and the tile shape alone.

struct ClassWork {
    std::uint64_t tiles = 0;
    double busy_cycles = 0;  // sum over tiles of the tile_timing.h cycles
};

struct Work {
    ClassWork cls[kUnitClasses];
    std::uint64_t tiles = 0;
    std::uint64_t dense_macs = 0;
    double effectual_macs = 0;
};

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
std::int64_t extent(std::int64_t dim, std::int64_t size, std::int64_t index) {
    return std::min(size, dim - index * size);
}

Work graph_work(const OpGraph& g, const AcceleratorConfig& c) {
    // Activations carry the run-time sparsity; weights and the embedding rows are pruned offline.
    auto density = [&](int tensor) {
        return g.tensors[tensor].kind == TensorKind::Activation ? 1.0 - c.activation_sparsity
                                                                : 1.0 - c.weight_sparsity;
    };
    Work w;
    for (const Op& op : g.ops) {
        const bool mm = op.kind == OpKind::MatMul;
        // b splits the batch, x the rows m, y the columns n and (matmul) the depth k.
        const std::int64_t nb = ceil_div(op.batch, c.tile_b), ni = ceil_div(op.m, c.tile_x),
                           nj = ceil_div(op.n, c.tile_y), nk = mm ? ceil_div(op.k, c.tile_y) : 1;
        const double da = density(op.a_inputs[0]);
        const double db = mm ? density(op.b_input) : 1.0;
        UnitClass cls = op.kind == OpKind::Softmax ? UnitClass::Softmax
                        : op.kind == OpKind::LayerNorm ? UnitClass::LayerNorm
                                                       : UnitClass::MacLane;
        ClassWork& cw = w.cls[int(cls)];
        for (std::int64_t b = 0; b < nb; ++b)
            for (std::int64_t i = 0; i < ni; ++i)
                for (std::int64_t j = 0; j < nj; ++j)
                    for (std::int64_t k = 0; k < nk; ++k) {
                        const std::uint64_t rb = std::uint64_t(extent(op.batch, c.tile_b, b));
                        const std::uint64_t ri = std::uint64_t(extent(op.m, c.tile_x, i));
                        const std::uint64_t cj = std::uint64_t(extent(op.n, c.tile_y, j));
                        const std::uint64_t out = rb * ri * cj;
                        std::uint64_t cycles = 0;
                        switch (op.kind) {
                            case OpKind::MatMul: {
                                const std::uint64_t macs = out * std::uint64_t(extent(op.k, c.tile_y, k));
                                w.dense_macs += macs;
                                w.effectual_macs += double(macs) * da * db;
                                cycles = compute::matmul_tile_cycles(double(macs) * da * db, c.macs_per_lane);
                                break;
                            }
                            case OpKind::Add: cycles = compute::add_tile_cycles(out, da, c.macs_per_lane); break;
                            case OpKind::Gelu: cycles = compute::nonlinearity_tile_cycles(); break;
                            case OpKind::Softmax: cycles = compute::softmax_tile_cycles(out, da); break;
                            case OpKind::LayerNorm: cycles = compute::layernorm_tile_cycles(rb, ri, cj, da); break;
                            // This bound models the encoder graphs run here; it has neither the
                            // decoder kinds' unit classes nor their causal masks (their tile rules
                            // are checked in tests/unit/test_generation_program.cpp).
                            case OpKind::RmsNorm:
                            case OpKind::SwiGlu:
                            case OpKind::Rotary:
                                FAIL("graph_work covers encoder op kinds only, not " << to_string(op.kind)
                                                                                    << " (op '" << op.name << "')");
                                break;
                        }
                        cw.tiles++;
                        cw.busy_cycles += double(cycles);
                        w.tiles++;
                    }
    }
    return w;
}

std::int64_t units_of(const AcceleratorConfig& c, UnitClass u) {
    switch (u) {
        case UnitClass::MacLane: return std::int64_t(c.pes) * c.lanes_per_pe;
        case UnitClass::Softmax: return std::int64_t(c.pes) * c.softmax_per_pe;
        case UnitClass::LayerNorm: return std::int64_t(c.pes) * c.layernorm_per_pe;
    }
    return 0;
}

// ---------------------------------------------------------------------------------------------

// Runs BERT-Tiny in this process (once per process: SystemC elaborates once) and checks it.
RunResult check_bert_tiny(const std::string& accel, int seq = 128, int batch = 4,
                          const std::vector<std::string>& overrides = {}) {
    const AcceleratorConfig config = load_accelerator(accel, kConfigs, overrides);
    const ModelSpec model = load_model("bert-tiny", kModelsDir);
    const OpGraph graph = build_op_graph(model, seq, batch);
    const TiledProgram program = compile_program(graph, compile_options(config));
    REQUIRE(program.options.loop_order == LoopOrder::parse("b_i_j_k"));

    Accelerator accelerator("acceltran", config, program);
    sc_core::sc_start();
    const RunResult r = accelerator.result();
    INFO(accel << ", seq " << seq << ", batch " << batch << ": " << r.to_json().dump(2));

    // --- completion ---
    CHECK(r.entries == program.entries.size());
    CHECK(r.entries_retired == r.entries);
    const Work work = graph_work(graph, config);
    CHECK(program.totals.tile_ops == work.tiles);
    CHECK(r.tile_ops == work.tiles);
    CHECK(r.tiles_executed == r.tile_ops);
    for (int c = 0; c < kUnitClasses; ++c) {
        INFO("unit class " << to_string(UnitClass(c)));
        CHECK(r.units[c].units == units_of(config, UnitClass(c)));
        CHECK(r.units[c].tiles == work.cls[c].tiles);
        // Every tile's busy time is its tile_timing.h cost, nothing more, nothing less.
        CHECK(r.units[c].busy_unit_cycles == work.cls[c].busy_cycles);
    }
    CHECK(r.macs == work.dense_macs);
    CHECK(r.effectual_macs == Approx(work.effectual_macs).epsilon(1e-9));

    // --- bytes: main memory ---
    std::uint64_t load_bytes = 0, store_bytes = 0;
    for (const ProgramEntry& e : program.entries) {
        if (e.kind == EntryKind::Load) load_bytes += e.data_bytes + e.mask_bytes;
        if (e.kind == EntryKind::Spill || e.kind == EntryKind::Store) store_bytes += e.data_bytes + e.mask_bytes;
    }
    CHECK(program.totals.load_bytes == load_bytes);
    CHECK(program.totals.store_bytes == store_bytes);
    CHECK(r.memory_read_bytes == program.totals.load_bytes);
    CHECK(r.memory_write_bytes == program.totals.store_bytes);

    // --- bytes: buffers ---
    // Under b_i_j_k the k loop is innermost, so every job (a contiguous range of output tiles)
    // runs all k steps of an output back to back: no partial sum ever leaves a lane, whatever
    // the split. Finished outputs are written once each, also whatever the split. Writes are
    // therefore exact. Reads depend on the split (a unit's first tile reuses nothing); each job
    // is a contiguous piece of the full-range sequence, so the single-sequence count is a lower
    // bound and the count without any reuse an upper bound.
    const Traffic full = program_traffic(program, Walk::FullRange);
    const Traffic none = program_traffic(program, Walk::NoReuse);
    CHECK(full.psum_write == 0);
    CHECK(full.psum_read == 0);
    for (int b = 0; b < kBufferKinds; ++b) {
        INFO(to_string(BufferKind(b)) << " buffer");
        CHECK(r.buffers[b].write_bytes == full.write[b]);
        CHECK(r.buffers[b].read_bytes >= full.read[b]);
        CHECK(r.buffers[b].read_bytes <= none.read[b]);
        CHECK(r.buffers[b].peak_occupancy <= r.buffers[b].capacity);
        CHECK(r.buffers[b].capacity == program.options.capacity[b]);
    }

    // --- time ---
    REQUIRE(r.cycles > 0);
    CHECK(r.seconds == Approx(r.cycles / (config.clock_mhz * 1e6)).epsilon(1e-12));
    CHECK(r.throughput_seq_per_s == Approx(batch / r.seconds).epsilon(1e-12));
    for (int c = 0; c < kUnitClasses; ++c) {
        const double bound = work.cls[c].busy_cycles / double(units_of(config, UnitClass(c)));
        INFO("compute bound of " << to_string(UnitClass(c)) << ": " << bound);
        CHECK(r.cycles >= bound);
    }
    const double memory_bound =
        double(program.totals.load_bytes + program.totals.store_bytes) / config.memory_bytes_per_cycle();
    INFO("memory bound: " << memory_bound);
    CHECK(r.cycles >= memory_bound);
    CHECK(r.memory_bound_cycles >= 0);
    CHECK(r.memory_bound_cycles <= r.cycles);

    auto unit_interval = [](double u) { return u >= 0.0 && u <= 1.0; };
    for (int c = 0; c < kUnitClasses; ++c) {
        INFO("unit class " << to_string(UnitClass(c)));
        CHECK(unit_interval(r.units[c].utilization));
        CHECK(r.units[c].utilization ==
              Approx(work.cls[c].busy_cycles / (double(units_of(config, UnitClass(c))) * r.cycles)).epsilon(1e-12));
        CHECK(r.units[c].memory_wait_unit_cycles >= 0);
        CHECK(r.units[c].dependency_wait_unit_cycles >= 0);
    }
    CHECK(unit_interval(r.dma_utilization));
    CHECK(unit_interval(r.memory_utilization));
    CHECK(r.dma_transfers == program.totals.load_entries + program.totals.spill_entries + program.totals.store_entries);
    CHECK(r.load_entries == program.totals.load_entries);
    CHECK(r.spill_entries == program.totals.spill_entries);
    CHECK(r.store_entries == program.totals.store_entries);
    return r;
}

}  // namespace

TEST_CASE("BERT-Tiny on AccelTran-Edge completes with bytes conserved and cycles above the bounds",
          "[integration][end-to-end]") {
    check_bert_tiny("acceltran-edge");
}

TEST_CASE("BERT-Tiny on AccelTran-Server completes with bytes conserved and cycles above the bounds",
          "[integration][end-to-end]") {
    check_bert_tiny("acceltran-server");
}

// Edge tiles everywhere: 40 rows leave an 8-row tile, batch 3 in tiles of 2 leaves a 1-entry
// tile (attention ops: 3 x 2 heads in tiles of 2).
TEST_CASE("BERT-Tiny with edge tiles (seq 40, batch 3, tile 2x16x16) on AccelTran-Edge conserves bytes",
          "[integration][end-to-end]") {
    check_bert_tiny("acceltran-edge", 40, 3, {"tiling.tile=[2,16,16]"});
}

// A 0.45 MiB activation buffer holds BERT-Tiny's largest working set (l0.ffn.h1: 409600 bytes,
// with GELU, softmax and layer-norm in place) but not everything live beside it: the plan
// spills activations and reloads them, and the bytes must still add up.
TEST_CASE("BERT-Tiny on AccelTran-Edge with a 0.45 MiB activation buffer spills, reloads and conserves bytes",
          "[integration][end-to-end]") {
    const RunResult r = check_bert_tiny("acceltran-edge", 128, 4, {"buffers.activation.size_mb=0.45"});
    CHECK(r.spill_entries > 0);
}

// Two simulations, so two child processes of the CLI.
//
// With the design points' 1,024+ MAC lanes a small model gives every lane at most one output
// tile per op (jobs = min(output tiles, lanes)), so all k steps of an output run back to back on
// one lane whatever the loop order and the order changes nothing. One lane per PE and one PE
// puts each matmul on a single lane as one full-range job; then the byte counts are exact for
// any loop order, and k outermost (k_b_i_j) makes every output's partial sum leave the lane after
// each k step and come back for the next.
TEST_CASE("loop order k_b_i_j completes and spills partial sums to the activation buffer",
          "[integration][end-to-end][loop-order]") {
    ScratchDir dir("loop-order");
    const std::string model_path = dir / "one-layer.yaml";
    acceltran::testing::write_text(model_path,
                                   "name: one-layer\n"
                                   "family: bert\n"
                                   "vocab_size: 1000\n"
                                   "max_positions: 64\n"
                                   "activation: gelu\n"
                                   "layers: 1\n"
                                   "hidden: 64\n"
                                   "heads: 2\n"
                                   "ffn: 128\n");
    const std::vector<std::string> single_lane = {"pe.count=1", "pe.lanes_per_pe=1"};
    const std::string orders[2] = {"b_i_j_k", "k_b_i_j"};
    nlohmann::json summary[2];
    Traffic expected[2];
    TiledProgram programs[2];
    const OpGraph graph = build_op_graph(load_model(model_path, kModelsDir), 32, 1);
    for (int o = 0; o < 2; ++o) {
        std::vector<std::string> overrides = single_lane;
        overrides.push_back("tiling.loop_order=" + orders[o]);
        const AcceleratorConfig config = load_accelerator("acceltran-edge", kConfigs, overrides);
        programs[o] = compile_program(graph, compile_options(config));
        expected[o] = program_traffic(programs[o], Walk::FullRange);

        std::vector<std::string> args = {"run", "--model", model_path, "--accel", "acceltran-edge",
                                         "--seq", "32", "--batch", "1", "--quiet", "--out", dir / orders[o]};
        for (const auto& s : overrides) {
            args.push_back("--set");
            args.push_back(s);
        }
        const auto res = acceltran::testing::run_acceltran(args, dir);
        INFO(acceltran::testing::describe(res));
        REQUIRE(res.exit_code == 0);
        summary[o] = acceltran::testing::load_json(dir / (orders[o] + "/summary.json"));
        INFO(summary[o].dump(2));
        CHECK(summary[o]["accelerator"]["tiling"]["loop_order"] == orders[o]);
        CHECK(summary[o]["program"]["entries_retired"] == summary[o]["program"]["entries"]);
        CHECK(summary[o]["program"]["tiles_executed"] == summary[o]["program"]["tile_ops"]);
        CHECK(summary[o]["program"]["entries"].get<std::uint64_t>() == programs[o].entries.size());
        CHECK(summary[o]["cycles"].get<double>() > 0);
        // One job per op and class: the full-range walk is exactly what runs.
        const char* names[kBufferKinds] = {"activation_buffer", "weight_buffer", "mask_buffer"};
        for (int b = 0; b < kBufferKinds; ++b) {
            INFO(orders[o] << ", " << names[b]);
            CHECK(summary[o]["bytes"][names[b]]["read"].get<std::uint64_t>() == expected[o].read[b]);
            CHECK(summary[o]["bytes"][names[b]]["write"].get<std::uint64_t>() == expected[o].write[b]);
        }
    }
    // The buffer plan does not depend on the loop order: main memory sees the same bytes.
    CHECK(summary[1]["bytes"]["main_memory"] == summary[0]["bytes"]["main_memory"]);
    CHECK(expected[0].psum_write == 0);
    CHECK(expected[1].psum_write > 0);
    CHECK(expected[1].psum_read == expected[1].psum_write);  // each spilled partial sum comes back
    const auto act = [&](int o, const char* side) {
        return summary[o]["bytes"]["activation_buffer"][side].get<std::uint64_t>();
    };
    CHECK(act(1, "write") > act(0, "write"));
    CHECK(act(1, "write") - act(0, "write") == expected[1].psum_write);
    CHECK(act(1, "read") > act(0, "read"));
}
