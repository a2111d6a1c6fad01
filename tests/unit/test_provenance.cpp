// Provenance (core/provenance.h, core/sha256.h) and the run-directory tools built on it
// (explore/recorded_run.h, explore/run_comparison.h, core/csv_table.h), on hand-written files.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include "core/errors.h"
#include "core/provenance.h"
#include "core/sha256.h"
#include "core/csv_table.h"
#include "explore/recorded_run.h"
#include "explore/run_comparison.h"
#include "tests/integration/integration_support.h"

using namespace acceltran;
using namespace acceltran::testing;
using Catch::Contains;

namespace {

// A run directory holding `summary` and, unless empty, `ops_csv`.
std::string run_directory(const ScratchDir& scratch, const std::string& name, const nlohmann::json& summary,
                          const std::string& ops_csv = "") {
    const std::string dir = scratch / name;
    fs::create_directories(dir);
    write_text(dir + "/summary.json", summary.dump(2));
    if (!ops_csv.empty()) write_text(dir + "/ops.csv", ops_csv);
    return dir;
}

nlohmann::json provenance_with(std::vector<std::string> command_line) {
    Provenance p;
    p.version = "0.1.0";
    p.commit = "abc1234";
    p.command_line = std::move(command_line);
    p.working_directory = "/";
    return {{"cycles", 1}, {"provenance", p.to_json()}};
}

}  // namespace

TEST_CASE("SHA-256 of text and of a file matches the published test vector", "[provenance]") {
    // FIPS 180-2, appendix B.1: SHA-256("abc").
    const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    CHECK(sha256_hex("abc") == abc);
    ScratchDir scratch("sha256");
    write_text(scratch / "abc.txt", "abc");
    CHECK(sha256_file_hex(scratch / "abc.txt") == abc);
    CHECK_THROWS_WITH(sha256_file_hex(scratch / "missing"), Contains("missing") && Contains("cannot open"));
}

TEST_CASE("provenance survives its JSON form and a malformed one names the key", "[provenance]") {
    RunSettings settings;
    settings.gen_len = 8;
    Provenance p = Provenance::of_this_process({"acceltran", "run", "--gen-len", "8"}, settings);
    p.inputs = {{"a model YAML", "/m.yaml", std::string(64, 'a')}};
    const Provenance back = Provenance::from_json(p.to_json(), "x/summary.json");
    CHECK(back.to_json() == p.to_json());
    CHECK(back.settings["gen_len"] == 8);
    CHECK(back.settings["prompt_len"].is_null());
    CHECK_FALSE(back.commit.empty());
    nlohmann::json broken = p.to_json();
    broken["inputs"][0].erase("sha256");
    CHECK_THROWS_WITH(Provenance::from_json(broken, "x/summary.json"),
                      Contains("x/summary.json: provenance.inputs[0]") && Contains("sha256"));
}

TEST_CASE("rerun arguments drop every spelling of the output directory and --force", "[provenance]") {
    ScratchDir scratch("rerun-args");
    using Args = std::vector<std::string>;
    const auto rerun = [&](const Args& recorded, bool replace) {
        Args words = {"acceltran", "run"};
        words.insert(words.end(), recorded.begin(), recorded.end());
        const explore::RunDirectory dir(run_directory(scratch, "r", provenance_with(words)));
        return explore::RecordedRun(dir).rerun_arguments("/new", replace);
    };
    CHECK(rerun({"--model", "bert-tiny", "--out", "old", "--force"}, false) == Args{"--model", "bert-tiny", "--out", "/new"});
    CHECK(rerun({"--out=old", "-q"}, true) == Args{"-q", "--out", "/new", "--force"});
    CHECK(rerun({"--ou", "old", "--fo", "--seq", "64"}, false) == Args{"--seq", "64", "--out", "/new"});
    CHECK(rerun({"-o", "old", "-a", "acceltran-server"}, false) == Args{"-a", "acceltran-server", "--out", "/new"});
    CHECK(rerun({"-oold", "-qo", "old", "-qm", "gpt2"}, false) == Args{"-q", "-qm", "gpt2", "--out", "/new"});
    // --functional is not --force, --set out=... is not --out.
    CHECK(rerun({"--functional", "--set", "out=1"}, false) == Args{"--functional", "--set", "out=1", "--out", "/new"});
    const explore::RunDirectory other(run_directory(scratch, "s", provenance_with({"acceltran", "sweep"})));
    CHECK_THROWS_WITH(explore::RecordedRun{other}, Contains("provenance.command_line") && Contains("acceltran run"));
}

