// ops.csv (docs/outputs.md): every column that counts something adds up, over the rows, to the
// run's total in summary.json; `acceltran report` reads it back grouped.
#include <catch2/catch.hpp>

#include <cfloat>
#include <cmath>
#include <string>

#include "explore/op_report.h"
#include "modules/simulation/op_table.h"
#include "tests/integration/integration_support.h"

using namespace acceltran;
using namespace acceltran::testing;

namespace {

const char* kUnits[] = {"mac_lane", "softmax", "layernorm"};
const char* kBuffers[] = {"activation", "weight", "mask"};

OpTable run_table(const ScratchDir& dir, std::vector<std::string> args, nlohmann::json& summary) {
    args.insert(args.begin(), "run");
    args.insert(args.end(), {"--out", dir / "run", "--quiet"});
    const auto r = run_acceltran(args, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    summary = load_json(dir / "run/summary.json");
    return OpTable::read_csv(read_text(dir / "run/ops.csv"), dir / "run/ops.csv");
}

void check_sums(const OpTable& t, const nlohmann::json& s) {
    REQUIRE(!t.rows.empty());
    double critical = 0, energy = 0, busy[3] = {0, 0, 0}, dma = 0;
    std::uint64_t memory_read = 0, memory_write = 0, buffer_read[3] = {0, 0, 0}, buffer_write[3] = {0, 0, 0};
    std::uint64_t compute = 0, macs = 0;
    for (const OpRow& r : t.rows) {
        critical += r.critical_cycles;
        energy += r.energy_j;
        dma += r.dma_busy_channel_cycles;
        for (int u = 0; u < 3; ++u) busy[u] += r.busy_unit_cycles[u];
        memory_read += r.memory_read_bytes;
        memory_write += r.memory_write_bytes;
        for (int b = 0; b < 3; ++b) {
            buffer_read[b] += r.buffer_read_bytes[b];
            buffer_write[b] += r.buffer_write_bytes[b];
        }
        compute += r.compute_read_bytes + r.compute_write_bytes;
        macs += r.macs;
        CHECK(r.end_cycle >= r.start_cycle);
        CHECK(r.utilization >= 0);
        CHECK(r.utilization <= 1 + 1e-12);
    }
    // Counted in whole units (bytes, whole tile cycles, MACs): exact.
    for (int u = 0; u < 3; ++u) CHECK(busy[u] == s["units"][kUnits[u]]["busy_unit_cycles"].get<double>());
    CHECK(memory_read == s["bytes"]["main_memory"]["read"].get<std::uint64_t>());
    CHECK(memory_write == s["bytes"]["main_memory"]["write"].get<std::uint64_t>());
    std::uint64_t buffers_total = 0;
    for (int b = 0; b < 3; ++b) {
        const auto& level = s["bytes"][std::string(kBuffers[b]) + "_buffer"];
        CHECK(buffer_read[b] == level["read"].get<std::uint64_t>());
        CHECK(buffer_write[b] == level["write"].get<std::uint64_t>());
        buffers_total += buffer_read[b] + buffer_write[b];
    }
    // Every buffer byte is either the DMA's (a main-memory byte) or a unit's.
    CHECK(compute + memory_read + memory_write == buffers_total);
    CHECK(macs == s["macs"]["total"].get<std::uint64_t>());
    // Critical cycles partition [0, cycles): each is a difference of two retirement times, each
    // rounded to within half an ulp of the run's length, and the n + rows sums add one rounding
    // each, so the error is at most (entries + 2 rows) ulps of the total.
    const double cycles = s["cycles"].get<double>();
    const double entries = s["program"]["entries"].get<double>();
    CHECK(std::abs(critical - cycles) <= (entries + 2 * double(t.rows.size())) * DBL_EPSILON * cycles);
    // DMA channel time: the same differences the DMA sums, in another order.
    const double dma_run = s["dma"]["busy_channel_cycles"].get<double>();
    CHECK(std::abs(dma - dma_run) <= (entries + 2 * double(t.rows.size())) * DBL_EPSILON * dma_run);
    // Energy: each row is the run's linear energy model over its share (some 40 floating-point
    // operations, each within an ulp), plus one rounding per row in the sum.
    const double energy_run = s["energy_j"].get<double>();
    CHECK(std::abs(energy - energy_run) <= 64 * double(t.rows.size()) * DBL_EPSILON * energy_run);
}

}  // namespace

TEST_CASE("ops.csv adds up to the run's totals at the full detail level", "[integration][ops]") {
    ScratchDir dir("ops-full");
    nlohmann::json s;
    const OpTable t = run_table(dir, {"--model", "bert-tiny", "--seq", "32", "--batch", "2"}, s);
    check_sums(t, s);
    // One row per compute op, in program order, named as the graph names them.
    CHECK(t.rows.front().op == "emb.sum");
    CHECK(t.rows.front().layer == -1);
}

TEST_CASE("ops.csv adds up to the run's totals at the fast detail level", "[integration][ops]") {
    ScratchDir dir("ops-fast");
    nlohmann::json s;
    check_sums(run_table(dir, {"--model", "bert-tiny", "--seq", "32", "--batch", "2", "--detail", "fast"}, s), s);
}

TEST_CASE("ops.csv of a generation adds up and names each step's ops", "[integration][ops][generation]") {
    ScratchDir dir("ops-generation");
    nlohmann::json s;
    const OpTable t = run_table(dir, {"--model", "gpt2", "--prompt-len", "8", "--gen-len", "2", "--batch", "1"}, s);
    check_sums(t, s);
    bool prefill = false, decode = false;
    for (const OpRow& r : t.rows) {
        prefill = prefill || (r.phase == "prefill" && r.step == 0);
        decode = decode || (r.phase == "decode" && r.step == 2);
    }
    CHECK(prefill);
    CHECK(decode);
}

TEST_CASE("acceltran report groups ops.csv by op, layer and kind", "[integration][ops]") {
    ScratchDir dir("ops-report");
    nlohmann::json s;
    const OpTable t = run_table(dir, {"--model", "bert-tiny", "--seq", "32", "--batch", "2"}, s);
    const auto kinds = explore::group_ops(t, explore::OpGrouping::Kind);
    double critical = 0;
    std::size_t ops = 0;
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        critical += kinds[i].critical_cycles;
        ops += kinds[i].ops;
        if (i > 0) CHECK(kinds[i - 1].critical_cycles >= kinds[i].critical_cycles);
    }
    CHECK(ops == t.rows.size());
    CHECK(std::abs(critical - s["cycles"].get<double>()) <= 1e-9 * s["cycles"].get<double>());
    CHECK(explore::group_ops(t, explore::OpGrouping::Layer).size() == 3);  // 2 layers and the rest

