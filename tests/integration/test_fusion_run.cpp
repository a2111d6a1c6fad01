// Fusion as a mapping choice through the binary (docs/mapping.md §11): a mapping file fusing
// each legal pair runs, gives the same output values in the functional mode as the unfused run,
// and --write-mapping records the fusion so that replaying it reproduces the run.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/integration/csv_table.h"
#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Matchers::Contains;

namespace {

const std::vector<std::string> kFusionRunArgs = {"--model", "bert-tiny", "--accel", "acceltran-edge",
                                                 "--seq", "32", "--batch", "2", "-q"};

// Blocks of one batch entry for each producer (and of columns for the weight matmuls, whose
// output rows then stay on chip across the column blocks), with softmax, GELU and layer-norm (and
// its add) fused into them, in both layers.
std::string fusion_mapping_text() {
    std::string text = "ops:\n";
    for (const std::string l : {"l0.", "l1."})
        text += "  - op: " + l + "attn.scores\n    block: {batch: 1}\n" +
                "  - op: " + l + "attn.probs\n    fuse: true\n" +
                "  - op: " + l + "attn.out\n    block: {batch: 1, columns: 64}\n" +
                "  - op: " + l + "attn.ln\n    fuse: true\n" +
                "  - op: " + l + "ffn.h1\n    block: {batch: 1, columns: 128}\n" +
                "  - op: " + l + "ffn.gelu1\n    fuse: true\n";
    return text;
}

}  // namespace

TEST_CASE("fused and unfused functional runs give the same output values", "[integration][fusion]") {
    ScratchDir dir("fusion-functional");
    write_text(dir / "fuse.yaml", fusion_mapping_text());
    const auto apart = run_summary(dir, "apart", kFusionRunArgs, {"--functional"});
    const auto fused = run_summary(dir, "fused", kFusionRunArgs, {"--functional", "--mapping", dir / "fuse.yaml"});
    // The errors are computed from the final hidden states: equal to the last bit only when
    // every output value is.
    CHECK(fused["functional"]["output_error_vs_dense"] == apart["functional"]["output_error_vs_dense"]);
    CHECK(fused["functional"]["output_error_vs_matched_reference"] ==
          apart["functional"]["output_error_vs_matched_reference"]);
    CHECK(fused["sparsity"] == apart["sparsity"]);
    CHECK(fused["macs"] == apart["macs"]);
}

TEST_CASE("write-mapping records fusion and run --mapping replays it", "[integration][fusion]") {
    ScratchDir dir("fusion-replay");
    write_text(dir / "fuse.yaml", fusion_mapping_text());
    std::vector<std::string> first{"run", "--out", dir / "first", "--mapping", dir / "fuse.yaml", "--write-mapping"};
    first.insert(first.end(), kFusionRunArgs.begin(), kFusionRunArgs.end());
    const auto a = run_acceltran(first, dir);
    INFO(describe(a));
    REQUIRE(a.exit_code == 0);
    const std::string written = read_text(dir / "first/mapping.yaml");
    CHECK_THAT(written, Contains("  - op: l0.attn.probs\n") && Contains("    fuse: true\n"));
    std::vector<std::string> second{"run", "--out", dir / "second", "--mapping", dir / "first/mapping.yaml"};
    second.insert(second.end(), kFusionRunArgs.begin(), kFusionRunArgs.end());
    const auto b = run_acceltran(second, dir);
    INFO(describe(b));
    REQUIRE(b.exit_code == 0);
    CHECK(read_text(dir / "first/ops.csv") == read_text(dir / "second/ops.csv"));
    CHECK(load_json(dir / "first/summary.json")["cycles"] == load_json(dir / "second/summary.json")["cycles"]);
}

TEST_CASE("an illegal fusion in a mapping file stops the run with the file and line", "[integration][fusion]") {
    ScratchDir dir("fusion-illegal");
    write_text(dir / "bad.yaml", "ops:\n  - op: l0.attn.context\n    fuse: true\n");
    std::vector<std::string> args{"run", "--out", dir / "out", "--mapping", dir / "bad.yaml"};
    args.insert(args.end(), kFusionRunArgs.begin(), kFusionRunArgs.end());
    const auto r = run_acceltran(args, dir);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Contains(dir / "bad.yaml:3") && Contains("fuse"));
}

