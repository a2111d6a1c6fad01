// The run directory's traces, through the CLI on BERT-Tiny / AccelTran-Edge (seq 128, batch 4):
// trace.vcd is accepted by GTKWave's vcd2fst, is well formed (every changed signal declared,
// time never going back, the declared timescale), and a filtered, windowed trace is smaller and
// holds only the matching scopes and times; trace.perfetto.json parses, has one slice per tile op
// executed (counted per op from the compiled program, per unit class from summary.json), and no
// unit's slices overlap. timeline.csv has the documented columns, and its energies add up to
// summary.json's energy_j.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "modules/accelerator.h"
#include "tests/integration/integration_support.h"
#include "tests/source_tree.h"
#include "workloads/model_spec.h"
#include "workloads/op_graph.h"
#include "workloads/tiled_program.h"
#include "workloads/graph_builder.h"
#include "workloads/buffer_planner.h"

using namespace acceltran;
using namespace acceltran::testing;
using acceltran::testing::kSourceDir;

namespace {

constexpr double kEdgeClockMhz = 700;  // AccelTran-Edge (configs/accelerators/acceltran-edge.yaml)

struct Vcd {
    std::string timescale;
    std::set<std::string> scopes;          // full paths, e.g. "acceltran/pe0/lane3"
    std::map<std::string, std::string> ids;  // id -> path/name
    std::vector<std::uint64_t> times;
    std::set<std::string> changed_ids;
    bool time_monotonic = true;
};

Vcd parse_vcd(const std::string& text) {
    Vcd v;
    std::istringstream in(text);
    std::string line;
    std::vector<std::string> stack;
    bool definitions = true;
    while (std::getline(in, line)) {
        std::istringstream w(line);
        std::string tok;
        w >> tok;
        if (definitions) {
            if (tok == "$timescale") w >> v.timescale;
            if (tok == "$scope") {
                std::string kind, name;
                w >> kind >> name;
                stack.push_back(name);
                std::string path;
                for (const auto& s : stack) path += (path.empty() ? "" : "/") + s;
                v.scopes.insert(path);
            }
            if (tok == "$upscope") stack.pop_back();
            if (tok == "$var") {
                std::string type, width, id, name;
                w >> type >> width >> id >> name;
                v.ids[id] = (stack.empty() ? "" : stack.back()) + "/" + name;
            }
            if (tok == "$enddefinitions") definitions = false;
            continue;
        }
        if (tok.empty() || tok == "$dumpvars" || tok == "$end") continue;
        if (tok[0] == '#') {
            const std::uint64_t t = std::stoull(tok.substr(1));
            if (!v.times.empty() && t < v.times.back()) v.time_monotonic = false;
            v.times.push_back(t);
        } else if (tok[0] == 'b' || tok[0] == 'r') {
            std::string id;
            w >> id;
            v.changed_ids.insert(id);
        } else {
            v.changed_ids.insert(tok.substr(1));  // scalar: value then id
        }
    }
    return v;
}

}  // namespace

