// ONNX graphs (docs/models.md, "ONNX") must describe the same computation as the model written
// natively in our YAML: the same op graph (analyze's per-operator FLOPs and bytes) and the same
// simulated cycles and energy. The ONNX files are built at test time, offline, by
// tests/data/onnx/make_transformer_onnx.py with Debian's python3-onnx, tiny and random-weight.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Matchers::Contains;

namespace {

const std::string kMaker = std::string(ACCELTRAN_SOURCE_DIR) + "/tests/data/onnx/make_transformer_onnx.py";

// The encoder and decoder the script builds by default, as our model YAML says them.
const std::string kNativeEncoder =
    "name: tiny-encoder\nfamily: bert\nvocab_size: 500\nmax_positions: 64\nactivation: gelu\n"
    "layers: 2\nhidden: 64\nheads: 4\nffn: 128\n";
const std::string kNativeDecoder =
    "name: tiny-decoder\nfamily: gpt2\narchitecture: decoder\nnorm: layernorm\nposition: learned\n"
    "tie_embeddings: true\nvocab_size: 500\nmax_positions: 64\nactivation: gelu\n"
    "layers: 2\nhidden: 64\nheads: 4\nffn: 128\n";

std::string make_onnx(const ScratchDir& scratch, const std::string& name, const std::string& args) {
    const std::string out = scratch / (name + ".onnx");
    const CommandResult r = run_shell("/usr/bin/python3 " + shell_quote(kMaker) + " " + args + " --out " +
                                      shell_quote(out) + " 2>&1");
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    return out;
}

std::string write_file(const ScratchDir& scratch, const std::string& name, const std::string& text) {
    std::ofstream(scratch / name, std::ios::binary) << text;
    return scratch / name;
}

// A short run's summary figures that depend on the op graph.
nlohmann::json run_figures(const ScratchDir& scratch, const std::string& name, const std::string& model,
                           const std::vector<std::string>& extra) {
    std::vector<std::string> args{"--model", model, "--batch", "1", "--accel", "acceltran-edge", "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CommandResult r = run_into(scratch, name, args, {});
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    const nlohmann::json s = load_json(scratch / (name + "/summary.json"));
    return {{"cycles", s["cycles"]}, {"energy_j", s["energy_j"]}, {"macs", s["macs"]}};
}

CommandResult analyze_file(const ScratchDir& scratch, const std::string& model) {
    return run_acceltran({"analyze", "--model", model, "--seq", "16", "--batch", "1"}, scratch);
}

}  // namespace

TEST_CASE("an ONNX BERT-style encoder gives the op graph and cycles of the same model described natively",
          "[integration][import][onnx]") {
    ScratchDir scratch("onnx-encoder");
    const std::string native = write_file(scratch, "tiny-encoder.yaml", kNativeEncoder);
    const std::vector<std::string> shape{"--seq", "16"};
    const nlohmann::json expected = analysis_without_name(scratch, native, shape);
    CHECK(expected["total"]["flops"].get<double>() > 0);
    // Every form of the layer norm and of GELU that exporters emit reads as the same model.
    for (const std::string variant : {"--norm op --gelu erf", "--norm decomposed --gelu op", "--norm op --gelu tanh"}) {
        INFO(variant);
        const std::string onnx = make_onnx(scratch, "encoder", "--kind encoder " + variant);
        CHECK(analysis_without_name(scratch, onnx, shape) == expected);
    }
    const std::string onnx = make_onnx(scratch, "encoder", "--kind encoder");
    CHECK(run_figures(scratch, "onnx", onnx, shape) == run_figures(scratch, "native", native, shape));
}

TEST_CASE("an ONNX GPT-2-style decoder gives the op graph and cycles of the same model described natively",
          "[integration][import][onnx]") {
    ScratchDir scratch("onnx-decoder");
    const std::string native = write_file(scratch, "tiny-decoder.yaml", kNativeDecoder);
    const std::string onnx = make_onnx(scratch, "decoder", "--kind decoder --norm decomposed --gelu tanh");
    const std::vector<std::string> generation{"--prompt-len", "8", "--gen-len", "2"};
    const nlohmann::json expected = analysis_without_name(scratch, native, generation);
    CHECK(expected["total"]["flops"].get<double>() > 0);
    CHECK(analysis_without_name(scratch, onnx, generation) == expected);
    // Gemm by PyTorch-layout [out, in] weights (transB) over rows flattened to 2-d reads the same.
    CHECK(analysis_without_name(scratch, make_onnx(scratch, "gemm", "--kind decoder --gemm"), generation) == expected);
    CHECK(run_figures(scratch, "onnx", onnx, generation) == run_figures(scratch, "native", native, generation));
    // The notes say what was approximated or left out, on stderr.
    const CommandResult r = run_acceltran({"validate", "--model", onnx}, scratch);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("model decoder: ok (2 layers)"));
    CHECK_THAT(r.err, Contains("the tanh approximation of GELU is simulated as GELU") &&
                          Contains("has the shape [batch, 64]") && Contains("cost no op in the simulated graph (the functional mode, which would read them, runs encoders only)"));
}

