// scripts/figures/*: each figure of the AccelTran reproduction (docs/validation.md) run at its
// --reduced size, so that none of them rots. Per script: exit 0, <name>.csv with the expected
// header and row count, <name>.png non-blank, no temporary files or run directories left behind,
// and a few invariants of the numbers. The scripts run under /usr/bin/python3 (their shebang).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/csv_table.h"
#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Matchers::Contains;

namespace {

const std::string kFigureScripts = std::string(ACCELTRAN_SOURCE_DIR) + "/scripts/figures/";

// Runs scripts/figures/<name> --reduced into `out` with the test build's binary.
CommandResult run_figure(const std::string& name, const std::string& out, const std::string& extra = "") {
    return run_shell(shell_quote(kFigureScripts + name) + " --reduced --jobs 2 --out " + shell_quote(out) + " --binary " +
                     shell_quote(ACCELTRAN_BINARY) + " " + extra + " 2>&1");
}

// The PNG: a real PNG file, not tiny, with spread-out pixel values and coloured data (as
// test_plot.cpp: a blank white figure has standard deviation 0 and no coloured pixels).
void check_png(const std::string& path) {
    INFO(path);
    REQUIRE(fs::exists(path));
    CHECK(read_text(path).substr(0, 8) == "\x89PNG\r\n\x1a\n");
    CHECK(fs::file_size(path) > 15 * 1024);
    const std::string script =
        "import sys, matplotlib.image as m\n"
        "a = m.imread(sys.argv[1])[..., :3]\n"
        "print(a.std(), ((a.max(-1) - a.min(-1)) > 0.1).mean())\n";
    const auto stats = run_shell("/usr/bin/python3 -c " + shell_quote(script) + " " + shell_quote(path) + " 2>&1");
    INFO(describe(stats));
    REQUIRE(stats.exit_code == 0);
    std::istringstream values(stats.out);
    double deviation = -1, coloured = -1;
    values >> deviation >> coloured;
    INFO("pixel standard deviation " << deviation << ", coloured fraction " << coloured);
    // Measured at --reduced: standard deviation 0.15 to 0.3; coloured pixels 1.4 % (the sparsity
    // figure's two lines) to 20 % (bars). The same axes without data have no coloured pixel (text,
    // grid and the shaded spans are grey).
    CHECK(deviation > 0.05);
    CHECK(coloured > 0.005);
}

// Runs the figure and checks the files every figure must write; returns its table.
CsvContents run_and_check(const std::string& name, const ScratchDir& dir, const std::vector<std::string>& columns,
                    std::size_t rows, CommandResult* result = nullptr) {
    const std::string out = dir / "figures";
    const auto run = run_figure(name, out);
    INFO(describe(run));
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.out, Contains(out + "/" + name + ".csv") && Contains(out + "/" + name + ".png"));
    const auto table = read_csv(out + "/" + name + ".csv");
    CHECK(table.header == columns);
    if (rows > 0) CHECK(table.rows.size() == rows);
    for (const auto& row : table.rows) CHECK(row.size() == columns.size());
    check_png(out + "/" + name + ".png");
    // Only the two outputs: no temporary file, no leftover run directory.
    std::vector<std::string> entries;
    for (const auto& e : fs::directory_iterator(out)) entries.push_back(e.path().filename().string());
    std::sort(entries.begin(), entries.end());
    CHECK(entries == std::vector<std::string>{name + ".csv", name + ".png"});
    if (result != nullptr) *result = run;
    return table;
}

}  // namespace

TEST_CASE("scripts/figures/dataflow writes energy and reuse for all 24 loop orders", "[unsanitized][integration][figures]") {
    ScratchDir dir("fig-dataflow");
    const auto t = run_and_check("dataflow", dir,
                                 {"model", "loop_order", "cycles", "energy_j", "onchip_energy_j", "buffer_energy_j",
                                  "activation_read_bytes", "weight_read_bytes", "mask_read_bytes",
                                  "operand_tile_fetches", "reuse_instances", "reuse_fraction", "onchip_energy_norm"},
                                 24);
    std::set<std::string> orders;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        orders.insert(t.at(i, "loop_order"));
        CHECK(t.number(i, "reuse_instances") >= 0);
        if (t.at(i, "loop_order") == "b_i_j_k") CHECK(t.number(i, "onchip_energy_norm") == 1.0);
    }
    CHECK(orders.size() == 24);
}

