// Fusion as a mapping choice through the binary (docs/mapping.md §11): a mapping file fusing
// each legal pair runs, gives the same output values in the functional mode as the unfused run,
// and --write-mapping records the fusion so that replaying it reproduces the run.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Matchers::Contains;

namespace {

const std::vector<std::string> kFusionRunArgs = {"--model", "bert-tiny", "--accel", "acceltran-edge",
                                                 "--seq", "32", "--batch", "2", "-q"};

// Blocks of one batch entry for each producer, with softmax, GELU and layer-norm (and its add)
// fused into them, in both layers.
std::string fusion_mapping_text() {
    std::string text = "ops:\n";
    for (const std::string l : {"l0.", "l1."})
        text += "  - op: " + l + "attn.scores\n    block: {batch: 1}\n" +
                "  - op: " + l + "attn.probs\n    fuse: true\n" +
                "  - op: " + l + "attn.out\n    block: {batch: 1}\n" +
                "  - op: " + l + "attn.ln\n    fuse: true\n" +
                "  - op: " + l + "ffn.h1\n    block: {batch: 1}\n" +
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

TEST_CASE("--write-mapping records fusion and run --mapping replays it", "[integration][fusion]") {
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
