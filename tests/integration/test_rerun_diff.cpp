// `acceltran rerun` and `acceltran diff` end to end (issue 23 items 3 and 4): a BERT-Tiny run
// reproduced bit for bit from its own directory, a changed input refused, and Edge against
// Server compared with the differences in order of impact.
#include <catch2/catch.hpp>

#include <cmath>
#include <regex>
#include <sstream>

#include "core/sha256.h"
#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Contains;

namespace {

// `acceltran ARGS` run by the shell from `cwd`, stderr after stdout.
CommandResult acceltran_in(const std::string& cwd, const std::string& args) {
    return run_shell("cd " + shell_quote(cwd) + " && " + shell_quote(ACCELTRAN_BINARY) + " " + args + " 2>&1");
}

// summary.json without the fields a rerun must change: the host's wall time and the command line
// (which names the new output directory). docs/outputs.md, provenance.
nlohmann::json reproducible_part(nlohmann::json summary) {
    summary.erase("wall_seconds");
    summary["provenance"].erase("command_line");
    return summary;
}

}  // namespace

TEST_CASE("rerun reproduces a BERT-Tiny run bit-identically from its directory", "[integration][provenance]") {
    ScratchDir dir("rerun");
    // A relative --out and a relative model path, as a user types them, from another directory.
    fs::copy_file(std::string(ACCELTRAN_SOURCE_DIR) + "/workloads/models/bert-tiny.yaml", dir / "tiny.yaml");
    const auto first = acceltran_in(dir.path(), "run -q --model ./tiny.yaml --seq 64 --batch 2 --perfetto --write-mapping --out first");
    INFO(describe(first));
    REQUIRE(first.exit_code == 0);
    const auto original = load_json(dir / "first/summary.json");
    const auto& p = original["provenance"];
    CHECK(p["command_line"] == std::vector<std::string>{"acceltran", "run", "-q", "--model", "./tiny.yaml", "--seq", "64",
                                                         "--batch", "2", "--perfetto", "--write-mapping", "--out", "first"});
    CHECK(p["working_directory"] == dir.path().string());
    CHECK_FALSE(p["commit"].get<std::string>().empty());
    CHECK(p["settings"]["seq"] == 64);
    // The model, the accelerator and the technology table, each with the SHA-256 of its bytes.
    REQUIRE(p["inputs"].size() == 3);
    bool model_found = false;
    for (const auto& input : p["inputs"]) {
        CHECK(input["sha256"] == acceltran::sha256_file_hex(input["path"]));
        model_found = model_found || input["path"] == dir / "tiny.yaml";
    }
    CHECK(model_found);

    // From elsewhere, into a new directory: everything but wall time and command line is equal,
    // and every other file byte for byte.
    const auto again = acceltran_in("/", "rerun " + shell_quote(dir / "first") + " --out " + shell_quote(dir / "second"));
    INFO(describe(again));
    REQUIRE(again.exit_code == 0);
    const auto rerun = load_json(dir / "second/summary.json");
    CHECK(reproducible_part(rerun) == reproducible_part(original));
    CHECK(rerun["provenance"]["command_line"].back() == dir / "second");
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir / "first")) files.push_back(e.path().filename().string());
    CHECK(files.size() >= 4);  // summary.json, timeline.csv, trace.perfetto.json, mapping.yaml (and ops.csv where written)
    for (const std::string& f : files) {
        if (f == "summary.json") continue;
        INFO(f);
        CHECK_FALSE(read_text(dir / ("first/" + f)).empty());
        CHECK(read_text(dir / ("second/" + f)) == read_text(dir / ("first/" + f)));
    }

    // An input that changed since is refused, naming the file and both digests; --force runs it.
    write_text(dir / "tiny.yaml", read_text(dir / "tiny.yaml") + "\n# edited\n");
    const auto refused = acceltran_in(dir.path(), "rerun first --out third");
    CHECK(refused.exit_code == 3);
    CHECK_THAT(refused.out, Contains("first/summary.json: provenance.inputs") && Contains(dir / "tiny.yaml") &&
                                Contains("--force"));
    CHECK_FALSE(fs::exists(dir / "third"));
    const auto forced = acceltran_in(dir.path(), "rerun first --out third --force");
    CHECK(forced.exit_code == 0);
    CHECK_THAT(forced.out, Contains("warning: input file(s) changed"));
    CHECK(fs::exists(dir / "third/summary.json"));
}

