// trace.vcd in bounded memory (issue 21, item 11): the recorded events go through an external
// merge sort that spills sorted runs to disk. Forced onto that path with tiny chunks and a merge
// fan-in of 3 or 4 (several merge passes), a trace must come out byte for byte as the in-memory
// one, whole and filtered and windowed, for an encoder (BERT-Tiny/Edge) and a decoder
// (GPT-2, prompt 16, 4 generated tokens, batch 1). Through the CLI, the spill file is never
// visible: the run directory holds only its outputs, and an interrupted --vcd run leaves nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "core/accelerator_config.h"
#include "core/errors.h"
#include "core/run_settings.h"
#include "modules/simulation/simulation.h"
#include "modules/trace/vcd_trace.h"
#include "tests/integration/integration_support.h"
#include "tests/source_tree.h"
#include "workloads/model_spec.h"

using namespace acceltran;
using namespace acceltran::testing;
using Catch::Contains;
using acceltran::testing::kSourceDir;

namespace {


// Simulates once with four traces attached (`whole` and a filtered, windowed one, each in memory
// and spilled) and compares each spilled trace with its in-memory twin.
void check_spilled_equals_in_memory(const std::string& model_name, const RunSettings& settings,
                                     const trace::VcdOptions& whole) {
    ScratchDir dir("vcd-spill");
    Simulation simulation(workloads::load_model(model_name, kSourceDir + "/workloads/models"),
                          load_accelerator("acceltran-edge", kSourceDir + "/configs", {}), settings,
                          kSourceDir + "/configs");
    trace::VcdOptions part;
    part.filters = {"pe0/*", "*buffer", "dma", "total"};
    part.window_start = 1000;
    part.window_end = 5000;
    auto spilled = [&](trace::VcdOptions o, std::size_t chunk, std::size_t fan_in) {
        o.spill_directory = dir.path().string();
        o.chunk_records = chunk;
        o.merge_fan_in = fan_in;
        return o;
    };
    trace::VcdTrace memory_whole(simulation.config(), simulation.technology(), simulation.program(), whole);
    trace::VcdTrace disk_whole(simulation.config(), simulation.technology(), simulation.program(), spilled(whole, 1000, 4));
    trace::VcdTrace memory_part(simulation.config(), simulation.technology(), simulation.program(), part);
    trace::VcdTrace disk_part(simulation.config(), simulation.technology(), simulation.program(), spilled(part, 10, 3));
    for (auto* t : {&memory_whole, &disk_whole, &memory_part, &disk_part}) simulation.attach(t);
    const SimulationResult result = simulation.run();

    auto text = [&](trace::VcdTrace& t) {
        std::ostringstream out;
        t.write(out, result.run.cycles, result.timeline);
        return out.str();
    };
    const std::string expected_whole = text(memory_whole), expected_part = text(memory_part);
    const std::string got_whole = text(disk_whole), got_part = text(disk_part);
    CHECK(memory_whole.spilled_runs() == 0);
    CHECK(memory_part.spilled_runs() == 0);
    // Enough runs that merging takes more than one pass.
    CHECK(disk_whole.spilled_runs() > 8);
    CHECK(disk_part.spilled_runs() > 6);
    CHECK(fs::is_empty(dir.path()));  // the spill files were unlinked when created
    CHECK(expected_whole.size() > 100000);
    CHECK(expected_part.find("#0\n") == std::string::npos);  // the window did apply
    CHECK(got_whole.size() == expected_whole.size());
    CHECK(got_whole == expected_whole);  // byte for byte (no diff printed: megabytes)
    CHECK(got_part == expected_part);
}

}  // namespace

TEST_CASE("trace.vcd spilled in tiny sorted runs equals the in-memory trace: BERT-Tiny/Edge",
          "[integration][trace][vcd]") {
    check_spilled_equals_in_memory("bert-tiny", RunSettings{}, trace::VcdOptions{});
}

TEST_CASE("trace.vcd spilled in tiny sorted runs equals the in-memory trace: GPT-2 generating",
          "[unsanitized][integration][trace][vcd]") {
    RunSettings settings;
    settings.prompt_len = 16;
    settings.gen_len = 4;
    settings.batch = 1;
    // The whole decoder trace is 200 MB; a scope of each kind keeps the test light (23 MB).
    trace::VcdOptions whole;
    whole.filters = {"pe[0-3]", "dma/channel0", "weight_buffer", "total"};
    check_spilled_equals_in_memory("gpt2", settings, whole);
}

TEST_CASE("a spill error during the run is reported by write(), naming the file and errno",
          "[integration][trace][vcd]") {
    ScratchDir dir("vcd-spill-error");
    Simulation simulation(workloads::load_model("bert-tiny", kSourceDir + "/workloads/models"),
                          load_accelerator("acceltran-edge", kSourceDir + "/configs", {}), RunSettings{},
                          kSourceDir + "/configs");
    trace::VcdOptions o;
    o.spill_directory = dir / "missing";
    o.chunk_records = 10;
    trace::VcdTrace vcd(simulation.config(), simulation.technology(), simulation.program(), o);
    simulation.attach(&vcd);
    const SimulationResult result = simulation.run();  // the run itself is not disturbed
    CHECK(result.run.entries_retired == result.run.entries);
    std::ostringstream out;
    CHECK_THROWS_AS(vcd.write(out, result.run.cycles, result.timeline), SimulationError);
    CHECK_THROWS_WITH(vcd.write(out, result.run.cycles, result.timeline),
                      Contains("cannot create the VCD spill file '" + dir / "missing/trace.vcd.") &&
                          Contains("No such file or directory"));
}

TEST_CASE("acceltran run --vcd leaves only its outputs, and nothing when interrupted",
          "[integration][trace][vcd][hardening][signals]") {
    ScratchDir dir("vcd-cli-spill");
    const auto r = run_acceltran({"run", "-q", "--vcd", "-o", dir / "run"}, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir / "run")) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"op_classes.csv", "ops.csv", "summary.json", "timeline.csv", "trace.vcd"});

    const std::string cmd = "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 " + shell_quote(ACCELTRAN_BINARY) +
                            " run --model bert-base --accel acceltran-server --vcd --no-progress -q --out " +
                            shell_quote(dir / "stopped") + " 2>" + shell_quote(dir / "err.txt") +
                            " & pid=$!; sleep 2; kill -INT $pid; wait $pid; echo \"exit=$?\"";
    const auto s = run_shell(cmd);
    INFO(describe(s) << read_text(dir / "err.txt"));
    CHECK_THAT(s.out, Contains("exit=130"));
    CHECK_FALSE(fs::exists(dir / "stopped"));
    CHECK(entries_containing(dir.path(), "stopped.tmp-").empty());
}
