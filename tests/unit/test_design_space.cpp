// Design-space files (explore/design_space.*): how many points a space has and which
// they are, seeded sampling, ids that survive re-ordering, and a located message for each kind of
// mistake in a space file.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/errors.h"
#include "tests/integration/integration_support.h"
#include "explore/design_space.h"
#include "tests/source_tree.h"

using acceltran::InputError;
using acceltran::explore::DesignPoint;
using acceltran::explore::DesignSpace;
using namespace acceltran::testing;
using acceltran::testing::kSourceDir;

namespace {


DesignSpace load_text(const ScratchDir& dir, const std::string& text, const std::string& name = "space.yaml") {
    write_text(dir / name, text);
    return DesignSpace::load(dir / name, kSourceDir);
}

// The message of the InputError that loading `text` must raise.
std::string load_error(const std::string& text) {
    ScratchDir dir("space-error");
    try {
        load_text(dir, text);
    } catch (const InputError& e) {
        return e.what();
    }
    FAIL("expected an InputError for:\n" << text);
    return "";
}

std::set<std::string> ids(const std::vector<DesignPoint>& points) {
    std::set<std::string> out;
    for (const auto& p : points) out.insert(p.id);
    return out;
}

const std::string kHead = "accelerator: acceltran-edge\nmodels: bert-tiny\n";

}  // namespace

TEST_CASE("sweep space: the shipped spaces have the documented number of points", "[sweep][space]") {
    const DesignSpace small = DesignSpace::load(kSourceDir + "/configs/design-spaces/small.yaml", kSourceDir);
    CHECK(small.size() == 8);  // 2 PE counts x 2 softmax counts x 2 memories
    CHECK(small.columns() == std::vector<std::string>{"pe.count", "pe.softmax_per_pe", "main_memory.type",
                                                      "main_memory.bandwidth_gbps", "main_memory.latency_ns"});
    CHECK(small.detail() == acceltran::DetailLevel::Fast);
    const auto points = small.all();
    REQUIRE(points.size() == 8);
    CHECK(ids(points).size() == 8);
    for (const auto& p : points) CHECK(p.id.size() == 16);
    // The last parameter varies fastest.
    CHECK(points[0].values == std::vector<std::string>{"32", "2", "lpddr3", "25.6", "50"});
    CHECK(points[1].values == std::vector<std::string>{"32", "2", "rram", "256", "30"});
    CHECK(points[7].values == std::vector<std::string>{"64", "4", "rram", "256", "30"});

    // The original's simulator/design_space/design_space.yaml: PEs 64..1024 (5), lanes 8..128 (5), MACs
    // {1, 16}, softmax 2..64 (6), activation 4..64 MB (5), weight 8..128 MB (5), mask 0.5..16 MB
    // (6), tiles {1, 4} x {8, 16, 32} (6), 24 loop orders, 11 memories, batch {4, 16, 32}.
    const DesignSpace acceltran = DesignSpace::load(kSourceDir + "/configs/design-spaces/acceltran.yaml", kSourceDir);
    CHECK(acceltran.size() == 5ull * 5 * 2 * 6 * 5 * 5 * 6 * 6 * 24 * 11 * 3);
    const DesignPoint last = acceltran.point(acceltran.size() - 1);
    CHECK(last.batch == 32);
    CHECK(last.values.back() == "50");  // the HBM2 entry, last of main_memory
}

