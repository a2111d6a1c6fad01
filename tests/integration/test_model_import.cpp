// Models given in other forms than our own (docs/models.md) must describe the same computation as
// the built-in model they transcribe: the same op graph (analyze's per-operator FLOPs and bytes)
// and the same simulated cycles. The Hugging Face configs under tests/data/models/ are written
// from the public checkpoints' config.json field names and values.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Matchers::Contains;

namespace {

const std::string kImportData = std::string(ACCELTRAN_SOURCE_DIR) + "/tests/data/models/";

double cycles(const ScratchDir& scratch, const std::string& name, const std::string& model,
              const std::vector<std::string>& extra) {
    std::vector<std::string> args{"--model", model, "--batch", "1", "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CommandResult r = run_into(scratch, name, args, {});
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    return load_json(scratch / (name + "/summary.json"))["cycles"].get<double>();
}

}  // namespace

TEST_CASE("a Hugging Face config of a shipped model gives the same op graph and cycles as the model",
          "[integration][import]") {
    ScratchDir scratch("import-hf");
    struct Case {
        std::string config, builtin;
        std::vector<std::string> shape, accel;
    };
    const std::vector<Case> cases{
        {"bert-base-uncased/config.json", "bert-base", {"--seq", "32"}, {"--accel", "acceltran-edge"}},
        {"gpt2/config.json", "gpt2", {"--seq", "32"}, {"--accel", "acceltran-edge"}},
        // Grouped-query attention (8 key/value heads for 32 query heads), as a short generation.
        {"llama-3.2-1b/config.json", "llama-1b", {"--prompt-len", "8", "--gen-len", "2"},
         {"--accel", "acceltran-server", "--detail", "fast"}},
    };
    for (const Case& c : cases) {
        INFO(c.config);
        const nlohmann::json imported = analysis_without_name(scratch, kImportData + c.config, c.shape);
        CHECK(imported["total"]["flops"].get<double>() > 0);
        CHECK(imported == analysis_without_name(scratch, c.builtin, c.shape));
        std::vector<std::string> run_args = c.shape;
        run_args.insert(run_args.end(), c.accel.begin(), c.accel.end());
        CHECK(cycles(scratch, "hf-" + c.builtin, kImportData + c.config, run_args) ==
              cycles(scratch, "builtin-" + c.builtin, c.builtin, run_args));
    }
}

TEST_CASE("an imported config's notes name what was left out, on stderr", "[integration][import]") {
    ScratchDir scratch("import-notes");
    const CommandResult r = run_acceltran({"validate", "--model", kImportData + "gpt2/config.json"}, scratch);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("model gpt2: ok (12 layers)"));
    CHECK_THAT(r.err, Contains("note: ") && Contains("activation_function \"gelu_new\" is simulated as GELU") &&
                          Contains("ignored (no counterpart in the simulated graph): architectures, attn_pdrop"));
}

TEST_CASE("the original simulator's bert_nano.json and config_tiny.yaml run as their transcriptions do",
          "[integration][import]") {
    // Our acceltran-edge transcribes config_tiny.yaml and scripts/original/models/bert-nano.json
    // is bert_nano.json cut to its l = 1 layer (docs/validation.md, section 7.1), so the files
    // given unchanged must simulate the same design.
    ScratchDir scratch("import-original");
    const std::string original = std::string(ACCELTRAN_SOURCE_DIR) + "/tests/data/original/";
    const CommandResult r = run_into(scratch, "original",
                                     {"--model", original + "bert_nano.json", "--accel", original + "config_tiny.yaml"}, {});
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("AccelTran-SC run: bert_nano (seq 128, batch 4) on config_tiny"));
    CHECK_THAT(r.err, Contains("bert_nano.json: l = 1 but o (2), h (2), f (2) list more layers; the first 1 are read"));
    CHECK_THAT(r.err, Contains("config_tiny.yaml: batch_size 4 has no counterpart") &&
                          Contains("config_tiny.yaml: scheduler (compute-op batching, memory-op tiling) has no counterpart"));
    const CommandResult ours = run_into(
        scratch, "ours",
        {"--model", std::string(ACCELTRAN_SOURCE_DIR) + "/scripts/original/models/bert-nano.json", "--quiet"}, {});
    REQUIRE(ours.exit_code == 0);
    const nlohmann::json a = load_json(scratch / "original/summary.json");
    const nlohmann::json b = load_json(scratch / "ours/summary.json");
    CHECK(a["cycles"] == b["cycles"]);
    CHECK(a["energy_j"] == b["energy_j"]);
    CHECK(a["area_mm2"] == b["area_mm2"]);
}

TEST_CASE("acceltran import writes a model YAML that analyzes as the imported file does", "[integration][import]") {
    ScratchDir scratch("import-command");
    const std::string config = kImportData + "gpt2/config.json", out = scratch / "gpt2.yaml";
    CommandResult r = run_acceltran({"import", config, "--out", out}, scratch);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("wrote " + out + " (model gpt2, 12 layers, from a Hugging Face config)"));
    CHECK(analysis_without_name(scratch, out, {"--seq", "16"}) == analysis_without_name(scratch, config, {"--seq", "16"}));
    // An existing file is kept without --force.
    r = run_acceltran({"import", config, "--out", out}, scratch);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("exists; give --force to replace it"));
    CHECK(run_acceltran({"import", config, "--out", out, "--force"}, scratch).exit_code == 0);
}