TEST_CASE("the mapper's fusion choice is replayed by run --mapping", "[integration][fusion]") {
    ScratchDir dir("fusion-mapper");
    // BERT-Base at 512 on Edge: the scores do not fit whole (docs/mapping.md §9), so fusing the
    // softmax saves their store and reload, and the cost model says so (§11.4).
    const std::vector<std::string> shape = {"--model", "bert-base", "--accel", "acceltran-edge", "--seq", "512",
                                            "--batch", "1"};
    std::vector<std::string> map{"map", "--search", "heuristic", "--budget", "300", "--check", "none",
                                  "--out", dir / "map"};
    map.insert(map.end(), shape.begin(), shape.end());
    const auto m = run_acceltran(map, dir);
    INFO(describe(m));
    REQUIRE(m.exit_code == 0);
    const auto json = load_json(dir / "map/mapspace.json");
    std::vector<std::string> chosen;
    for (const auto& f : json["fusions"])
        if (f["chosen"].get<bool>())
            for (const auto& op : f["ops"]) chosen.push_back(op.get<std::string>());
    REQUIRE(std::find(chosen.begin(), chosen.end(), "l0.attn.probs") != chosen.end());

    std::vector<std::string> run{"run", "-q", "--detail", "fast", "--mapping", dir / "map/mapping.yaml",
                                 "--write-mapping", "--out", dir / "run"};
    run.insert(run.end(), shape.begin(), shape.end());
    const auto r = run_acceltran(run, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    const std::string used = read_text(dir / "run/mapping.yaml");
    for (const std::string& op : chosen) CHECK_THAT(used, Contains("  - op: " + op + "\n"));
    const std::string probs_entry = used.substr(used.find("  - op: l0.attn.probs\n"));
    CHECK_THAT(probs_entry.substr(0, probs_entry.find("  - op: ", 4)), Contains("    fuse: true\n"));
    // The same mapping without the fusions: the scores then go to main memory and come back.
    std::string apart = read_text(dir / "map/mapping.yaml");
    for (std::size_t at; (at = apart.find("    fuse: true\n")) != std::string::npos;) apart.erase(at, 15);
    write_text(dir / "apart.yaml", apart);
    std::vector<std::string> unfused{"run", "-q", "--detail", "fast", "--mapping", dir / "apart.yaml",
                                     "--out", dir / "apart"};
    unfused.insert(unfused.end(), shape.begin(), shape.end());
    const auto u = run_acceltran(unfused, dir);
    INFO(describe(u));
    REQUIRE(u.exit_code == 0);
    const auto figure = [](const std::string& csv, const std::string& op, const std::string& column) {
        const CsvContents ops = read_csv(csv);
        for (std::size_t row = 0; row < ops.rows.size(); ++row)
            if (ops.at(row, "op") == op) return ops.number(row, column);
        FAIL("no op " << op << " in " << csv);
        return 0.0;
    };
    // By hand: the scores are 12 heads x 512 x 512 = 3,145,728 values at density 0.5 and 20
    // bits (1.25 bytes each) plus a 1-bit mask: 4,325,376 bytes, stored by Q.K^T and loaded by
    // the softmax when apart, neither when fused.
    const double scores_bytes = 3145728 * (0.5 * 20 / 8 + 1.0 / 8);
    CHECK(figure(dir / "apart/ops.csv", "l0.attn.scores", "memory_write_bytes") -
              figure(dir / "run/ops.csv", "l0.attn.scores", "memory_write_bytes") ==
          scores_bytes);
    CHECK(figure(dir / "apart/ops.csv", "l0.attn.probs", "memory_read_bytes") -
              figure(dir / "run/ops.csv", "l0.attn.probs", "memory_read_bytes") ==
          scores_bytes);
    CHECK(load_json(dir / "run/summary.json")["cycles"].get<double>() <
          load_json(dir / "apart/summary.json")["cycles"].get<double>());
}
