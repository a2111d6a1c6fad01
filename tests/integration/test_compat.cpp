// The compatibility options (docs/validation.md §7.5), each on BERT-Nano on AccelTran-Edge: it
// changes what it says and nothing else, and no default result depends on it (the golden runs
// check the defaults; test_golden.cpp). The original simulator's own figures for this model and
// configuration, for the ladder: 15,046 cycles and 262,639.1 nJ per batch of 4, from
// scripts/original/run-original on its bert_nano.json and config_tiny.yaml, commit ea7ba16
// (docs/validation.md §7.2).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/accelerator_config.h"
#include "tests/integration/csv_table.h"
#include "tests/integration/integration_support.h"
#include "workloads/buffer_planner.h"
#include "workloads/graph_builder.h"
#include "workloads/model_spec.h"

using namespace acceltran::testing;
using Catch::Matchers::Contains;

namespace {

const std::string kNano = std::string(ACCELTRAN_SOURCE_DIR) + "/scripts/original/models/bert-nano.json";
const std::vector<std::string> kBase = {"--model", kNano, "--accel", "acceltran-edge", "--force", "-q"};

// BERT-Nano's figures at batch 4, sequence 128, 20-bit words at density 0.5 (10 bits per
// element stored) and one mask bit per element, as the tests below derive them by hand.
constexpr double kNanoBatch = 4, kNanoSeq = 128, kNanoHidden = 32;
constexpr double kNanoBytesPerElement = 10.0 / 8 + 1.0 / 8;  // data + mask
// Its weights: Q, K, V and the output projection 32 x 32 each, the feed-forward 32 x 64 and 64 x 32.
constexpr double kNanoWeightElements = 4 * 32 * 32 + 2 * 32 * 64;
// The embedding rows a default run loads: the batch's word rows and the sequence's position rows.
constexpr double kNanoRowElements = (kNanoBatch * kNanoSeq + kNanoSeq) * kNanoHidden;

// ops.csv of a run, by op name.
double compat_op_cycle(const CsvContents& ops, const std::string& op, const std::string& column) {
    for (std::size_t r = 0; r < ops.rows.size(); ++r)
        if (ops.at(r, "op") == op) return ops.number(r, column);
    throw std::runtime_error("no op " + op + " in ops.csv");
}

// BERT-Nano compiled for AccelTran-Edge's buffers, with `set` applied to the options.
struct NanoProgram {
    acceltran::workloads::OpGraph graph;
    acceltran::workloads::TiledProgram program;

    template <typename Set>
    explicit NanoProgram(Set set) {
        using namespace acceltran::workloads;
        CompileOptions o;
        o.capacity[int(BufferKind::Activation)] = 4u << 20;
        o.capacity[int(BufferKind::Weight)] = 8u << 20;
        o.capacity[int(BufferKind::Mask)] = 1u << 20;
        set(o);
        graph = build_op_graph(load_model_dict_json(kNano), 128, 4, o);
        program = compile_program(graph, o);
    }
    // The load entry of a tensor and the compute entry of an op.
    std::uint32_t load_of(const std::string& tensor) const { return find(acceltran::workloads::EntryKind::Load, graph.tensor(tensor).id, -1); }
    std::uint32_t compute_of(const std::string& op) const { return find(acceltran::workloads::EntryKind::Compute, -1, graph.op(op).id); }
    bool waits_for(std::uint32_t entry, std::uint32_t other) const {
        const auto& d = program.entries[entry].deps;
        return std::find(d.begin(), d.end(), other) != d.end();
    }

private:
    std::uint32_t find(acceltran::workloads::EntryKind kind, int tensor, int op) const {
        for (std::uint32_t e = 0; e < program.entries.size(); ++e) {
            const auto& entry = program.entries[e];
            if (entry.kind == kind && (tensor < 0 || entry.tensor == tensor) && (op < 0 || entry.op == op)) return e;
        }
        throw std::runtime_error("no such entry");
    }
};

}  // namespace