TEST_CASE("trace.vcd of BERT-Tiny converts with vcd2fst, and a filtered, windowed one keeps only what was asked",
          "[integration][trace][vcd]") {
    ScratchDir dir("vcd");
    const auto full = run_acceltran({"run", "-q", "--vcd", "-o", dir / "full"}, dir);
    REQUIRE(full.exit_code == 0);
    INFO(describe(full));
    const auto fst = dir / "full.fst";
    const int converted = std::system(("vcd2fst " + shell_quote(dir / "full/trace.vcd") + " " + shell_quote(fst) +
                                       " >/dev/null 2>&1").c_str());
    CHECK(converted == 0);
    CHECK(fs::exists(fst));
    CHECK(fs::file_size(fst) > 0);

    const Vcd v = parse_vcd(read_text(dir / "full/trace.vcd"));
    CHECK(v.timescale == "1ps");
    CHECK(v.time_monotonic);
    for (const auto& id : v.changed_ids) CHECK(v.ids.count(id) == 1);
    // One scope per instance: 64 PEs x (16 lanes + 4 softmax + 1 layer-norm), 2 DMA channels,
    // three buffers, main memory (configs/accelerators/acceltran-edge.yaml). Signals: busy, op
    // and power per unit; busy and tensor per channel; DMA power; busy, occupancy and power per
    // buffer; busy and power of main memory; total power.
    CHECK(v.scopes.count("acceltran/pe63/lane15") == 1);
    CHECK(v.scopes.count("acceltran/pe0/softmax3") == 1);
    CHECK(v.scopes.count("acceltran/pe0/layernorm0") == 1);
    CHECK(v.scopes.count("acceltran/dma/channel0") == 1);
    CHECK(v.scopes.count("acceltran/activation_buffer") == 1);
    CHECK(v.scopes.count("acceltran/main_memory") == 1);
    CHECK(v.ids.size() == 64 * 21 * 3 + 2 * 2 + 1 + 3 * 3 + 2 + 1);
    const auto summary = load_json(dir / "full/summary.json");
    // The last timestamp is the end of the run (cycles at 700 MHz in ps).
    CHECK(double(v.times.back()) == Approx(summary["cycles"].get<double>() * 1e6 / kEdgeClockMhz).margin(1));

    const auto part = run_acceltran({"run", "-q", "--vcd-filter", "pe0/*", "--vcd-filter", "*buffer",
                                     "--vcd-window", "1000:5000", "-o", dir / "part"}, dir);
    REQUIRE(part.exit_code == 0);
    CHECK(fs::file_size(dir / "part/trace.vcd") < fs::file_size(dir / "full/trace.vcd") / 4);
    const Vcd p = parse_vcd(read_text(dir / "part/trace.vcd"));
    for (const auto& s : p.scopes) {
        INFO(s);
        const bool pe0 = s == "acceltran/pe0" || s.rfind("acceltran/pe0/", 0) == 0;
        const bool buffer = s.size() >= 6 && s.compare(s.size() - 6, 6, "buffer") == 0;
        CHECK((s == "acceltran" || pe0 || buffer));
    }
    CHECK(p.scopes.count("acceltran/pe0/lane0") == 1);
    CHECK(p.scopes.count("acceltran/weight_buffer") == 1);
    CHECK(p.scopes.count("acceltran/pe1/lane0") == 0);
    CHECK(p.scopes.count("acceltran/main_memory") == 0);
    REQUIRE(!p.times.empty());
    const double lo = 1000 * 1e6 / kEdgeClockMhz, hi = 5000 * 1e6 / kEdgeClockMhz;
    CHECK(double(p.times.front()) == Approx(lo).margin(1));
    CHECK(double(p.times.back()) == Approx(hi).margin(1));
    for (auto t : p.times) CHECK((double(t) >= lo - 1 && double(t) <= hi + 1));
    CHECK(std::system(("vcd2fst " + shell_quote(dir / "part/trace.vcd") + " " + shell_quote(dir / "part.fst") +
                       " >/dev/null 2>&1").c_str()) == 0);
    CHECK(part.err.empty());  // both filters matched something

    // A filter that matches no scope (Edge has 64 PEs) is named in a warning listing the scopes.
    const auto typo = run_acceltran({"run", "-q", "--vcd-filter", "pe64/*", "--vcd-filter", "pe0/lane0", "-o",
                                     dir / "typo"}, dir);
    INFO(describe(typo));
    REQUIRE(typo.exit_code == 0);
    CHECK_THAT(typo.err, Catch::Contains("warning: --vcd-filter 'pe64/*' matches no scope of this design; its scopes: "
                                         "pe0..pe63 with lane0..lane15, softmax0..softmax3, layernorm0..layernorm0; "
                                         "dma, dma/channel0..dma/channel1; activation_buffer") &&
                             Catch::Contains("main_memory; total"));
    CHECK_THAT(typo.err, !Catch::Contains("'pe0/lane0'"));
    CHECK(parse_vcd(read_text(dir / "typo/trace.vcd")).scopes.count("acceltran/pe0/lane0") == 1);
}