TEST_CASE("scripts/figures/design-space writes latency over PEs and buffer size", "[unsanitized][integration][figures]") {
    ScratchDir dir("fig-design-space");
    const auto t = run_and_check("design-space", dir,
                                 {"pe_count", "buffer_mb", "activation_mb", "weight_mb", "mask_mb", "cycles",
                                  "latency_us", "throughput_seq_per_s", "energy_j_per_seq", "area_mm2", "spills",
                                  "main_memory_utilization", "mac_lane_utilization", "edge"},
                                 4);
    int edge = 0;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        CHECK(t.number(i, "cycles") > 0);
        edge += static_cast<int>(t.number(i, "edge"));
    }
    CHECK(edge == 1);
}

TEST_CASE("scripts/figures/sparsity writes the timing-only series and the DynaTran series",
          "[unsanitized][integration][figures]") {
    ScratchDir dir("fig-sparsity");
    CommandResult run;
    const auto t = run_and_check(
        "sparsity", dir,
        {"series", "threshold", "activation_sparsity", "cycles", "energy_j", "norm_throughput", "norm_energy"}, 0,
        &run);
    std::size_t timing = 0, dynatran = 0;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        const auto& series = t.at(i, "series");
        if (series == "timing") {
            ++timing;
            if (t.at(i, "activation_sparsity") == "0.3") {
                CHECK(t.number(i, "norm_throughput") == 1.0);
                CHECK(t.number(i, "norm_energy") == 1.0);
            }
        } else {
            CHECK(series == "dynatran");
            ++dynatran;
        }
    }
    CHECK(timing == 3);
    // More activation sparsity: never slower, never more energy (timing-only model).
    for (std::size_t i = 1; i < timing; ++i) {
        CHECK(t.number(i, "norm_throughput") >= t.number(i - 1, "norm_throughput"));
        CHECK(t.number(i, "norm_energy") <= t.number(i - 1, "norm_energy"));
    }
    // The script still writes the timing series when `acceltran sparsity` is missing or fails,
    // printing "DynaTran series left out"; this binary has the command, so that is a failure.
    INFO(run.out);
    CHECK(dynatran == 3);  // --reduced: thresholds 0:0.04:0.02
    CHECK_THAT(run.out, Contains("DynaTran series: "));
    CHECK_THAT(run.out, !Contains("DynaTran series left out"));
}

TEST_CASE("scripts/figures/breakdown writes area and power shares of an Edge PE", "[integration][figures]") {
    ScratchDir dir("fig-breakdown");
    const auto t = run_and_check("breakdown", dir,
                                 {"class", "area_mm2_per_pe", "area_share", "area_share_without_dataflow",
                                  "power_w_per_pe", "power_share", "power_share_without_dataflow"},
                                 6);
    double area = 0, power = 0;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        area += t.number(i, "area_share");
        power += t.number(i, "power_share");
    }
    CHECK(area == Approx(1.0).epsilon(1e-6));
    CHECK(power == Approx(1.0).epsilon(1e-6));
    // 54.064 mm2 of Edge minus 3.869 mm2 of buffers, over 64 PEs (docs/model-reference.md §9a).
    double per_pe = 0;
    for (std::size_t i = 0; i < t.rows.size(); ++i) per_pe += t.number(i, "area_mm2_per_pe");
    CHECK(per_pe == Approx((54.064266652 - 1.21322332 - 2.35280664 - 0.302565) / 64).epsilon(1e-6));
}