TEST_CASE("compat bandwidth_units moves data at the original's rate and masks beside it", "[integration][compat]") {
    ScratchDir dir("compat");
    const auto plain = run_into(dir, "plain", kBase, {});
    const auto units = run_into(dir, "units", kBase, {"--compat", "bandwidth_units"});
    INFO(describe(plain) << describe(units));
    REQUIRE(plain.exit_code == 0);
    REQUIRE(units.exit_code == 0);
    const auto p = load_json(dir / "plain/summary.json");
    const auto u = load_json(dir / "units/summary.json");
    CHECK_FALSE(p["accelerator"].contains("compat"));
    CHECK(u["accelerator"]["compat"] == std::vector<std::string>{"bandwidth_units"});

    // The same traffic and work; only main-memory time changes.
    CHECK(u["bytes"] == p["bytes"]);
    CHECK(u["units"] == p["units"]);
    CHECK(u["energy_breakdown_j"]["main_memory"] == p["energy_breakdown_j"]["main_memory"]);
    CHECK(u["cycles"].get<double>() < p["cycles"].get<double>());

    // BERT-Nano moves 39,424 bytes in (weights 8,192 and embedding rows 20,480 elements: 35,840 data
    // bytes at density 0.5 and 20 bits, 3,584 mask bytes) and 22,528 out (16,384 elements: 20,480
    // data, 2,048 mask). By default the port carries all of it at 25.6e9/700e6 bytes per cycle;
    // with the option, the data at 2.684x that and the masks on a port of their own.
    const double nominal = 25.6e9 / 700e6;
    const double factor = double(1 << 30) / 1e9 * 20 / 8;
    REQUIRE(p["bytes"]["main_memory"]["read"] == 39424);
    REQUIRE(p["bytes"]["main_memory"]["write"] == 22528);
    const auto busy = [](const nlohmann::json& s) {
        return s["utilization"]["main_memory"].get<double>() * s["cycles"].get<double>();
    };
    CHECK(busy(p) == Approx((39424.0 + 22528.0) / nominal).epsilon(1e-6));
    CHECK(busy(u) == Approx((35840.0 + 20480.0) / (nominal * factor)).epsilon(1e-6));
}

TEST_CASE("acceltran run --compat refuses an unknown option and names the known ones", "[integration][compat]") {
    ScratchDir dir("compat-bad");
    const auto r = run_into(dir, "bad", kBase, {"--compat", "embedding"});
    INFO(describe(r));
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Contains("--compat: unknown option 'embedding'"));
    CHECK_THAT(r.err, Contains("acceltran-py"));
}

TEST_CASE("compat embedding_table loads the whole table first and keeps it, instead of the rows", "[integration][compat]") {
    ScratchDir dir("compat-table");
    const auto p = run_summary(dir, "plain", kBase, {});
    const auto t = run_summary(dir, "table", kBase, {"--compat", "embedding_table"});
    CHECK(t["accelerator"]["compat"] == std::vector<std::string>{"embedding_table"});

    // The (30,522 + 128) x 32 table replaces the 20,480 row elements among main memory's reads.
    const double table = (30522 + kNanoSeq) * kNanoHidden;
    REQUIRE(p["bytes"]["main_memory"]["read"] == 39424);
    CHECK(t["bytes"]["main_memory"]["read"].get<double>() == 39424 - kNanoRowElements * kNanoBytesPerElement + table * kNanoBytesPerElement);
    CHECK(t["bytes"]["main_memory"]["write"] == p["bytes"]["main_memory"]["write"]);
    CHECK(t["program"]["loads"].get<int>() == p["program"]["loads"].get<int>() - 2 + 1);
    CHECK(t["units"] == p["units"]);
    // Held to the end beside everything else the weight buffer holds.
    const double table_data = table * 10 / 8;
    const double plain_peak = p["buffers"]["weight"]["peak_occupancy_bytes"].get<double>();
    CHECK(t["buffers"]["weight"]["peak_occupancy_bytes"].get<double>() >= table_data);
    CHECK(t["buffers"]["weight"]["peak_occupancy_bytes"].get<double>() <= table_data + plain_peak);

    // Nothing computes before the table is in: the embedding sum ends after the table's transfer
    // at the nominal 25.6e9/700e6 bytes per cycle.
    const auto ops = read_csv(dir / "table/ops.csv");
    CHECK(compat_op_cycle(ops, "emb.sum", "end_cycle") >= table * kNanoBytesPerElement / (25.6e9 / 700e6));

    // The table is the program's first entry and its residency is never freed.
    const NanoProgram prog([](acceltran::workloads::CompileOptions& o) { o.embedding_table = true; });
    REQUIRE(prog.graph.embedding_table >= 0);
    CHECK(prog.program.entries.front().tensor == prog.graph.embedding_table);
    const auto& res = prog.program.residencies[prog.program.entries.front().allocates.front()];
    CHECK(res.pinned);
    CHECK(res.freed_data() == 0);
}