TEST_CASE("acceltran run rejects a malformed --vcd-window or --trace-window with exit 2", "[integration][trace][vcd]") {
    ScratchDir dir("vcd-window");
    for (const std::string option : {"--vcd-window", "--trace-window"})
        for (const std::string w : {"5000:1000", "abc", "10:x", "-5:10"}) {
            INFO(option << " " << w);
            const auto r = run_acceltran({"run", "-q", option, w, "-o", dir / "out"}, dir);
            CHECK(r.exit_code == 2);
            CHECK(r.err.find(option) != std::string::npos);
            CHECK(!fs::exists(dir / "out"));
        }
}

// One Perfetto event as the tests compare them: process, track, start and duration in whole ns.
using PerfettoSliceKey = std::tuple<int, int, long long, long long, std::string>;

TEST_CASE("Perfetto trace filter and window keep only the chosen tracks and the slices touching the window",
          "[integration][trace][perfetto]") {
    // Tile slices: a run of tiles (the default) is cut by the window, so only tiles compare one to one.
    ScratchDir dir("perfetto-select");
    auto r = run_acceltran({"run", "-q", "--perfetto=tiles", "-o", dir / "full"}, dir);
    REQUIRE(r.exit_code == 0);
    r = run_acceltran({"run", "-q", "--perfetto=tiles", "--trace-filter", "pe0/*", "--trace-filter", "dma",
                       "--trace-window", "1000:5000", "-o", dir / "part"},
                      dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());  // both filters matched a track
    // Slices touching cycles 1000 to 5000 (in µs at 700 MHz); a slice's ends are rounded to whole
    // ns (docs/outputs.md), hence the half-nanosecond allowance.
    const double lo = 1000 / kEdgeClockMhz, hi = 5000 / kEdgeClockMhz, half_ns = 0.5e-3;
    auto slices = [](const nlohmann::json& trace, auto keep) {
        std::set<PerfettoSliceKey> out;
        for (const auto& ev : trace["traceEvents"])
            if (ev["ph"] == "X" && keep(ev))
                out.emplace(ev["pid"].get<int>(), ev["tid"].get<int>(), std::llround(ev["ts"].get<double>() * 1e3),
                            std::llround(ev["dur"].get<double>() * 1e3), ev["name"].get<std::string>());
        return out;
    };
    const auto full = load_json(dir / "full/trace.perfetto.json"), part = load_json(dir / "part/trace.perfetto.json");
    const auto expected = slices(full, [&](const nlohmann::json& ev) {
        const int pid = ev["pid"].get<int>();  // 0: the memory system's DMA channels, 1: pe0
        const double ts = ev["ts"].get<double>(), end = ts + ev["dur"].get<double>();
        return (pid == 0 || pid == 1) && end >= lo - half_ns && ts <= hi + half_ns;
    });
    const auto kept = slices(part, [](const nlohmann::json&) { return true; });
    CHECK(!expected.empty());
    CHECK(kept == expected);
    std::set<int> kept_pids;
    for (const auto& k : kept) kept_pids.insert(std::get<0>(k));
    CHECK(kept_pids == std::set<int>{0, 1});
    for (const auto& ev : part["traceEvents"]) CHECK(ev["ph"] != "C");  // no counter matched

    // The counters are tracks too; a filter that matches nothing is named with the tracks there are.
    r = run_acceltran({"run", "-q", "--trace-filter", "power", "--trace-filter", "pe64", "--trace-window", "1000:5000",
                       "-o", dir / "power"},
                      dir);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("warning: --trace-filter 'pe64' matches no track of this design; its tracks: "
                                      "pe0..pe63 with lane0..lane15, softmax0..softmax3, layernorm0..layernorm0; "
                                      "dma, dma/channel0..dma/channel1; power; occupancy"));
    CHECK_THAT(r.err, !Catch::Contains("'power'"));
    std::size_t counters = 0;
    const auto power = load_json(dir / "power/trace.perfetto.json");
    for (const auto& ev : power["traceEvents"]) {
        if (ev["ph"] == "M") continue;
        CHECK(ev["ph"] == "C");
        CHECK(ev["name"] == "power (W)");
        ++counters;
    }
    // The timeline's periods touching the window, no others: the full trace's power counters
    // whose period (from one sample to the next) touches cycles 1000 to 5000.
    std::vector<double> starts;
    for (const auto& ev : full["traceEvents"])
        if (ev["ph"] == "C" && ev["name"] == "power (W)") starts.push_back(ev["ts"].get<double>());
    // Counter times are printed to the picosecond (%.6f µs): half of that is the allowance.
    const double half_ps = 0.5e-6;
    std::size_t touching = 0;
    for (std::size_t i = 0; i < starts.size(); ++i)
        touching += starts[i] <= hi + half_ps && (i + 1 == starts.size() || starts[i + 1] >= lo - half_ps);
    CHECK(counters == touching);
    CHECK(counters > 0);
    CHECK(counters < starts.size());
}

