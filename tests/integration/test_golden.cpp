// Golden regression: reruns the command recorded in each tests/golden/<model>_<accel>.json with
// the built binary and compares what it recorded: the figures of a run, or the refusal of a run
// the simulator cannot do yet. The golden files are the one list of golden runs;
// scripts/update-goldens reruns the same commands to rewrite them. One test case per built-in
// model, covering every accelerator, so that ctest runs them in parallel and names the model.
//
// The simulation is deterministic: integers (bytes, counts, MACs) must match exactly; doubles
// (cycles, energy, busy unit-cycles, effectual MACs, generation times) get a relative 1e-9, which
// only absorbs printing and re-reading doubles (summary.json, then scripts/update-goldens).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iomanip>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using nlohmann::json;

namespace {

const std::string kGoldenDir = std::string(ACCELTRAN_SOURCE_DIR) + "/tests/golden";
constexpr double kRelativeTolerance = 1e-9;

// What every golden run must hold, so that a truncated golden file (or a figure
// scripts/update-goldens stopped writing) fails instead of passing vacuously. JSON pointers into
// summary.json; the golden file holds them under "figures".
const std::vector<std::string>& required_figures() {
    static const std::vector<std::string> figures = [] {
        std::vector<std::string> f = {"/cycles", "/energy_j", "/model/seq", "/model/batch"};
        for (const char* c : {"mac_lane", "softmax", "layernorm"})
            for (const char* k : {"units", "busy_unit_cycles", "tiles"})
                f.push_back(std::string("/units/") + c + "/" + k);
        for (const char* l : {"main_memory", "activation_buffer", "weight_buffer", "mask_buffer"})
            for (const char* d : {"read", "write"}) f.push_back(std::string("/bytes/") + l + "/" + d);
        for (const char* k : {"entries", "jobs", "tile_ops", "loads", "spills", "stores"})
            f.push_back(std::string("/program/") + k);
        f.push_back("/macs/total");
        f.push_back("/macs/effectual");
        return f;
    }();
    return figures;
}
// Required as well when the run generates tokens (summary.json then has "generation").
const std::vector<std::string> kGenerationFigures = {"/generation/time_to_first_token_s",
                                                     "/generation/time_per_output_token_s",
                                                     "/generation/kv_cache_main_memory_bytes"};

std::string show(const json& v) { return v.dump(); }

void leaves(const json& doc, const std::string& prefix, std::vector<std::string>& out) {
    if (!doc.is_object()) {
        out.push_back(prefix);
        return;
    }
    for (auto it = doc.begin(); it != doc.end(); ++it) leaves(it.value(), prefix + "/" + it.key(), out);
}

// "" when `got` matches `want`, else why not. Exactness follows the run's own type: summary.json
// writes counts as integers and everything else as doubles.
std::string compare(const json& want, const json& got) {
    if (got.is_number_integer()) {
        if (want.is_number_integer() && want.get<std::int64_t>() == got.get<std::int64_t>()) return "";
    } else if (got.is_number_float()) {
        if (want.is_number_float()) {
            const double w = want.get<double>(), g = got.get<double>();
            if (std::abs(g - w) <= kRelativeTolerance * std::max(std::abs(w), std::abs(g))) return "";
        }
    } else if (want == got) {
        return "";
    }
    std::ostringstream d;
    d << "golden " << show(want) << ", now " << show(got);
    if (want.is_number() && got.is_number() && want.get<double>() != 0)
        d << " (" << std::showpos << std::setprecision(6) << 100.0 * (got.get<double>() / want.get<double>() - 1.0)
          << " %)";
    if (want.is_number_integer() != got.is_number_integer()) d << " (integer vs double)";
    return d.str();
}

std::string arg_after(const std::vector<std::string>& args, const std::string& option) {
    const auto it = std::find(args.begin(), args.end(), option);
    return it != args.end() && it + 1 != args.end() ? *(it + 1) : "";
}

std::string trimmed(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
}

// Reruns one golden file's command; returns every difference from what it recorded.
std::vector<std::string> check_golden_file(const std::string& path, const std::string& model) {
    const json golden = load_json(path);
    const std::string accel = golden.value("accelerator", "");
    const auto args = golden.value("args", std::vector<std::string>{});
    // The file name, its fields and its command must name the same run.
    REQUIRE(golden.value("model", "") == model);
    REQUIRE(fs::path(path).filename().string() == model + "_" + accel + ".json");
    REQUIRE(!args.empty());
    REQUIRE(args[0] == "run");
    REQUIRE(arg_after(args, "--model") == model);
    REQUIRE(arg_after(args, "--accel") == accel);
    REQUIRE(golden.contains("figures") != golden.contains("refusal"));

    ScratchDir dir("golden-" + model + "-" + accel);
    auto full = args;
    full.insert(full.end(), {"--out", dir / "run", "--quiet"});
    const auto r = run_acceltran(full, dir);
    INFO(describe(r));

    std::vector<std::string> diffs;
    if (golden.contains("refusal")) {
        const json& refusal = golden["refusal"];
        REQUIRE(refusal.contains("exit_code"));
        REQUIRE(refusal.contains("stderr_contains"));
        const std::string message = refusal["stderr_contains"].get<std::string>();
        REQUIRE(!message.empty());
        if (r.exit_code != refusal["exit_code"].get<int>() || r.err.find(message) == std::string::npos)
            diffs.push_back("expected the refusal (exit " + show(refusal["exit_code"]) + ", stderr containing " +
                            show(refusal["stderr_contains"]) + "), got exit " + std::to_string(r.exit_code) +
                            (r.err.empty() ? std::string() : ", stderr: " + trimmed(r.err)));
        return diffs;
    }
    if (r.exit_code != 0) {
        diffs.push_back("the run failed (exit " + std::to_string(r.exit_code) + "): " + trimmed(r.err));
        return diffs;
    }
    const json run = load_json(dir / "run/summary.json");
    const json& figures = golden["figures"];

    std::vector<std::string> pointers = required_figures();
    if (run.contains("generation"))
        pointers.insert(pointers.end(), kGenerationFigures.begin(), kGenerationFigures.end());
    leaves(figures, "", pointers);  // and whatever else the golden file records
    std::set<std::string> seen;
    for (const auto& pointer : pointers) {
        if (!seen.insert(pointer).second) continue;
        const json::json_pointer p(pointer);
        if (!figures.contains(p))
            diffs.push_back(pointer + ": missing from the golden file");
        else if (!run.contains(p))
            diffs.push_back(pointer + ": missing from summary.json");
        else if (const auto d = compare(figures.at(p), run.at(p)); !d.empty())
            diffs.push_back(pointer + ": " + d);
    }
    return diffs;
}

std::vector<std::string> golden_files() {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(kGoldenDir))
        if (e.path().extension() == ".json") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

void check_model(const std::string& model) {
    std::size_t runs = 0;
    for (const auto& path : golden_files()) {
        if (load_json(path).value("model", "") != model) continue;
        ++runs;
        INFO(path);
        const auto diffs = check_golden_file(path, model);
        if (diffs.empty()) continue;
        const json golden = load_json(path);
        std::ostringstream msg, command;
        command << "build/bin/acceltran";
        for (const auto& a : golden["args"]) command << " " << a.get<std::string>();
        command << " --out DIR";
        msg << model << " on " << golden["accelerator"].get<std::string>() << " no longer matches " << path
            << ":\n";
        for (const auto& d : diffs) msg << "  " << d << "\n";
        msg << "The command: " << command.str() << "\n"
            << "If the change is intended, run scripts/update-goldens and give the reason for the new values in "
            << "the commit message (tests/golden/README.md). If it is not intended, it is a regression.";
        FAIL_CHECK(msg.str());
    }
    CHECK(runs > 0);
}

// The models that have a golden test case; the coverage test compares them with the golden files.
std::set<std::string>& models_with_a_test_case() {
    static std::set<std::string> models;
    return models;
}
struct GoldenModel {
    explicit GoldenModel(const char* model) { models_with_a_test_case().insert(model); }
};

}  // namespace

