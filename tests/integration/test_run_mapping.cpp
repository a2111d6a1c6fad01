// `acceltran run --mapping FILE` end to end (issue 19 item 3, docs/mapping.md §3): the mapping
// --write-mapping writes replays the same run bit for bit, is recorded in the provenance so that
// `acceltran rerun` replays it, and a bad entry stops the run before anything is written.
#include <catch2/catch.hpp>

#include <string>

#include "core/sha256.h"
#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Contains;

namespace {

// BERT-Tiny at a small shape on Edge, into `dir/name`, with `extra` options.
CommandResult run_mapping_point(const ScratchDir& dir, const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> args{"run", "-q", "--model", "bert-tiny", "--seq", "32", "--batch", "2", "--out", dir / name};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_acceltran(args, dir);
}

// BERT-Tiny into `dir/out` following a mapping file `dir/m.yaml` of `text`.
CommandResult run_mapping_text(const ScratchDir& dir, const std::string& text) {
    write_text(dir / "m.yaml", text);
    return run_mapping_point(dir, "out", {"--mapping", dir / "m.yaml"});
}

// summary.json without what differs between two runs of the same point: wall time and how it
// was asked for.
nlohmann::json mapping_run_figures(nlohmann::json summary) {
    summary.erase("wall_seconds");
    summary.erase("provenance");
    return summary;
}

// The text after the first line (the comment saying where the mapping came from).
std::string mapping_body(const std::string& yaml) { return yaml.substr(yaml.find('\n') + 1); }

}  // namespace

TEST_CASE("run --mapping of what --write-mapping wrote reproduces the run bit for bit", "[integration][mapping]") {
    ScratchDir dir("run_mapping");
    const auto first = run_mapping_point(dir, "first", {"--write-mapping"});
    INFO(describe(first));
    REQUIRE(first.exit_code == 0);
    const std::string mapping = dir / "first/mapping.yaml";
    const auto second = run_mapping_point(dir, "second", {"--mapping", mapping, "--write-mapping"});
    INFO(describe(second));
    REQUIRE(second.exit_code == 0);
    CHECK(second.err.empty());
    CHECK(mapping_run_figures(load_json(dir / "first/summary.json")) ==
          mapping_run_figures(load_json(dir / "second/summary.json")));
    CHECK(read_text(dir / "first/ops.csv") == read_text(dir / "second/ops.csv"));
    CHECK(read_text(dir / "first/timeline.csv") == read_text(dir / "second/timeline.csv"));
    // The mapping used is the one read, said to come from it.
    const std::string used = read_text(dir / "second/mapping.yaml");
    CHECK_THAT(used, Catch::StartsWith("# The mapping of every op (docs/mapping.md), mapping of bert-tiny on "
                                       "acceltran-edge from " + mapping + ".\n"));
    CHECK(mapping_body(used) == mapping_body(read_text(mapping)));

    // The provenance names the file with its SHA-256, and rerun replays it.
    const auto p = load_json(dir / "second/summary.json")["provenance"];
    CHECK(p["settings"]["mapping"] == mapping);
    CHECK(load_json(dir / "first/summary.json")["provenance"]["settings"]["mapping"].is_null());
    bool recorded = false;
    for (const auto& input : p["inputs"])
        recorded = recorded || (input["path"] == mapping && input["kind"] == "a mapping YAML" &&
                                input["sha256"] == acceltran::sha256_file_hex(mapping));
    CHECK(recorded);
    const auto again = run_acceltran({"rerun", dir / "second", "--out", dir / "third"}, dir);
    INFO(describe(again));
    REQUIRE(again.exit_code == 0);
    CHECK(read_text(dir / "third/ops.csv") == read_text(dir / "second/ops.csv"));
    CHECK(load_json(dir / "third/summary.json")["provenance"]["settings"]["mapping"] == mapping);
    // An edited mapping is a changed input: rerun refuses without --force.
    write_text(mapping, read_text(mapping) + "\n");
    const auto changed = run_acceltran({"rerun", dir / "second", "--out", dir / "fourth"}, dir);
    CHECK(changed.exit_code == 3);
    CHECK_THAT(changed.err, Contains(mapping + " (a mapping YAML)"));
}

TEST_CASE("run --mapping refuses a bad entry with its file and line before writing anything", "[integration][mapping]") {
    ScratchDir dir("run_mapping_bad");
    const auto r = run_mapping_text(dir, "ops:\n  - op: l0.attn.q\n  - op: l9.attn.q\n");
    INFO(describe(r));
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Contains(dir / "m.yaml" + ":3:") && Contains("unknown op 'l9.attn.q'"));
    CHECK_FALSE(fs::exists(dir / "out"));
    const auto missing = run_mapping_point(dir, "out", {"--mapping", dir / "none.yaml"});
    CHECK(missing.exit_code == 3);
    CHECK_THAT(missing.err, Contains(dir / "none.yaml"));
}

TEST_CASE("run --mapping warns about a derived double_buffering that disagrees and runs", "[integration][mapping]") {
    ScratchDir dir("run_mapping_warning");
    const auto r = run_mapping_text(dir, "ops:\n  - op: l1.ffn.h1\n    double_buffering: true\n");
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Contains("acceltran run: warning: " + dir / "m.yaml" + ":3:") &&
                          Contains("ops[0].double_buffering: the default mapping gives false"));
}

// (A loop order changes nothing here: on Edge every job of these ops holds one output tile, so
// there is no next tile to reuse an operand for; tests/unit/test_op_blocking.cpp checks that
// the order reaches the op's compute entry.)
TEST_CASE("run --mapping of another tile for one op changes its ops.csv row and none before it",
          "[integration][mapping]") {
    ScratchDir dir("run_mapping_directive");
    const auto base = run_mapping_point(dir, "base", {});
    INFO(describe(base));
    REQUIRE(base.exit_code == 0);
    const std::string rows = read_text(dir / "base/ops.csv");
    const std::size_t at = rows.find("\nl1.ffn.h1,");
    REQUIRE(at != std::string::npos);
    const std::string before = rows.substr(0, at + 1);
    const std::string row = rows.substr(at + 1, rows.find('\n', at + 1) - at);
    for (const std::string& entry : {std::string("    buffer_tile: {b: 1, x: 8, y: 32}\n"),
                                     std::string("    buffer_tile: {b: 2, x: 32, y: 16}\n    loop_order: b_k_j_i\n    stationary: weight\n")}) {
        INFO(entry);
        const auto r = run_mapping_text(dir, "ops:\n  - op: l1.ffn.h1\n" + entry);
        INFO(describe(r));
        REQUIRE(r.exit_code == 0);
        const std::string mapped = read_text(dir / "out/ops.csv");
        CHECK(mapped.substr(0, before.size()) == before);
        CHECK(mapped.substr(before.size(), row.size()) != row);
        fs::remove_all(dir / "out");
    }
}