TEST_CASE("trace.perfetto.json of BERT-Tiny with --perfetto=tiles has one slice per tile op, on non-overlapping unit tracks",
          "[integration][trace][perfetto]") {
    ScratchDir dir("perfetto");
    const auto r = run_acceltran({"run", "-q", "--perfetto=tiles", "-o", dir / "run"}, dir);
    REQUIRE(r.exit_code == 0);
    const auto trace = load_json(dir / "run/trace.perfetto.json");
    const auto summary = load_json(dir / "run/summary.json");

    // Tile ops per op, from the compiled program.
    const AcceleratorConfig config = load_accelerator("acceltran-edge", kSourceDir + "/configs", {});
    const auto model = workloads::load_model("bert-tiny", kSourceDir + "/workloads/models");
    const auto graph = workloads::build_op_graph(model, 128, 4);
    const auto program = workloads::compile_program(graph, compile_options(config));
    std::map<std::string, std::uint64_t> expected;
    for (const auto& e : program.entries)
        if (e.kind == workloads::EntryKind::Compute) expected[graph.ops[e.op].name] += e.grid.tiles();

    std::map<std::string, std::uint64_t> slices;
    std::map<std::string, std::uint64_t> per_class;  // by the op kind's unit class
    std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> tracks;
    std::uint64_t dma = 0;
    for (const auto& ev : trace["traceEvents"]) {
        if (ev["ph"] != "X") continue;
        if (ev["cat"] == "dma") {
            ++dma;
            continue;
        }
        slices[ev["name"].get<std::string>()]++;
        CHECK(ev["args"].contains("layer"));
        CHECK(ev["args"]["op_kind"] == ev["cat"]);
        CHECK(ev["args"]["tiles"] == 1);
        const std::string kind = ev["cat"];
        per_class[kind == "softmax" ? "softmax" : kind == "layernorm" ? "layernorm" : "mac_lane"]++;
        tracks[{ev["pid"].get<int>(), ev["tid"].get<int>()}].emplace_back(ev["ts"].get<double>(), ev["dur"].get<double>());
    }
    CHECK(slices == expected);
    for (const char* c : {"mac_lane", "softmax", "layernorm"}) {
        INFO(c);
        CHECK(per_class[c] == summary["units"][c]["tiles"].get<std::uint64_t>());
    }
    CHECK(dma == summary["program"]["loads"].get<std::uint64_t>() + summary["program"]["spills"].get<std::uint64_t>() +
                     summary["program"]["stores"].get<std::uint64_t>());
    // A unit computes one tile at a time, and no slice overlaps the next on its track once ts and
    // dur are each converted to whole nanoseconds, as a viewer does (exactly, with no tolerance;
    // before ts and dur were rounded from one pair of nanosecond ends, 211 slices overlapped).
    std::size_t overlaps = 0;
    for (auto& [track, s] : tracks) {
        std::vector<std::pair<long long, long long>> ns;
        for (const auto& [ts, dur] : s) ns.emplace_back(std::llround(ts * 1e3), std::llround(dur * 1e3));
        std::sort(ns.begin(), ns.end());
        for (std::size_t i = 1; i < ns.size(); ++i) overlaps += ns[i].first < ns[i - 1].first + ns[i - 1].second;
    }
    CHECK(overlaps == 0);
}

