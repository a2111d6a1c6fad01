// The accelerator YAML's sparsity rule (sparsity.mode, threshold, k, weight_threshold;
// docs/configuration.md, docs/dynatran.md §1.1) through the binary: --set sparsity.threshold
// equals --threshold, the flags override the configuration, a configured rule that prunes makes
// the run functional, bad keys and values are located errors, and a design space sweeps
// sparsity.threshold. BERT-Tiny on AccelTran-Edge at sequence 32, batch 2.
#include <catch2/catch.hpp>

#include <algorithm>

#include <string>
#include <vector>

#include "tests/integration/csv_table.h"
#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Matchers::Contains;

namespace {

const std::vector<std::string> kSparsityRunArgs = {"--model", "bert-tiny", "--accel", "acceltran-edge",
                                         "--seq", "32", "--batch", "2", "-q", "--no-progress"};

// What the run computed and measured, without the wall time and how the rule was requested.
nlohmann::json outcome(nlohmann::json s) {
    nlohmann::json o;
    for (const char* key : {"cycles", "bytes", "macs", "sparsity", "energy_j", "functional"}) o[key] = s[key];
    o["functional"].erase("requested_by");
    return o;
}

}  // namespace

TEST_CASE("sparsity config: --set sparsity.threshold equals --threshold, and the flags win",
          "[integration][sparsity][functional]") {
    ScratchDir dir("sparsity-config-set");
    const auto flag = run_summary(dir, "flag", kSparsityRunArgs, {"--functional", "--threshold", "0.05"});
    const auto set = run_summary(dir, "set", kSparsityRunArgs, {"--functional", "--set", "sparsity.threshold=0.05"});
    CHECK(outcome(set) == outcome(flag));
    CHECK(set["functional"]["threshold"] == 0.05);
    CHECK(set["sparsity"]["source"] == "measured");
    CHECK(flag["sparsity"]["activation"].get<double>() > 0.05);  // τ = 0.05 prunes something
    // The flag overrides the configured value.
    const auto both =
        run_summary(dir, "both", kSparsityRunArgs, {"--functional", "--set", "sparsity.threshold=0.5", "--threshold", "0.05"});
    CHECK(outcome(both) == outcome(flag));
    // --sparsity topk drops the configured threshold (it is DynaTran's) and takes --k.
    const auto topk = run_summary(dir, "topk", kSparsityRunArgs, {"--functional", "--set", "sparsity.threshold=0.05", "--sparsity",
                                                "topk", "--k", "4"});
    CHECK(topk["functional"]["sparsity_mode"] == "topk");
    CHECK(topk["functional"]["threshold"] == 0.0);
    const auto topk_set = run_summary(dir, "topk-set", kSparsityRunArgs, {"--set", "sparsity.mode=topk", "--set", "sparsity.k=4"});
    CHECK(outcome(topk_set) == outcome(topk));
}

TEST_CASE("sparsity config: a configured threshold without --functional makes the run functional",
          "[integration][sparsity][functional]") {
    ScratchDir dir("sparsity-config-implied");
    const auto flag = run_summary(dir, "flag", kSparsityRunArgs, {"--functional", "--threshold", "0.05"});
    const auto configured = run_summary(dir, "configured", kSparsityRunArgs, {"--set", "sparsity.threshold=0.05"});
    CHECK(outcome(configured) == outcome(flag));
    CHECK(configured["functional"]["requested_by"] == "accelerator sparsity rule");
    CHECK(flag["functional"]["requested_by"] == "--functional");
    // With nothing pruned (τ = 0, as shipped) the run stays timing-only with the ratios.
    const auto timing = run_summary(dir, "timing", kSparsityRunArgs, {});
    CHECK(timing["sparsity"]["source"] == "configured");
    CHECK(timing.count("functional") == 0);
    // A functional run needs full detail and an encoder: said, naming the configuration.
    for (const auto& extra : std::vector<std::vector<std::string>>{
             {"--seq", "32", "--detail", "fast"}, {"--model", "gpt2", "--prompt-len", "32", "--gen-len", "2"}}) {
        std::vector<std::string> args = {"run", "-q", "--batch", "2", "--out", dir / "refused",
                                         "--set", "sparsity.threshold=0.05"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = run_acceltran(args, dir);
        INFO(describe(r));
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Contains("the accelerator's sparsity rule (sparsity.mode dynatran"));
    }
}