TEST_CASE("a CSV table reads quoted fields and names the line of a short row", "[provenance]") {
    const auto t = acceltran::CsvTable::parse("op,shape,cycles\nq,\"1,2\",3\n\"say \"\"hi\"\"\",x,4\n", "t.csv");
    REQUIRE(t.rows().size() == 2);
    CHECK(t.rows()[0][1] == "1,2");
    CHECK(t.rows()[1][0] == "say \"hi\"");
    CHECK(t.column("cycles") == std::optional<std::size_t>(2));
    CHECK_THROWS_WITH(acceltran::CsvTable::parse("a,b\n1,2\n3\n", "t.csv"), Contains("t.csv:3: expected 2 fields"));
    CHECK_THROWS_WITH(acceltran::CsvTable::parse("a,b\n\"1,2\n", "t.csv"), Contains("t.csv:2: a quoted field is not closed"));
}

TEST_CASE("a comparison lists configuration keys, then figures and ops by impact", "[provenance]") {
    ScratchDir scratch("compare");
    const nlohmann::json a = {{"accelerator", {{"pe", {{"count", 64}}}, {"name", "x"}}},
                              {"cycles", 1000}, {"energy_j", 2.0}, {"area_mm2", {{"total", 10.0}}},
                              {"macs", {{"total", 5}}}, {"wall_seconds", 1.0}, {"only_a", 1}};
    nlohmann::json b = a;
    b["accelerator"]["pe"]["count"] = 128;
    b["cycles"] = 500;             // -50 %
    b["energy_j"] = 2.2;           // +10 %
    b["area_mm2"]["total"] = 40.0; // +300 %
    b["wall_seconds"] = 7.0;       // host time: not compared
    b.erase("only_a");
    // Column totals in A: cycles 100 + 900 + 5 = 1005, bytes 10 + 10 + 1 = 21.
    const std::string ops_a = "op,kind,cycles,bytes\nqkv,matmul,100,10\nffn,matmul,900,10\nold,softmax,5,1\n";
    const std::string ops_b = "op,kind,cycles,bytes\nqkv,matmul,50,10\nffn,matmul,700,12\nnew,softmax,5,1\n";
    const explore::RunDirectory da(run_directory(scratch, "a", a, ops_a)), db(run_directory(scratch, "b", b, ops_b));
    const explore::RunComparison c(da, db);

    REQUIRE(c.configuration().size() == 1);
    CHECK(c.configuration()[0].key == "accelerator.pe.count");
    CHECK(c.configuration()[0].a == "64");
    CHECK(c.configuration()[0].b == "128");

    REQUIRE(c.figures().size() == 3);
    CHECK(c.figures()[0].key == "area_mm2.total");
    CHECK(c.figures()[1].key == "cycles");
    CHECK(c.figures()[1].relative() == Approx(-0.5));
    CHECK(c.figures()[2].key == "energy_j");
    CHECK(c.equal_figures() == 1);  // macs.total
    CHECK(c.figures_only_in_a() == std::vector<std::string>{"only_a"});

    // ffn cycles moves 200 of 1005, bytes 2 of 21, qkv cycles 50 of 1005.
    REQUIRE(c.compares_ops());
    REQUIRE(c.ops().size() == 3);
    CHECK(c.ops()[0].key == "ffn cycles");
    CHECK(c.ops()[0].impact == Approx(200.0 / 1005));
    CHECK(c.ops()[1].impact == Approx(2.0 / 21));
    CHECK(c.ops()[1].key == "ffn bytes");
    CHECK(c.ops()[2].key == "qkv cycles");
    CHECK(c.ops_only_in_a() == std::vector<std::string>{"old"});
    CHECK(c.ops_only_in_b() == std::vector<std::string>{"new"});

    std::ostringstream text;
    c.write(text, 2);
    CHECK_THAT(text.str(), Contains("accelerator.pe.count") && Contains("64  ->  128") && Contains("1 more"));
    CHECK(text.str().find("area_mm2.total") < text.str().find("cycles"));
    CHECK_THAT(text.str(), Contains("share of total") && Contains("19.90 %"));  // ffn cycles: 200 of 1005

    const explore::RunDirectory no_key(run_directory(scratch, "c", a, "name,cycles\nq,1\n"));
    CHECK_THROWS_WITH(explore::RunComparison(da, no_key), Contains("c/ops.csv:1: expected a column named op"));
}

TEST_CASE("a directory that is not a run is refused naming what is missing", "[provenance]") {
    ScratchDir scratch("not-a-run");
    CHECK_THROWS_WITH(explore::RunDirectory(scratch / "none"), Contains("none: no such directory"));
    fs::create_directories(scratch / "empty");
    CHECK_THROWS_WITH(explore::RunDirectory(scratch / "empty"), Contains("empty/summary.json: no such file"));
    const std::string old = run_directory(scratch, "old", {{"cycles", 1}});
    CHECK_THROWS_WITH(explore::RunDirectory(old).provenance(), Contains("old/summary.json: no key provenance"));
}