namespace {
// The unit slices of a trace: per track, (start, end) in whole ns with the op id, tile count and busy ns.
struct PerfettoUnitSlice {
    long long start, end;
    int op;
    std::uint64_t tiles;
    long long busy;
};
std::map<std::pair<int, int>, std::vector<PerfettoUnitSlice>> perfetto_unit_tracks(const nlohmann::json& trace) {
    std::map<std::pair<int, int>, std::vector<PerfettoUnitSlice>> tracks;
    for (const auto& ev : trace["traceEvents"]) {
        if (ev["ph"] != "X" || ev["cat"] == "dma") continue;
        const long long start = std::llround(ev["ts"].get<double>() * 1e3);
        tracks[{ev["pid"].get<int>(), ev["tid"].get<int>()}].push_back(
            {start, start + std::llround(ev["dur"].get<double>() * 1e3), ev["args"]["op"].get<int>(),
             ev["args"]["tiles"].get<std::uint64_t>(), std::llround(ev["args"]["busy_us"].get<double>() * 1e3)});
    }
    for (auto& [track, slices] : tracks)
        std::sort(slices.begin(), slices.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
    return tracks;
}
}  // namespace

TEST_CASE("Perfetto runs of BERT-Tiny cover its tile slices exactly: same tiles per op, same busy time, no overlap",
          "[integration][trace][perfetto]") {
    ScratchDir dir("perfetto-runs");
    auto r = run_acceltran({"run", "-q", "--perfetto", "-o", dir / "runs"}, dir);
    REQUIRE(r.exit_code == 0);
    r = run_acceltran({"run", "-q", "--perfetto=tiles", "-o", dir / "tiles"}, dir);
    REQUIRE(r.exit_code == 0);
    const auto runs = perfetto_unit_tracks(load_json(dir / "runs/trace.perfetto.json"));
    const auto tiles = perfetto_unit_tracks(load_json(dir / "tiles/trace.perfetto.json"));
    REQUIRE(runs.size() == tiles.size());
    std::size_t run_count = 0, tile_count = 0, misplaced = 0, overlaps = 0, long_gaps_inside = 0;
    for (const auto& [track, tile_slices] : tiles) {
        INFO("pid " << track.first << " tid " << track.second);
        REQUIRE(runs.count(track));
        const auto& run_slices = runs.at(track);
        run_count += run_slices.size();
        tile_count += tile_slices.size();
        for (std::size_t i = 1; i < run_slices.size(); ++i) overlaps += run_slices[i].start < run_slices[i - 1].end;
        // Every tile lies in the run of its op that starts at or before it; the run's first tile
        // starts it and its last tile ends it, its tile count and busy time are its tiles'.
        std::size_t t = 0;
        for (const auto& run : run_slices) {
            std::uint64_t n = 0;
            long long busy = 0, first = -1, last = -1, previous_end = -1, previous_duration = 0;
            while (t < tile_slices.size() && tile_slices[t].start < run.end) {
                const auto& tile = tile_slices[t++];
                misplaced += tile.op != run.op || tile.start < run.start || tile.end > run.end;
                // A gap inside a run is at most one tile long (rounding: 2 ns).
                if (previous_end >= 0) long_gaps_inside += tile.start - previous_end > previous_duration + 2;
                if (first < 0) first = tile.start;
                last = tile.end;
                previous_end = tile.end;
                previous_duration = tile.end - tile.start;
                ++n;
                busy += tile.end - tile.start;
            }
            CHECK(n == run.tiles);
            CHECK(first == run.start);
            CHECK(last == run.end);
            CHECK(std::llabs(busy - run.busy) <= std::int64_t(n));  // each tile's ns rounded once
        }
        CHECK(t == tile_slices.size());
    }
    CHECK(misplaced == 0);
    CHECK(overlaps == 0);
    CHECK(long_gaps_inside == 0);
    // BERT-Tiny/Edge: 62,976 tile slices; runs are several times fewer (10,759 when this was written).
    CHECK(tile_count > 4 * run_count);

    // The fast detail level reports back-to-back tiles as one event when the trace asks for runs,
    // and a job group's chunk as one event for its units: the tiles per op are the same, and so is
    // the run (the trace does not turn the groups off).
    r = run_acceltran({"run", "-q", "--detail", "fast", "--perfetto", "-o", dir / "fast"}, dir);
    REQUIRE(r.exit_code == 0);
    r = run_acceltran({"run", "-q", "--detail", "fast", "-o", dir / "fast-untraced"}, dir);
    REQUIRE(r.exit_code == 0);
    CHECK(load_json(dir / "fast/summary.json")["cycles"] == load_json(dir / "fast-untraced/summary.json")["cycles"]);
    CHECK(load_json(dir / "fast/summary.json")["energy_j"] == load_json(dir / "fast-untraced/summary.json")["energy_j"]);
    std::map<int, std::uint64_t> fast_tiles, full_tiles;
    for (const auto& [track, s] : perfetto_unit_tracks(load_json(dir / "fast/trace.perfetto.json")))
        for (const auto& run : s) fast_tiles[run.op] += run.tiles;
    for (const auto& [track, s] : tiles)
        for (const auto& tile : s) full_tiles[tile.op] += tile.tiles;
    CHECK(fast_tiles == full_tiles);
}

TEST_CASE("acceltran run rejects --perfetto=frames with exit 2 and writes no run directory", "[integration][trace][perfetto]") {
    ScratchDir dir("perfetto-bad");
    const auto r = run_acceltran({"run", "-q", "--perfetto=frames", "-o", dir / "run"}, dir);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--perfetto: expected runs or tiles, got 'frames'"));
    CHECK_FALSE(std::filesystem::exists(dir / "run"));
}

TEST_CASE("timeline.csv has the documented columns and its energies add up to energy_j", "[integration][trace][timeline]") {
    ScratchDir dir("timeline");
    const auto r = run_acceltran({"run", "-q", "--sample-cycles", "1000", "-o", dir / "run"}, dir);
    REQUIRE(r.exit_code == 0);
    const auto summary = load_json(dir / "run/summary.json");
    std::istringstream csv(read_text(dir / "run/timeline.csv"));
    std::string header;
    std::getline(csv, header);
    CHECK(header.rfind("start_cycle,cycles,time_us,util_mac_lanes,", 0) == 0);
    const auto columns = std::count(header.begin(), header.end(), ',') + 1;
    CHECK(columns == 27);
    const std::size_t energy_col = 23;  // 0-based: energy_j (docs/outputs.md)
    std::string line;
    std::size_t rows = 0;
    double energy = 0, cycles = 0;
    while (std::getline(csv, line)) {
        std::vector<std::string> f;
        std::istringstream l(line);
        for (std::string x; std::getline(l, x, ',');) f.push_back(x);
        REQUIRE(f.size() == std::size_t(columns));
        energy += std::stod(f[energy_col]);
        cycles += std::stod(f[1]);
        ++rows;
    }
    // --sample-cycles 1000: ceil(cycles / 1000) rows.
    CHECK(rows == std::size_t(std::ceil(summary["cycles"].get<double>() / 1000)));
    CHECK(cycles == Approx(summary["cycles"].get<double>()));
    // Each row's energy is printed with 9 significant digits.
    CHECK(energy == Approx(summary["energy_j"].get<double>()).epsilon(1e-6));
    CHECK(summary["power_w"]["peak"].get<double>() >= summary["power_w"]["average"].get<double>());
    CHECK(summary["power_w"]["peak_sample_cycles"].get<double>() == 1000);
}
