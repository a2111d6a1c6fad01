// Runs whose ops are blocked inside because the buffers are small (docs/mapping.md §1.1),
// through the binary: they complete, are never faster and never move fewer bytes than the same
// run with AccelTran-Edge's buffers; and blocks a mapping asks for compute the same values in
// the functional mode (every stored value is rounded the same: blocks that cut the reduction,
// depth, carry the sum in the op's accumulator and round it once).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;

namespace {

// BERT-Tiny at sequence 32, batch 2: its FFN hidden state (2 x 32 x 512 values, 20 KiB at
// density 0.5) and every matmul with its operands need more than 16 KiB of activation buffer.
const std::vector<std::string> kSmallBufferRun = {"run", "--model", "bert-tiny", "--accel", "acceltran-edge",
                                                  "--seq", "32", "--batch", "2", "-q"};
const std::vector<std::string> kSmallBufferSets = {"--set", "buffers.activation.size_mb=0.015625", "--set",
                                                   "buffers.mask.size_mb=0.0078125"};

nlohmann::json small_buffer_summary(ScratchDir& dir, const std::string& name, const std::vector<std::string>& extra) {
    std::vector<std::string> args = kSmallBufferRun;
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("--out");
    args.push_back(dir / name);
    const auto r = run_acceltran(args, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    return load_json(dir / (name + "/summary.json"));
}

}  // namespace

TEST_CASE("small buffers: blocked ops run, never faster and never moving fewer bytes", "[integration][mapping]") {
    ScratchDir dir("small-buffers");
    for (const std::string detail : {"full", "fast"}) {
        INFO(detail);
        const auto edge = small_buffer_summary(dir, "edge-" + detail, {"--detail", detail});
        std::vector<std::string> small = kSmallBufferSets;
        small.insert(small.end(), {"--detail", detail, "--write-mapping"});
        const auto blocked = small_buffer_summary(dir, "small-" + detail, small);
        CHECK(blocked["cycles"].get<double>() >= edge["cycles"].get<double>());
        CHECK(blocked["bytes"]["main_memory"]["read"].get<double>() > edge["bytes"]["main_memory"]["read"].get<double>());
        CHECK(blocked["macs"] == edge["macs"]);
        // The mapping written says which ops were blocked, with their blocks.
        CHECK(read_text(dir / ("small-" + detail + "/mapping.yaml")).find("    block: {batch: ") != std::string::npos);
    }
}

TEST_CASE("blocks from a mapping: the functional mode computes the same values in blocks",
          "[integration][mapping][functional]") {
    // Small buffers would also split weights in the graph (decoders.md §2.1), which the
    // functional mode does not take; blocks asked for by a mapping leave the graph alone.
    ScratchDir dir("blocks-functional");
    write_text(dir / "blocks.yaml",
               "ops:\n"
               "  - op: l0.attn.q\n    block: {batch: 1, rows: 16, columns: 64}\n"
               "  - op: l0.attn.scores\n    block: {batch: 1, rows: 16}\n"
               "  - op: l0.attn.probs\n    block: {batch: 1, rows: 8}\n"
               "  - op: l1.ffn.gelu1\n    block: {batch: 1, columns: 128}\n"
               "  - op: l1.ffn.ln\n    block: {batch: 1, rows: 16}\n");
    const auto whole = small_buffer_summary(dir, "whole", {"--functional"});
    const auto blocked = small_buffer_summary(dir, "blocked", {"--functional", "--mapping", dir / "blocks.yaml"});
    CHECK(blocked["cycles"] != whole["cycles"]);  // the blocks did run
    // An op blocked inside is still one op (the graph is the same; small buffers would split it).
    for (const auto& [kind, figures] : whole["op_kinds"].items()) CHECK(blocked["op_kinds"][kind]["ops"] == figures["ops"]);
    CHECK(blocked["functional"]["output_error_vs_dense"] == whole["functional"]["output_error_vs_dense"]);
    CHECK(blocked["functional"]["output_error_vs_matched_reference"] ==
          whole["functional"]["output_error_vs_matched_reference"]);
    CHECK(blocked["sparsity"] == whole["sparsity"]);
}

TEST_CASE("k blocks from a mapping run, are written back, replay, and compute the same values in the functional mode",
          "[integration][mapping]") {
    ScratchDir dir("blocks-depth");
    // BERT-Tiny's FFN W2 (k = 512) in k blocks of 128, rows and columns blocked too.
    write_text(dir / "depth.yaml",
               "ops:\n"
               "  - op: l0.ffn.out\n    block: {batch: 1, rows: 16, columns: 64, depth: 128}\n"
               "  - op: l1.attn.q\n    block: {batch: 1, depth: 64}\n");
    const auto whole = small_buffer_summary(dir, "whole", {"--detail", "fast"});
    const auto cut = small_buffer_summary(dir, "cut", {"--detail", "fast", "--mapping", dir / "depth.yaml", "--write-mapping"});
    CHECK(cut["macs"] == whole["macs"]);
    CHECK(cut["cycles"] != whole["cycles"]);  // the blocks did run
    CHECK(cut["bytes"]["main_memory"]["read"].get<double>() > whole["bytes"]["main_memory"]["read"].get<double>());
    const std::string written = read_text(dir / "cut/mapping.yaml");
    CHECK(written.find("block: {batch: 1, rows: 16, columns: 64, depth: 128}") != std::string::npos);
    CHECK(written.find("block: {batch: 1, rows: 32, columns: 128, depth: 64}") != std::string::npos);
    // The written mapping replays the run.
    const auto replay = small_buffer_summary(dir, "replay", {"--detail", "fast", "--mapping", dir / "cut/mapping.yaml"});
    CHECK(replay["cycles"] == cut["cycles"]);
    CHECK(replay["energy_j"] == cut["energy_j"]);
    // The functional mode computes the same values in k blocks: the sum runs on from one k block
    // to the next in the op's accumulator and is rounded once, at the op's last k step.
    const auto functional_whole = small_buffer_summary(dir, "functional-whole", {"--functional"});
    const auto functional_cut = small_buffer_summary(dir, "functional-cut", {"--functional", "--mapping", dir / "depth.yaml"});
    CHECK(functional_cut["cycles"] != functional_whole["cycles"]);  // the k blocks did run
    CHECK(functional_cut["functional"]["output_error_vs_dense"] == functional_whole["functional"]["output_error_vs_dense"]);
    CHECK(functional_cut["functional"]["output_error_vs_matched_reference"] ==
          functional_whole["functional"]["output_error_vs_matched_reference"]);
    CHECK(functional_cut["sparsity"] == functional_whole["sparsity"]);
}