// One test case per model, registered with the coverage test below.
#define ACCELTRAN_GOLDEN_CONCAT2(a, b) a##b
#define ACCELTRAN_GOLDEN_CONCAT(a, b) ACCELTRAN_GOLDEN_CONCAT2(a, b)
// `tags` "[unsanitized]": a model whose code paths others cover, which the sanitized suite
// (scripts/test --sanitize) leaves out: the large decoders (GPT-2 and GPT-2 Medium stay), and
// BERT-Small, -Medium and -Large, uniform encoders like BERT-Tiny, -Mini and -Base (which stay)
// that differ from them only in size (none of their goldens spills; each took 30-46 s under the
// sanitizers on a loaded 2-core machine).
#define GOLDEN_MODEL_TEST(model, tags)                                                                    \
    static const GoldenModel ACCELTRAN_GOLDEN_CONCAT(golden_model_, __LINE__)(model);                      \
    TEST_CASE("golden: " model " on every accelerator matches tests/golden/" model "_*.json",             \
              tags "[integration][golden]") {                                                             \
        check_model(model);                                                                               \
    }

GOLDEN_MODEL_TEST("bert-tiny", "")
GOLDEN_MODEL_TEST("bert-mini", "")
GOLDEN_MODEL_TEST("bert-small", "[unsanitized]")
GOLDEN_MODEL_TEST("bert-medium", "[unsanitized]")
GOLDEN_MODEL_TEST("bert-base", "")
GOLDEN_MODEL_TEST("bert-large", "[unsanitized]")
GOLDEN_MODEL_TEST("gpt2", "")
GOLDEN_MODEL_TEST("gpt2-medium", "")
GOLDEN_MODEL_TEST("gpt2-large", "[unsanitized]")
GOLDEN_MODEL_TEST("gpt2-xl", "[unsanitized]")
GOLDEN_MODEL_TEST("llama-1b", "[unsanitized]")
GOLDEN_MODEL_TEST("llama-7b", "[unsanitized]")
GOLDEN_MODEL_TEST("llama-8b", "[unsanitized]")