TEST_CASE("acceltran import writes an ONNX graph as a model YAML that analyzes the same", "[integration][import][onnx]") {
    ScratchDir scratch("onnx-import-command");
    const std::string onnx = make_onnx(scratch, "encoder", "--kind encoder --layers 3 --heads 2");
    const std::string out = scratch / "encoder.yaml";
    const CommandResult r = run_acceltran({"import", onnx, "--out", out}, scratch);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("wrote " + out + " (model encoder, 3 layers, from a transformer graph in ONNX)"));
    CHECK(analysis_without_name(scratch, out, {"--seq", "16"}) == analysis_without_name(scratch, onnx, {"--seq", "16"}));
}

TEST_CASE("an ONNX node of an unsupported op type, or a graph with no transformer, is refused naming what is wrong",
          "[integration][import][onnx]") {
    ScratchDir scratch("onnx-unsupported");
    const std::string onnx = make_onnx(scratch, "sigmoid", "--kind encoder --unsupported Sigmoid");
    const CommandResult r = analyze_file(scratch, onnx);
    INFO(describe(r));
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Contains(onnx + ": node 'Sigmoid_") && Contains(", Sigmoid): op type 'Sigmoid' is not recognized") &&
                          Contains("supported: MatMul, Gemm, Add"));
    // Supported op types in a graph with no transformer in it: the structure is refused, not guessed.
    const std::string embeddings = make_onnx(scratch, "embeddings", "--kind encoder --layers 0");
    const CommandResult e = analyze_file(scratch, embeddings);
    INFO(describe(e));
    CHECK(e.exit_code == 3);
    CHECK_THAT(e.err, Contains(embeddings + ": no attention found: expected one Softmax between a score MatMul"));
}

TEST_CASE("ONNX forms the importer does not follow are refused naming the node: RMSNorm, a gated feed-forward, shape arithmetic",
          "[integration][import][onnx]") {
    ScratchDir scratch("onnx-refused-forms");
    struct Case {
        std::string name, args;
        std::vector<std::string> message;
    } cases[] = {
        // Llama's RMSNorm: a ReduceMean of the squared input, never subtracted from it.
        {"rmsnorm", "--kind decoder --norm rms",
         {": node 'ReduceMean_", ", ReduceMean) is neither a layer norm's mean (subtracted from its input) nor its "
                                 "variance (of the centred input squared); RMSNorm and other reductions are not recognized"}},
        // A gated feed-forward (GEGLU: SwiGLU with Gelu for SiLU) has three matmuls; in the last
        // layer the third would be a head, so the first two's shapes give it away.
        {"gated", "--kind encoder --gated",
         {": layer 0 (attention node 'Softmax_", "expected 2 feed-forward weight matmuls between the output projection node",
          "found 3 (a gated feed-forward is not recognized)"}},
        {"gated-last", "--kind encoder --gated --layers 1",
         {": layer 0 (attention node 'Softmax_", "are [64, 128] and [64, 128], expected [64, ffn] and [ffn, 64] (two "
                                                  "[64, ffn] matmuls: a gated feed-forward is not recognized)"}},
        // Reshape targets computed from the input's shape (no constant folding): Shape is refused.
        {"shape-arithmetic", "--kind encoder --dynamic-reshape",
         {": node 'Shape_", ", Shape): op type 'Shape' is not recognized by the ONNX importer; supported: MatMul"}},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        const std::string onnx = make_onnx(scratch, c.name, c.args);
        const CommandResult r = analyze_file(scratch, onnx);
        INFO(describe(r));
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Contains(onnx + c.message.front()));
        for (const std::string& part : c.message) CHECK_THAT(r.err, Contains(part));
    }
}