TEST_CASE("sweep space: lists, ranges and mappings expand to the expected values", "[sweep][space]") {
    ScratchDir dir("space-forms");
    const DesignSpace s = load_text(dir, kHead + R"(seq: [64, 128]
batch: {from: 2, to: 8, step: 3}
parameters:
  sparsity.activation: {from: 0.1, to: 0.5, step: 0.2}
  pe.count: {from: 16, to: 100, factor: 2}
  tiling.loop_order: {values: [b_i_j_k, k_j_i_b]}
  tiling.tile: [[1, 8, 8]]
  dma: [{channels: 4, burst_bytes: 1024}, {channels: 1}]
  clock_mhz: 500
)");
    // seq 2 x batch 3 (2, 5, 8) x sparsity 3 (0.1, 0.3, 0.5) x PEs 3 (16, 32, 64) x 2 x 1 x 2 x 1.
    CHECK(s.size() == 2 * 3 * 3 * 3 * 2 * 1 * 2 * 1);
    CHECK(s.columns() == std::vector<std::string>{"sparsity.activation", "pe.count", "tiling.loop_order", "tiling.tile",
                                                  "dma.channels", "dma.burst_bytes", "clock_mhz"});
    std::set<std::string> sparsity, pes, batches, tiles, bursts;
    for (const auto& p : s.all()) {
        sparsity.insert(p.values[0]);
        pes.insert(p.values[1]);
        batches.insert(std::to_string(p.batch));
        tiles.insert(p.values[3]);
        bursts.insert(p.values[5]);
    }
    CHECK(sparsity == std::set<std::string>{"0.1", "0.3", "0.5"});  // no 0.30000000000000004
    CHECK(pes == std::set<std::string>{"16", "32", "64"});
    CHECK(batches == std::set<std::string>{"2", "5", "8"});
    CHECK(tiles == std::set<std::string>{"[1, 8, 8]"});
    // The second dma value sets only channels: the burst stays the base's (an empty cell).
    CHECK(bursts == std::set<std::string>{"1024", ""});

    const DesignPoint p = s.point(0);
    const std::vector<std::string> args = s.run_arguments(p);
    const std::vector<std::string> expected_sets{"sparsity.activation=0.1", "pe.count=16", "tiling.loop_order=b_i_j_k",
                                                 "tiling.tile=[1, 8, 8]", "dma.channels=4", "dma.burst_bytes=1024",
                                                 "clock_mhz=500"};
    std::vector<std::string> sets;
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == "--set") sets.push_back(args[i + 1]);
    CHECK(sets == expected_sets);
    CHECK(args.front() == "run");
    CHECK(std::find(args.begin(), args.end(), "--detail") != args.end());
}

TEST_CASE("sweep space: samples are seeded, distinct and the same on every machine", "[sweep][space]") {
    const DesignSpace s = DesignSpace::load(kSourceDir + "/configs/design-spaces/acceltran.yaml", kSourceDir);
    const auto a = s.sample(50, 7), b = s.sample(50, 7), c = s.sample(50, 8);
    REQUIRE(a.size() == 50);
    CHECK(ids(a).size() == 50);
    std::vector<std::string> ida, idb;
    for (std::size_t i = 0; i < 50; ++i) {
        ida.push_back(a[i].id);
        idb.push_back(b[i].id);
        if (i > 0) CHECK(a[i - 1].index < a[i].index);  // enumeration order
    }
    CHECK(ida == idb);
    CHECK(ids(a) != ids(c));
    // mt19937_64 is specified exactly by the standard and the draw uses only its raw output, so
    // these indices are the same with any compiler and library (recorded from this build).
    const auto fixed = s.sample(3, 1);
    CHECK(fixed[0].index == 24459930);
    CHECK(fixed[1].index == 108004380);
    CHECK(fixed[2].index == 188921196);
    // Asking for at least the whole space gives every point.
    const DesignSpace small = DesignSpace::load(kSourceDir + "/configs/design-spaces/small.yaml", kSourceDir);
    CHECK(ids(small.sample(100, 3)) == ids(small.all()));
    CHECK(small.sample(8, 3).size() == 8);
}