TEST_CASE("compat batched_weights loads and holds every layer weight batch times", "[integration][compat]") {
    ScratchDir dir("compat-batched");
    const auto p = run_summary(dir, "plain", kBase, {});
    const auto b = run_summary(dir, "batched", kBase, {"--compat", "batched_weights"});
    // Three more copies of the 8,192 weight elements come in; the embedding rows do not change.
    const double extra = (kNanoBatch - 1) * kNanoWeightElements;
    CHECK(b["bytes"]["main_memory"]["read"].get<double>() ==
          p["bytes"]["main_memory"]["read"].get<double>() + extra * kNanoBytesPerElement);
    CHECK(b["bytes"]["weight_buffer"]["write"].get<double>() ==
          p["bytes"]["weight_buffer"]["write"].get<double>() + extra * 10 / 8);
    CHECK(b["bytes"]["main_memory"]["write"] == p["bytes"]["main_memory"]["write"]);
    // The units read one copy, as before.
    CHECK(b["bytes"]["weight_buffer"]["read"] == p["bytes"]["weight_buffer"]["read"]);
    CHECK(b["units"] == p["units"]);
    CHECK(b["program"]["loads"] == p["program"]["loads"]);
    CHECK(b["buffers"]["weight"]["peak_occupancy_bytes"].get<double>() >
          p["buffers"]["weight"]["peak_occupancy_bytes"].get<double>());
}

TEST_CASE("compat no_result_store writes nothing back", "[integration][compat]") {
    ScratchDir dir("compat-nostore");
    const auto p = run_summary(dir, "plain", kBase, {});
    const auto n = run_summary(dir, "nostore", kBase, {"--compat", "no_result_store"});
    // The default writes the 4 x 128 x 32 final hidden states home (activation density 0.5).
    REQUIRE(p["bytes"]["main_memory"]["write"].get<double>() == kNanoBatch * kNanoSeq * kNanoHidden * kNanoBytesPerElement);
    CHECK(n["bytes"]["main_memory"]["write"] == 0);
    CHECK(n["program"]["stores"] == 0);
    CHECK(n["bytes"]["main_memory"]["read"] == p["bytes"]["main_memory"]["read"]);
    CHECK(n["units"] == p["units"]);
    CHECK(n["cycles"].get<double>() < p["cycles"].get<double>());
}

TEST_CASE("compat in_order_memory runs memory entries one at a time behind the results they follow", "[integration][compat]") {
    using acceltran::workloads::EntryKind;
    const NanoProgram plain([](acceltran::workloads::CompileOptions&) {});
    const NanoProgram ordered([](acceltran::workloads::CompileOptions& o) { o.in_order_memory = true; });
    REQUIRE(ordered.program.entries.size() == plain.program.entries.size());

    // Each memory entry waits for the memory entry before it.
    int previous = -1, memory = 0;
    for (std::uint32_t e = 0; e < ordered.program.entries.size(); ++e) {
        if (ordered.program.entries[e].kind == EntryKind::Compute) continue;
        ++memory;
        if (previous >= 0) CHECK(ordered.waits_for(e, std::uint32_t(previous)));
        previous = int(e);
    }
    CHECK(memory == 9);  // 6 weights, 2 row tensors, the final store

    // The output projection's weight follows the attention context, the first feed-forward weight
    // the output projection (through the residual and layer-norm), the second the first matmul
    // (through the GELU, which the original does not store); K's weight does not wait for Q,
    // since the original loads Q, K and V weights before storing their results.
    const auto wo = ordered.load_of("l0.attn.wo"), w1 = ordered.load_of("l0.ffn.w1"), w2 = ordered.load_of("l0.ffn.w2");
    CHECK(ordered.waits_for(wo, ordered.compute_of("l0.attn.context")));
    CHECK(ordered.waits_for(w1, ordered.compute_of("l0.attn.out")));
    CHECK_FALSE(ordered.waits_for(w1, ordered.compute_of("l0.attn.ln")));
    CHECK(ordered.waits_for(w2, ordered.compute_of("l0.ffn.h1")));
    CHECK_FALSE(ordered.waits_for(w2, ordered.compute_of("l0.ffn.gelu1")));
    CHECK_FALSE(ordered.waits_for(ordered.load_of("l0.attn.wk"), ordered.compute_of("l0.attn.q")));
    CHECK_FALSE(plain.waits_for(plain.load_of("l0.attn.wo"), plain.compute_of("l0.attn.context")));

    // In the run: the same bytes and work, and the output projection (its row counts from its
    // weight's load) starts only once the context is done, where by default it was prefetched.
    ScratchDir dir("compat-inorder");
    const auto p = run_summary(dir, "plain", kBase, {});
    const auto o = run_summary(dir, "ordered", kBase, {"--compat", "in_order_memory"});
    CHECK(o["bytes"] == p["bytes"]);
    CHECK(o["units"] == p["units"]);
    CHECK(o["cycles"].get<double>() >= p["cycles"].get<double>());
    const auto plain_ops = read_csv(dir / "plain/ops.csv"), ordered_ops = read_csv(dir / "ordered/ops.csv");
    CHECK(compat_op_cycle(plain_ops, "l0.attn.out", "start_cycle") < compat_op_cycle(plain_ops, "l0.attn.context", "end_cycle"));
    CHECK(compat_op_cycle(ordered_ops, "l0.attn.out", "start_cycle") >= compat_op_cycle(ordered_ops, "l0.attn.context", "end_cycle"));
}