    const auto r = run_acceltran({"report", dir / "run", "--by", "kind", "--top", "2"}, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find(kinds[0].name) != std::string::npos);
    CHECK(r.out.find("more)") != std::string::npos);
    CHECK(run_acceltran({"report", dir / "run", "--by", "tile"}, dir).exit_code == 2);
    CHECK(run_acceltran({"report", dir / "missing"}, dir).exit_code == 3);
    write_text(dir / "run/ops.csv", "op,layer\nx,notanumber\n");
    const auto bad = run_acceltran({"report", dir / "run"}, dir);
    CHECK(bad.exit_code == 3);
    CHECK(bad.err.find("ops.csv:1: header lacks column") != std::string::npos);
}

TEST_CASE("acceltran report says when a sampled generation's rows cover only its simulated steps", "[integration][ops][generation]") {
    ScratchDir dir("ops-sampled");
    nlohmann::json s;
    const OpTable t = run_table(
        dir, {"--model", "gpt2", "--prompt-len", "4", "--gen-len", "5", "--simulated-steps", "2", "--batch", "1"}, s);
    REQUIRE(s["generation"]["simulated_steps"].get<int>() == 2);
    // Steps 1 and 5 simulated (docs/decoders.md §9): their ops have rows, step 3's have none.
    bool step5 = false, step3 = false;
    for (const OpRow& r : t.rows) {
        step5 = step5 || r.step == 5;
        step3 = step3 || r.step == 3;
    }
    CHECK(step5);
    CHECK_FALSE(step3);
    const auto r = run_acceltran({"report", dir / "run", "--by", "kind"}, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("a sampled run") != std::string::npos);
}