TEST_CASE("sparsity config: bad keys and values are located errors (exit 3)", "[integration][sparsity]") {
    ScratchDir dir("sparsity-config-bad");
    const std::string base = read_text(std::string(ACCELTRAN_SOURCE_DIR) + "/configs/accelerators/acceltran-edge.yaml");
    auto edited = [&](const std::string& name, const std::string& from, const std::string& to) {
        std::string text = base;
        const auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        text.replace(at, from.size(), to);
        write_text(dir / name, text);
        return dir / name;
    };
    // The line of the shipped file that an edit changes, so that the expected locations follow
    // the file when its comments change.
    auto line_of = [&](const std::string& needle) {
        const auto at = base.find(needle);
        REQUIRE(at != std::string::npos);
        return std::to_string(1 + std::count(base.begin(), base.begin() + std::ptrdiff_t(at), '\n'));
    };
    const std::string threshold_line = line_of("  threshold: 0 "), mode_line = line_of("mode: dynatran");
    struct Case {
        std::vector<std::string> args;
        std::string message;
    } cases[] = {
        {{"--accel", edited("key.yaml", "  threshold: 0 ", "  treshold: 0 ")},
         "key.yaml:" + threshold_line + ":3: sparsity: unknown key 'treshold'"},
        {{"--accel", edited("mode.yaml", "mode: dynatran", "mode: dynatrn")},
         "mode.yaml:" + mode_line + ":9: sparsity.mode: expected one of none, dynatran, topk"},
        {{"--accel", edited("value.yaml", "  threshold: 0 ", "  threshold: -1 ")},
         "value.yaml:" + threshold_line + ":14: sparsity.threshold: expected a number of at least 0, found '-1'"},
        {{"--set", "sparsity.threshold=-0.1"}, "acceltran-edge.yaml: sparsity.threshold: expected a number of at least 0, found '-0.1'"},
        {{"--set", "sparsity.mode=random"}, "acceltran-edge.yaml: sparsity.mode: expected one of none, dynatran, topk"},
        {{"--set", "sparsity.mode=topk"}, "sparsity.k: expected an integer of at least 1 with mode topk"},
        {{"--set", "sparsity.mode=none", "--set", "sparsity.threshold=0.1"}, "sparsity.threshold: expected 0 with mode none"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> args = {"run", "-q", "--seq", "32", "--batch", "2", "--out", dir / "out"};
        args.insert(args.end(), c.args.begin(), c.args.end());
        const auto r = run_acceltran(args, dir);
        INFO(describe(r));
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Contains(c.message));
        CHECK_FALSE(fs::exists(dir / "out"));
    }
    // A key that does not exist, via --set: a usage error that names it and the closest key.
    const auto r = run_acceltran({"run", "-q", "--out", dir / "out", "--set", "sparsity.treshold=0.1"}, dir);
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("no key 'sparsity.treshold' (did you mean 'threshold'?)"));
}

TEST_CASE("sparsity config: a design space sweeps sparsity.threshold", "[integration][sparsity][sweep]") {
    ScratchDir dir("sparsity-config-sweep");
    write_text(dir / "space.yaml",
               "accelerator: acceltran-edge\nmodels: bert-tiny\nseq: 32\nbatch: 2\ndetail: full\n"
               "parameters:\n  sparsity.threshold: [0.01, 0.1]\n");
    const std::string out = dir / "sweep";
    const auto r = run_acceltran({"sweep", "--space", dir / "space.yaml", "--out", out, "--no-plot"}, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    const CsvContents results = read_csv(out + "/results.csv");
    REQUIRE(results.rows.size() == 2);
    std::map<std::string, double> measured;
    for (const auto& row : results.rows) {
        CHECK(row[results.column("status")] == "ok");
        const auto summary = load_json(out + "/points/" + row[0] + "/summary.json");
        CHECK(summary["sparsity"]["source"] == "measured");
        measured[row[results.column("sparsity.threshold")]] = summary["sparsity"]["activation"].get<double>();
    }
    REQUIRE(measured.size() == 2);
    CHECK(measured.at("0.1") > measured.at("0.01"));
}
