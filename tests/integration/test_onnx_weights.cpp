// A functional run on an ONNX model takes its weights from the graph's initializers
// (docs/models.md, "ONNX weights"): tests/data/onnx/make_transformer_onnx.py writes a random-weight
// BERT-style encoder and the same weights under Hugging Face BERT names in a safetensors file,
// and the run on the ONNX file must be the run of the same model described in our YAML with
// --weights on that file, to the bit: the same cycles, energy, measured sparsity and output error.
// A malformed initializer is refused naming the file, the initializer and what was expected.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Matchers::Contains;

namespace {

const std::string kWeightsMaker = std::string(ACCELTRAN_SOURCE_DIR) + "/tests/data/onnx/make_transformer_onnx.py";

// The encoder the script builds by default, in our model YAML.
const std::string kWeightsEncoder =
    "name: tiny-encoder\nfamily: bert\nvocab_size: 500\nmax_positions: 64\nactivation: gelu\n"
    "layers: 2\nhidden: 64\nheads: 4\nffn: 128\n";

// The ONNX file `name`.onnx built with `args`, and the safetensors file of its weights.
std::string make_weighted_onnx(const ScratchDir& scratch, const std::string& name, const std::string& args) {
    const std::string out = scratch / (name + ".onnx");
    const CommandResult r =
        run_shell("/usr/bin/python3 " + shell_quote(kWeightsMaker) + " --kind encoder " + args + " --out " +
                  shell_quote(out) + " --safetensors " + shell_quote(scratch / (name + ".safetensors")) + " 2>&1");
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    return out;
}

// A functional run's summary. A DynaTran threshold and a weight threshold make the measured
// sparsity depend on the values of the activations and of the weights.
nlohmann::json functional_summary(const ScratchDir& scratch, const std::string& name, const std::string& model,
                                  const std::vector<std::string>& extra) {
    std::vector<std::string> args{"--model", model, "--seq", "16", "--batch", "1", "--accel", "acceltran-edge",
                                  "--quiet", "--functional", "--threshold", "0.02", "--weight-threshold", "0.01"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CommandResult r = run_into(scratch, name, args, {});
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    return load_json(scratch / (name + "/summary.json"));
}

// What the weights decide in a functional run.
nlohmann::json weight_dependent(const nlohmann::json& s) {
    return {{"cycles", s["cycles"]},
            {"energy_j", s["energy_j"]},
            {"sparsity", s["sparsity"]},
            {"error", s["functional"]["output_error_vs_dense"]}};
}

}  // namespace

TEST_CASE("a functional run on an ONNX encoder uses its initializers, as --weights on the same weights in safetensors does",
          "[integration][import][onnx][functional]") {
    ScratchDir scratch("onnx-weights");
    const std::string native = scratch.write("tiny-encoder.yaml", kWeightsEncoder);
    // BERT's epsilon (1e-12), the one the safetensors loader assumes; every export form: separate
    // MatMul + bias Add projections, and a fused QKV projection as Gemm by a PyTorch [out, in]
    // weight (transB) with its bias in C, split in three; each layer-norm form.
    struct Form {
        std::string name, args;
    } forms[] = {{"matmul", "--eps 1e-12 --norm op --gelu erf"},
                 {"fused-gemm", "--eps 1e-12 --norm decomposed --gelu erf --fused-qkv --gemm --seq 16"},
                 {"fused-matmul", "--eps 1e-12 --norm op --gelu op --fused-qkv --seed 3"},
                 // Constant factors are folded into the weights: Gemm's alpha and beta, and scores
                 // divided by 2 instead of sqrt(16) = 4 (the query's weight and bias doubled). Powers
                 // of two, so that the safetensors file's float32 products are exact too.
                 {"factors", "--eps 1e-12 --gemm --seq 16 --gemm-alpha 0.5 --gemm-beta 2 --score-divisor 2"},
                 // float16 initializers (and F16 tensors in the safetensors file).
                 {"float16", "--eps 1e-12 --dtype float16 --fused-qkv"}};
    for (const Form& f : forms) {
        INFO(f.name);
        const std::string onnx = make_weighted_onnx(scratch, f.name, f.args);
        const nlohmann::json from_onnx = functional_summary(scratch, f.name + "-onnx", onnx, {});
        const nlohmann::json from_file =
            functional_summary(scratch, f.name + "-st", native, {"--weights", scratch / (f.name + ".safetensors")});
        CHECK(weight_dependent(from_onnx) == weight_dependent(from_file));
        CHECK(from_onnx["sparsity"]["activation"].get<double>() > 0);
        CHECK(from_onnx["sparsity"]["weight"].get<double>() > 0);
        CHECK(from_onnx["functional"]["weights"] == onnx + " (the ONNX model's initializers)");
        // --weights still wins over the initializers.
        const nlohmann::json overridden =
            functional_summary(scratch, f.name + "-override", onnx, {"--weights", scratch / (f.name + ".safetensors")});
        CHECK(weight_dependent(overridden) == weight_dependent(from_file));
        CHECK(overridden["functional"]["weights"] == scratch / (f.name + ".safetensors"));
    }
    // Other weights in the same graph give another measured sparsity: the run reads them.
    const std::string reseeded = make_weighted_onnx(scratch, "reseeded", "--eps 1e-12 --seed 2");
    const nlohmann::json other = functional_summary(scratch, "reseeded-onnx", reseeded, {});
    const nlohmann::json first = functional_summary(scratch, "first-onnx", scratch / "matmul.onnx", {});
    CHECK(other["cycles"].get<double>() > 0);
    CHECK(other["sparsity"]["activation"] != first["sparsity"]["activation"]);
    CHECK(other["sparsity"]["weight"] != first["sparsity"]["weight"]);
    // The graph is one of the run's recorded inputs (its initializers are the weights).
    const auto& inputs = first["provenance"]["inputs"];
    CHECK(std::any_of(inputs.begin(), inputs.end(), [&](const nlohmann::json& i) {
        return i["kind"] == "an ONNX model" && i["path"] == scratch / "matmul.onnx";
    }));
}

TEST_CASE("a malformed ONNX initializer is refused by a functional run naming the file, the initializer and what was expected",
          "[integration][import][onnx][functional]") {
    ScratchDir scratch("onnx-weights-bad");
    struct Case {
        std::string how, message;
    } cases[] = {
        {"dtype", "initializer 'bert.layer.0.attention.query.weight' (layer 0's query weight of model 'dtype'): "
                  "expected float32, float16, bfloat16 or double values, found int8"},
        {"bias-shape", "initializer 'bert.layer.0.attention.query.bias' (layer 0's query bias of model 'bias-shape'): "
                       "expected shape [64] of float32, float16, bfloat16 or double, found [65]"},
        {"raw-size", "initializer 'bert.embeddings.word_embeddings.weight' (the word embedding [vocab, hidden] of model "
                     "'raw-size'): raw_data holds 127996 bytes, expected 128000 bytes (32000 float32 values for shape "
                     "[500, 64])"},
    };
    for (const Case& c : cases) {
        INFO(c.how);
        const std::string onnx = make_weighted_onnx(scratch, c.how, "--malformed " + c.how);
        // The shape is still read: the timing-only model does not need the values.
        const CommandResult shape = run_acceltran({"analyze", "--model", onnx, "--seq", "16", "--batch", "1"}, scratch);
        INFO(describe(shape));
        CHECK(shape.exit_code == 0);
        const CommandResult r = run_acceltran({"run", "--model", onnx, "--seq", "16", "--batch", "1", "--accel",
                                               "acceltran-edge", "--quiet", "--functional", "--out", scratch / "out"},
                                              scratch);
        INFO(describe(r));
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Contains(onnx + ": " + c.message));
        CHECK_FALSE(fs::exists(scratch / "out"));
    }
}