TEST_CASE("sweep space: ids depend on what a point runs, not on the order of the file", "[sweep][space]") {
    ScratchDir dir("space-ids");
    const DesignSpace a = load_text(dir, kHead + "parameters:\n  pe.count: [32, 64]\n  pe.lanes_per_pe: [8, 16]\n", "a.yaml");
    const DesignSpace b = load_text(dir, kHead + "parameters:\n  pe.lanes_per_pe: [16, 8]\n  pe.count: [64, 32]\n", "b.yaml");
    const DesignSpace c = load_text(dir, kHead + "parameters:\n  pe.count: [32, 64]\n  pe.lanes_per_pe: [8, 32]\n", "c.yaml");
    CHECK(ids(a.all()) == ids(b.all()));
    CHECK(a.point(0).id == b.point(3).id);  // pe.count 32, lanes 8 in both
    const auto shared = ids(a.all()), other = ids(c.all());
    std::vector<std::string> common;
    std::set_intersection(shared.begin(), shared.end(), other.begin(), other.end(), std::back_inserter(common));
    CHECK(common.size() == 2);  // the two points with 8 lanes
    // Spaces that run the same points have the same identity, however the file is written.
    CHECK(a.identity() != b.identity());  // parameter order is part of the columns of results.csv
    const DesignSpace a2 = load_text(dir, "# a comment\n" + kHead + "parameters: {pe.count: [32, 64], pe.lanes_per_pe: [8, 16]}\n", "a2.yaml");
    CHECK(a.identity() == a2.identity());
}

TEST_CASE("sweep space: mistakes in a space file are reported with file, line, column and key", "[sweep][space]") {
    CHECK_THAT(load_error(kHead + "paramters:\n  pe.count: [1]\n"),
               Catch::Contains("space.yaml:3:1: top level: unknown key 'paramters' (did you mean 'parameters'?)"));
    CHECK_THAT(load_error("models: bert-tiny\n"), Catch::Contains("top level: missing required key 'accelerator'"));
    CHECK_THAT(load_error(kHead + "parameters:\n  pe.cuont: [32]\n"),
               Catch::Contains("space.yaml:4:13: parameters.pe.cuont: the base accelerator 'acceltran-edge' has no "
                               "key 'pe.cuont' (did you mean 'pe.count'?)"));
    CHECK_THAT(load_error(kHead + "parameters:\n  pe.count: [64, 0]\n"),
               Catch::Contains("space.yaml:4:18: parameters.pe.count[1]: the accelerator loader refuses this value") &&
                   Catch::Contains("pe.count: expected an integer from 1 to 1048576, found '0'"));
    CHECK_THAT(load_error(kHead + "parameters:\n  tiling.loop_order: [b_i_j_k, b_i_j_k]\n"),
               Catch::Contains("space.yaml:4:32: parameters.tiling.loop_order[1]: this value is listed twice"));
    CHECK_THAT(load_error(kHead + "parameters:\n  pe.count: {from: 8, to: 64, step: 0}\n"),
               Catch::Contains("space.yaml:4:37: parameters.pe.count.step: expected a step greater than 0, found '0'"));
    CHECK_THAT(load_error(kHead + "parameters:\n  pe.count: {from: 8, to: 64, stpe: 8}\n"),
               Catch::Contains("unknown key 'stpe' (did you mean 'step'?)"));
    CHECK_THAT(load_error(kHead + "parameters:\n  main_memory: {type: rram}\n"),
               Catch::Contains("space.yaml:4:16: parameters.main_memory: expected a value, a list of values") &&
                   Catch::Contains("give a list of mappings, found a mapping"));
    CHECK_THAT(load_error(kHead + "parameters:\n  main_memory: [{type: rram}]\n  main_memory.type: [hbm2]\n"),
               Catch::Contains("space.yaml:5:22: parameters.main_memory.type[0]: 'main_memory.type' overlaps "
                               "'main_memory.type' of parameter 'main_memory'"));
    CHECK_THAT(load_error(kHead + "parameters:\n  pe.count: []\n"),
               Catch::Contains("space.yaml:4:13: parameters.pe.count: expected at least one value, found a list"));
    CHECK_THAT(load_error(kHead + "seq: [128, 0]\n"),
               Catch::Contains("space.yaml:3:12: seq[1]: expected a positive integer, found '0'"));
    CHECK_THAT(load_error("accelerator: acceltran-edge\nmodels: [bert-tiny, bert-tiyn]\n"),
               Catch::Contains("space.yaml:2:21: models[1]: unknown model 'bert-tiyn' (did you mean 'bert-tiny'?)"));
    CHECK_THAT(load_error("accelerator: acceltran-egde\nmodels: bert-tiny\n"),
               Catch::Contains("space.yaml:1:14: accelerator: unknown accelerator 'acceltran-egde' (did you mean "
                               "'acceltran-edge'?)"));
    CHECK_THAT(load_error(kHead + "metrics: {throughput: max}\n"),
               Catch::Contains("space.yaml:3:11: metrics: unknown key 'throughput'") &&
                   Catch::Contains("allowed keys: cycles, seconds, throughput_seq_per_s"));
    CHECK_THAT(load_error(kHead + "metrics: {area_mm2.total: smallest}\n"),
               Catch::Contains("space.yaml:3:27: metrics.area_mm2.total: expected one of max, min, found 'smallest'"));
    CHECK_THAT(load_error(kHead + "detail: quick\n"), Catch::Contains("space.yaml:3:9: detail: expected one of full, fast"));
    CHECK_THAT(load_error(kHead + "parameters:\n  pe.count: [32\n"), Catch::Contains("space.yaml:5:1: malformed YAML"));
}