TEST_CASE("compat ladder on BERT-Nano: each step moves what it explains, and all twelve bring the energy within 5 % of the original",
          "[integration][compat]") {
    // docs/validation.md §7.5, cumulatively: bandwidth_units, then each option on top, in the
    // ladder's order (scripts/original/ladder prints the same steps).
    ScratchDir dir("compat-ladder");
    const std::vector<std::string> steps = acceltran::compat_option_names();
    REQUIRE(steps.size() == 13);
    REQUIRE(steps[4] == "in_order_memory");  // the memory options first, then the units', then energy
    REQUIRE(steps[8] == "spread_k_tiles");
    std::vector<nlohmann::json> runs;
    std::string list;
    for (const std::string& step : steps) {
        list += (list.empty() ? "" : ",") + step;
        runs.push_back(run_summary(dir, step, kBase, {"--compat", list}));
    }
    const auto cycles = [&](std::size_t i) { return runs[i]["cycles"].get<double>(); };
    const double port = 25.6e9 / 700e6 * double(1 << 30) / 1e9 * 20 / 8;  // data bytes per cycle
    // Main memory's energy per byte moved stays the default's at every step: the options change
    // which bytes move, not what a byte costs.
    const auto per_byte = [](const nlohmann::json& s) {
        return s["energy_breakdown_j"]["main_memory"].get<double>() /
               (s["bytes"]["main_memory"]["read"].get<double>() + s["bytes"]["main_memory"]["write"].get<double>());
    };
    const double first = per_byte(runs.front());
    for (std::size_t i = 0; i < 8; ++i) CHECK(per_byte(runs[i]) == Approx(first).epsilon(1e-9));

    // The table's data replaces the rows' on the critical path (both are loaded first, at the same
    // latency, masks beside them): + (1,226,000 - 25,600) bytes at the port's rate. Within a cycle:
    // the runs' times are converted from picoseconds.
    CHECK(cycles(1) - cycles(0) == Approx((30650 * kNanoHidden - kNanoRowElements) * 10 / 8 / port).margin(1));
    // Batch copies of the weights only add load time.
    CHECK(cycles(2) >= cycles(1));
    // The final store was the last thing to run: its 20,480 data bytes at the port's rate, the
    // memory latency (50 ns at 700 MHz) and the activation buffer's first burst read (4,096 bytes
    // at 64 x 64 bytes per cycle, plus its 1-cycle latency) come off.
    CHECK(cycles(2) - cycles(3) == Approx(20480 / port + 35 + 2).margin(1));
    // Issuing in order behind the results only delays.
    CHECK(cycles(4) > cycles(3));
    // With the memory options (the compute options are not in yet), within 5 % of the original's
    // 15,046 cycles (docs/validation.md §7.2).
    CHECK(cycles(4) == Approx(15046).epsilon(0.05));

    // The original's unit times only lengthen compute; spreading k steps over idle lanes shortens
    // it; the energy options (from main_memory_energy on) change what is charged, never the time.
    for (std::size_t i = 5; i < 8; ++i) CHECK(cycles(i) > cycles(i - 1));
    CHECK(cycles(8) < cycles(7));
    for (std::size_t i = 9; i < 13; ++i) CHECK(cycles(i) == cycles(8));
    // All of them are what acceltran-py switches on.
    const auto all = run_summary(dir, "all", kBase, {"--compat", "acceltran-py"});
    CHECK(all["cycles"] == runs.back()["cycles"]);
    CHECK(all["energy_j"] == runs.back()["energy_j"]);
    // The original's 15,046 cycles and 262,639.1 nJ per batch on this model (docs/validation.md
    // §7.2, from scripts/original/run-original at its commit ea7ba16): within 5 %.
    CHECK(all["cycles"].get<double>() == Approx(15046).epsilon(0.05));
    CHECK(all["energy_j"].get<double>() == Approx(262639.1456e-9).epsilon(0.05));
}