TEST_CASE("diff of Edge and Server on BERT-Tiny lists configuration, then figures by relative change",
          "[integration][provenance]") {
    ScratchDir dir("diff");
    const std::vector<std::string> tiny = {"-q", "--model", "bert-tiny", "--seq", "64", "--batch", "2"};
    REQUIRE(run_into(dir, "edge", tiny, {"--accel", "acceltran-edge"}).exit_code == 0);
    REQUIRE(run_into(dir, "server", tiny, {"--accel", "acceltran-server"}).exit_code == 0);
    const auto r = run_acceltran({"diff", dir / "edge", dir / "server", "--top", "0"}, dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    const std::string& out = r.out;
    const auto configuration = out.find("configuration:"), figures = out.find("summary figures:");
    REQUIRE(configuration < figures);
    CHECK(out.find("accelerator.pe.count") < figures);
    CHECK_THAT(out, Contains("acceltran-edge  ->  acceltran-server"));
    // Line by line: std::regex's (.|\n)* over the whole output recurses once per character and
    // overflowed the stack once the output held every op's differences (ops.csv).
    {
        const std::regex pe_count(R"(\s*accelerator\.pe\.count +64  ->  512)");
        std::istringstream all(out.substr(0, figures));
        std::string text_line;
        bool seen = false;
        while (std::getline(all, text_line)) seen = seen || std::regex_match(text_line, pe_count);
        CHECK(seen);
    }
    // The figure rows: relative changes never grow down the list; cycles fall, area grows.
    std::istringstream lines(out.substr(figures));
    std::string line;
    std::vector<double> magnitudes;
    std::vector<std::string> keys;
    const std::regex row(R"(  (\S+) +\S+ +\S+ +\S+ +([+-][0-9.]+) %)");
    while (std::getline(lines, line) && !line.empty()) {
        std::smatch m;
        if (!std::regex_match(line, m, row)) continue;
        keys.push_back(m[1]);
        magnitudes.push_back(std::fabs(std::stod(m[2])));
    }
    REQUIRE(magnitudes.size() > 20);
    CHECK(std::is_sorted(magnitudes.rbegin(), magnitudes.rend()));
    CHECK(keys.front() == "units.softmax.units");  // 4 -> 32 softmax units per PE on 8x the PEs: x64
    CHECK(std::find(keys.begin(), keys.end(), "cycles") != keys.end());
    CHECK_THAT(out, Contains("per op: not compared") || Contains("per op (ops.csv)"));

    // A missing or unreadable directory: a located input error.
    const auto missing = run_acceltran({"diff", dir / "edge", dir / "nowhere"}, dir);
    CHECK(missing.exit_code == 3);
    CHECK_THAT(missing.err, Contains(dir / "nowhere") && Contains("no such directory"));
    fs::create_directories(dir / "broken");
    write_text(dir / "broken/summary.json", "{\"cycles\": ");
    const auto broken = run_acceltran({"diff", dir / "broken", dir / "edge"}, dir);
    CHECK(broken.exit_code == 3);
    CHECK_THAT(broken.err, Contains("broken/summary.json: malformed JSON") && Contains("line 1"));
}

TEST_CASE("rerun's default output is a sibling DIR-rerun however DIR is written", "[integration][provenance]") {
    // `rerun first/.` and `rerun .` (from inside the run) wrote first/.-rerun: a hidden directory
    // inside the run directory it reproduces.
    ScratchDir dir("rerun-default-out");
    REQUIRE(acceltran_in(dir.path(), "run -q --seq 32 --batch 1 --out first").exit_code == 0);
    const auto dotted = acceltran_in(dir.path(), "rerun first/.");
    INFO(describe(dotted));
    CHECK(dotted.exit_code == 0);
    CHECK(fs::exists(dir / "first-rerun/summary.json"));
    const auto inside = acceltran_in(dir / "first", "rerun . --force");
    INFO(describe(inside));
    CHECK(inside.exit_code == 0);
    CHECK(std::distance(fs::directory_iterator(dir / "first"), fs::directory_iterator()) == 4);  // its own files only
    CHECK_FALSE(fs::exists(dir / "first/.-rerun"));
}