// Dims that claim more than the data holds are refused by the data's length before anything is
// allocated for them (within 2 GB of address space: the word table's claim alone is 5 GB of
// doubles, the token-type table's 2^46 values).
TEST_CASE("an ONNX initializer whose dims claim far more values than it holds is refused without allocating them",
          "[integration][import][onnx][functional]") {
    ScratchDir scratch("onnx-weights-hostile");
    struct Case {
        std::string how, message;
    } cases[] = {
        {"token-type-rows", "initializer 'bert.embeddings.token_type_embeddings.weight' (the token-type embedding "
                            "[types, hidden] of model 'token-type-rows'): its shape [1099511627776, 64] holds more "
                            "values than an ONNX file under protobuf's 2 GiB limit can"},
        {"word-without-data", "initializer 'bert.embeddings.word_embeddings.weight' (the word embedding [vocab, "
                              "hidden] of model 'word-without-data'): float_data holds 0 values, expected 640000000 "
                              "values (640000000 float32 values for shape [10000000, 64])"},
    };
    for (const Case& c : cases) {
        INFO(c.how);
        const std::string onnx = make_weighted_onnx(scratch, c.how, "--hostile " + c.how);
        const CommandResult r = run_shell(kAddressSpaceCap2GB + "timeout 60 " + shell_quote(ACCELTRAN_BINARY) +
                                          " run --model " + shell_quote(onnx) + " --seq 16 --batch 1 --accel "
                                          "acceltran-edge --quiet --functional --out " + shell_quote(scratch / "out") +
                                          " 2>&1 >/dev/null");
        INFO(describe(r));
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.out, Contains(onnx + ": " + c.message));
    }
}