TEST_CASE("sweep space: a generation space runs prompt_len x gen_len points of decoders", "[sweep][space]") {
    ScratchDir dir("space-generation");
    const DesignSpace s = load_text(dir, "accelerator: acceltran-edge\nmodels: gpt2\nprompt_len: [16, 32]\n"
                                         "gen_len: [0, 4, 8]\nbatch: 1\nmetrics: {generation.time_per_output_token_s: min}\n");
    REQUIRE(s.generation());
    REQUIRE(s.size() == 6);
    const DesignPoint last = s.point(5);
    CHECK(last.prompt_len == 32);
    CHECK(last.gen_len == 8);
    CHECK(last.seq == 0);
    const std::vector<std::string> args = s.run_arguments(last);
    const auto has = [&](const std::string& flag, const std::string& value) {
        const auto f = std::find(args.begin(), args.end(), flag);
        return f != args.end() && f + 1 != args.end() && *(f + 1) == value;
    };
    CHECK(has("--prompt-len", "32"));
    CHECK(has("--gen-len", "8"));
    CHECK(std::find(args.begin(), args.end(), "--seq") == args.end());
    CHECK(ids(s.all()).size() == 6);
    const auto& figures = DesignSpace::result_figures(true);
    CHECK(std::find(figures.begin(), figures.end(), "generation.tokens_per_s") != figures.end());
    // The shipped example: 3 generation lengths x 2 memories.
    const DesignSpace shipped = DesignSpace::load(kSourceDir + "/configs/design-spaces/decoder.yaml", kSourceDir);
    CHECK(shipped.generation());
    CHECK(shipped.size() == 6);
    // An encoder space keeps its ids and identity: no generation keys enter them.
    const DesignSpace encoder = load_text(dir, kHead, "encoder.yaml");
    CHECK_FALSE(encoder.generation());
    CHECK_FALSE(encoder.identity().contains("gen_len"));

    CHECK_THAT(load_error("accelerator: acceltran-edge\nmodels: gpt2\nseq: 64\ngen_len: 4\n"),
               Catch::Contains("space.yaml:3:6: seq: give either seq (encoder passes) or prompt_len/gen_len"));
    CHECK_THAT(load_error("accelerator: acceltran-edge\nmodels: [gpt2, bert-tiny]\ngen_len: 4\n"),
               Catch::Contains("space.yaml:2:16: models[1]: model 'bert-tiny' is an encoder; prompt_len and gen_len need "
                               "decoders"));
    CHECK_THAT(load_error("accelerator: acceltran-edge\nmodels: gpt2\ngen_len: [4, -1]\n"),
               Catch::Contains("gen_len[1]: expected an integer of at least 0, found '-1'"));
    CHECK_THAT(load_error(kHead + "metrics: {generation.tokens_per_s: max}\n"),
               Catch::Contains("unknown key 'generation.tokens_per_s'"));
}