TEST_CASE("scripts/figures/memory writes LP-DDR3, HBM2 and RRAM for Edge and Server", "[unsanitized][integration][figures]") {
    ScratchDir dir("fig-memory");
    const auto t = run_and_check("memory", dir,
                                 {"design", "model", "seq", "memory", "bandwidth_gbps", "latency_ns", "cycles",
                                  "throughput_seq_per_s", "energy_j_per_seq", "main_memory_energy_j_per_seq",
                                  "main_memory_share", "main_memory_utilization", "power_w_average",
                                  "norm_throughput", "norm_energy"},
                                 6);
    std::map<std::string, double> mm_energy;  // same bytes on both designs, so compare per memory
    for (std::size_t i = 0; i < t.rows.size(); ++i)
        if (t.at(i, "design") == "acceltran-edge")
            mm_energy[t.at(i, "memory")] = t.number(i, "main_memory_energy_j_per_seq");
    // The access energies of the technology table: RRAM 8.63 < LP-DDR3 13.44 < HBM 26.56 nJ per 64 B.
    CHECK(mm_energy.at("rram") < mm_energy.at("lpddr3"));
    CHECK(mm_energy.at("lpddr3") < mm_energy.at("hbm2"));
}

TEST_CASE("scripts/figures/design-points writes Edge and Server with analytic bounds", "[unsanitized][integration][figures]") {
    ScratchDir dir("fig-design-points");
    const auto t = run_and_check("design-points", dir,
                                 {"design", "model", "seq", "batch", "cycles", "throughput_seq_per_s",
                                  "energy_j_per_seq", "power_w_average", "power_w_peak", "area_mm2", "peak_tops",
                                  "survey_bound_seq_per_s", "roofline_bound_seq_per_s", "roofline_limit",
                                  "fraction_of_roofline"},
                                 2);
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        INFO(t.at(i, "design"));
        // The simulation never beats the ideal roofline of its own design point.
        CHECK(t.number(i, "fraction_of_roofline") > 0);
        CHECK(t.number(i, "fraction_of_roofline") <= 1.0 + 1e-9);
    }
    CHECK(t.number(0, "area_mm2") == Approx(54.064266652).epsilon(1e-6));
    CHECK(t.number(1, "area_mm2") == Approx(1829.696316763).epsilon(1e-6));
}

TEST_CASE("scripts/figures exit 3 naming a missing binary, and all documents its options",
          "[integration][figures]") {
    ScratchDir dir("fig-all");
    const std::string missing = dir / "no-such-acceltran";
    const auto bad = run_shell(shell_quote(kFigureScripts + "memory") + " --reduced --out " + shell_quote(dir / "x") +
                               " --binary " + shell_quote(missing) + " 2>&1");
    INFO(describe(bad));
    CHECK(bad.exit_code == 3);
    CHECK_THAT(bad.out, Contains(missing) && Contains("scripts/setup"));

    const auto help = run_shell(shell_quote(kFigureScripts + "all") + " --help 2>&1");
    INFO(describe(help));
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Contains("--reduced") && Contains("--jobs") && Contains("--binary"));
}

TEST_CASE("scripts/figures/gemmini reproduces its golden study figures, Table 5 within 5 %", "[unsanitized][integration][figures]") {
    ScratchDir dir("fig-gemmini");
    const auto t = run_and_check("gemmini", dir, {"figure", "design", "seq", "scratchpad_kb", "accumulator_kb", "metric",
                                                  "ours", "survey"},
                                 0);
    // The golden file is the --reduced study as recorded (tests/golden/README.md says how to
    // re-record it); figures within 1e-6 relative, the 9 significant digits the CSV carries.
    const auto golden = read_csv(std::string(ACCELTRAN_SOURCE_DIR) + "/tests/golden/gemmini-study-reduced.csv");
    REQUIRE(t.header == golden.header);
    REQUIRE(t.rows.size() == golden.rows.size());
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        INFO("row " << i << ": " << t.at(i, "figure") << " " << t.at(i, "design") << " " << t.at(i, "metric"));
        CHECK(t.without("ours")[i] == golden.without("ours")[i]);
        CHECK(t.number(i, "ours") == Approx(golden.number(i, "ours")).epsilon(1e-6).margin(1e-9));
        // Table 5 totals: the acceptance bound of 5 % of the survey's values.
        if (t.at(i, "metric") == "intensity_total")
            CHECK(t.number(i, "ours") == Approx(t.number(i, "survey")).epsilon(0.05));
    }
}