TEST_CASE("a truncated, a text and an empty .onnx file get errors naming the file and the place", "[integration][import][onnx]") {
    ScratchDir scratch("onnx-malformed");
    const std::string whole = read_text(make_onnx(scratch, "encoder", "--kind encoder"));
    const std::string truncated = write_file(scratch, "truncated.onnx", whole.substr(0, whole.size() / 2));
    CommandResult r = analyze_file(scratch, truncated);
    INFO(describe(r));
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Contains(truncated + ": byte ") && Contains("(graph) runs past the end of the file (" +
                                                                   std::to_string(whole.size() / 2) + " bytes)"));
    const std::string text = write_file(scratch, "text.onnx", "name: tiny\nlayers: 2\n");
    r = analyze_file(scratch, text);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Contains(text + ": this is a text file (it begins \"name: tiny") &&
                          Contains("expected an ONNX model (a binary protobuf ModelProto)"));
    // Protobuf without a graph: field 1 (ir_version) = 8 only.
    const std::string no_graph = write_file(scratch, "no-graph.onnx", std::string("\x08\x08", 2));
    r = analyze_file(scratch, no_graph);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Contains(no_graph + ": no graph"));
    const std::string empty = write_file(scratch, "empty.onnx", "");
    r = analyze_file(scratch, empty);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Contains(empty + ": the file is empty"));
}

// What a careless or hostile file may hold (make_transformer_onnx.py --hostile): the importer
// ends in bounded time and memory with an answer or an error naming the place, never a signal.
// The limits are the robustness standard's probe: 2 GB of address space (none in the sanitized
// build: kAddressSpaceCap2GB) and 30 s of wall time.
TEST_CASE("an ONNX graph with a cycle, a doubling Concat chain, dims far beyond its data or many inputs is read within bounds",
          "[integration][import][onnx]") {
    ScratchDir scratch("onnx-hostile");
    const auto bounded_analyze = [&](const std::string& onnx, int seconds = 30) {
        const CommandResult r = run_shell(kAddressSpaceCap2GB + "timeout " + std::to_string(seconds) + " " +
                                          shell_quote(ACCELTRAN_BINARY) +
                                          " analyze --model " + shell_quote(onnx) + " --seq 16 --batch 1 2>&1 >/dev/null");
        INFO(describe(r));
        return r;
    };
    // Two Identity nodes feeding each other, one of them layer 0's query Reshape target: the
    // recognizer followed them until the stack overflowed.
    std::string onnx = make_onnx(scratch, "cycle", "--kind encoder --hostile cycle");
    CommandResult r = bounded_analyze(onnx);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.out, Contains(onnx + ": node 'Reshape_") &&
                          Contains("takes 'cycle_a', which node 'cycle_1' (#") &&
                          Contains("produces after it: the graph has a cycle or is not in topological order"));
    // 40 Concats doubling a constant, as that target: folding it made 2^40 values. Unfolded, the
    // heads come from the scores' scaling, and the model is the default encoder's.
    onnx = make_onnx(scratch, "doubling", "--kind encoder --hostile concat-doubling");
    r = bounded_analyze(onnx);
    CHECK(r.exit_code == 0);
    // A causal mask claiming [1, 1, 2^32, 2^32] without values: rows x cols overflowed to the
    // (zero) number of values, and the check read past them. It is no causal mask, so noted.
    onnx = make_onnx(scratch, "mask", "--kind decoder --hostile mask-dims");
    r = bounded_analyze(onnx);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("a constant mask that is not causal on layer 0's scores is not modelled"));
    // An attention 2^32 + 64 columns wide was read as 64 (an int of the layer).
    onnx = make_onnx(scratch, "wide", "--kind encoder --hostile wide-query");
    r = bounded_analyze(onnx);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.out, Contains(onnx + ": layer 0 (attention node 'Softmax_") &&
                          Contains("gives 4294967360 columns to the attention, expected 1 to 65536"));
    // 150000 graph inputs, each a Gather's indices: looking each up in a list took 20 s for this
    // 15 MB file (quadratic); a set takes well under a second, 10 s leaves room for a busy machine.
    onnx = make_onnx(scratch, "many", "--kind encoder --hostile many-inputs");
    r = bounded_analyze(onnx, 10);
    CHECK(r.exit_code == 0);
}