TEST_CASE("golden: every built-in model has a golden run on every built-in accelerator, each one tested",
          "[integration][golden]") {
    ScratchDir dir("golden-list");
    const auto r = run_acceltran({"list"}, dir);
    {
        INFO(describe(r));
        REQUIRE(r.exit_code == 0);
    }
    // `acceltran list` prints "models (DIR):" and "accelerators (DIR):", each followed by one
    // line per shipped name indented by two spaces (deeper lines are parameters of other sections).
    std::set<std::string> models, accels;
    std::set<std::string>* section = nullptr;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line[0] != ' ')
            section = line.rfind("models (", 0) == 0         ? &models
                      : line.rfind("accelerators (", 0) == 0 ? &accels
                                                               : nullptr;
        else if (section != nullptr && line.size() > 2 && line.compare(0, 2, "  ") == 0 && line[2] != ' ')
            section->insert(line.substr(2, line.find(' ', 2) - 2));
    }
    {
        INFO("acceltran list printed:\n" << r.out);
        REQUIRE(!models.empty());
        REQUIRE(!accels.empty());
    }

    std::set<std::string> golden_runs, golden_models;
    for (const auto& path : golden_files()) {
        const json g = load_json(path);
        golden_runs.insert(g.value("model", "") + "_" + g.value("accelerator", ""));
        golden_models.insert(g.value("model", ""));
    }
    for (const auto& m : models)
        for (const auto& a : accels) {
            INFO("built-in model " << m << " on built-in accelerator " << a);
            CHECK(golden_runs.count(m + "_" + a) == 1);
        }
    // A golden file whose model has no test case above would never be checked.
    CHECK(golden_models == models_with_a_test_case());
}
