// scripts/plot as a user meets it: the five PNG figures of a BERT-Tiny run on AccelTran-Edge, and
// the input errors (exit code 3, a message naming the file) for a directory that is not a run.
// The script runs under /usr/bin/python3 (Debian's, with matplotlib), named by its shebang.
#include <catch2/catch.hpp>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using Catch::Matchers::Contains;

namespace {

const std::string kPlot = std::string(ACCELTRAN_SOURCE_DIR) + "/scripts/plot";
const std::vector<std::string> kPlotFiles = {"utilization.png", "power.png", "occupancy.png", "energy_breakdown.png",
                                           "area_breakdown.png"};

// A BERT-Tiny run on AccelTran-Edge (about 0.1 s) into `out`.
CommandResult run_plot(const std::string& args) { return run_shell(shell_quote(kPlot) + " " + args + " 2>&1"); }

// Per image: the standard deviation of its RGB values (0..1) and the fraction of its pixels with
// colour (max - min channel above 0.1): axes, grid and text are black or grey, the data is drawn in
// the tab20 colours of the classes.
std::string image_statistics_script() {
    return "import sys, matplotlib.image as m\n"
           "for f in sys.argv[1:]:\n"
           "    a = m.imread(f)[..., :3]\n"
           "    print(a.std(), ((a.max(-1) - a.min(-1)) > 0.1).mean())\n";
}

}  // namespace

TEST_CASE("scripts/plot draws the five figures of a run as non-blank PNG files", "[integration][plot]") {
    ScratchDir dir("plot");
    const std::string run_dir = dir / "run";
    const auto run = run_acceltran(tiny_run(run_dir), dir);
    INFO(describe(run));
    REQUIRE(run.exit_code == 0);

    const auto plot = run_plot(shell_quote(run_dir));
    INFO(describe(plot));
    REQUIRE(plot.exit_code == 0);
    std::string expected_listing;
    for (const auto& name : kPlotFiles) expected_listing += run_dir + "/" + name + "\n";
    CHECK(plot.out == expected_listing);
    CHECK(entries_containing(run_dir, ".tmp").empty());  // every temporary file was renamed

    std::string files;
    for (const auto& name : kPlotFiles) {
        const std::string path = run_dir + "/" + name;
        INFO(path);
        REQUIRE(fs::exists(path));
        CHECK(read_text(path).substr(0, 8) == "\x89PNG\r\n\x1a\n");
        // The figures of this run are 65 to 125 KB; an empty white figure of the same size is 4 KB.
        CHECK(fs::file_size(path) > 20 * 1024);
        files += " " + shell_quote(path);
    }

    const auto stats = run_shell("/usr/bin/python3 -c " + shell_quote(image_statistics_script()) + files + " 2>&1");
    INFO(describe(stats));
    REQUIRE(stats.exit_code == 0);
    std::istringstream lines(stats.out);
    for (const auto& name : kPlotFiles) {
        double deviation = -1, coloured = -1;
        lines >> deviation >> coloured;
        INFO(name << ": pixel standard deviation " << deviation << ", coloured fraction " << coloured);
        // Thresholds measured with matplotlib 3.6 at 120 dpi: the figures of this run have a pixel
        // standard deviation of 0.15 to 0.19 and 9 % to 21 % coloured pixels; a blank white figure
        // has 0 and 0 %, and the same axes, titles and grid without data have 0.10 to 0.14 and 0 %.
        CHECK(deviation > 0.05);
        CHECK(coloured > 0.02);
    }

    const std::string other = dir / "figures/nested";
    const auto elsewhere = run_plot(shell_quote(run_dir) + " --out " + shell_quote(other));
    INFO(describe(elsewhere));
    CHECK(elsewhere.exit_code == 0);
    for (const auto& name : kPlotFiles) CHECK(fs::exists(other + "/" + name));
}

TEST_CASE("scripts/plot exits 3 naming the missing file, column or key", "[integration][plot]") {
    ScratchDir dir("plot-bad");

    const auto no_summary = run_plot(shell_quote(dir.path().string()));
    INFO(describe(no_summary));
    CHECK(no_summary.exit_code == 3);
    CHECK_THAT(no_summary.out, Contains((dir.path() / "summary.json").string()));
    CHECK(entries_containing(dir.path(), ".png").empty());

    // A real summary.json, and a timeline.csv whose header lacks util_dma.
    const std::string run_dir = dir / "run";
    const auto run = run_acceltran(tiny_run(run_dir), dir);
    INFO(describe(run));
    REQUIRE(run.exit_code == 0);
    const std::string csv = read_text(run_dir + "/timeline.csv");
    const auto column = csv.find(",util_dma");
    REQUIRE(column != std::string::npos);
    write_text(run_dir + "/timeline.csv", csv.substr(0, column) + csv.substr(column + 9));
    const auto no_column = run_plot(shell_quote(run_dir));
    INFO(describe(no_column));
    CHECK(no_column.exit_code == 3);
    CHECK_THAT(no_column.out, Contains(run_dir + "/timeline.csv") && Contains("util_dma"));
    CHECK(entries_containing(run_dir, ".png").empty());  // bad input writes no figure at all
}

TEST_CASE("scripts/plot marks where a generation's prefill ends and its decode steps begin", "[integration][plot]") {
    ScratchDir dir("plot-generation");
    const std::string run_dir = dir / "run";
    const auto run = run_acceltran({"run", "--model", "gpt2", "--accel", "acceltran-edge", "--prompt-len", "8",
                                    "--gen-len", "2", "--detail", "fast", "--quiet", "--out", run_dir},
                                   dir);
    INFO(describe(run));
    REQUIRE(run.exit_code == 0);
    const auto plot = run_plot(shell_quote(run_dir));
    INFO(describe(plot));
    REQUIRE(plot.exit_code == 0);
    // The script's own figures, inspected in Python: every time-axis panel has a vertical line at
    // the time to first token of summary.json, and the title names the generation's shape.
    const std::string check =
        "import importlib.machinery, importlib.util, json, sys\n"
        "loader = importlib.machinery.SourceFileLoader('plot', sys.argv[1])\n"
        "spec = importlib.util.spec_from_loader('plot', loader)\n"
        "plot = importlib.util.module_from_spec(spec); loader.exec_module(plot)\n"
        "run = plot.load_run(sys.argv[2])\n"
        "ttft = 1e6 * json.load(open(sys.argv[2] + '/summary.json'))['generation']['time_to_first_token_s']\n"
        "print(run['title'])\n"
        "for make in (plot.utilization_figure, plot.power_figure, plot.occupancy_figure):\n"
        "    fig = make(run)\n"
        "    for ax in fig.axes:\n"
        "        xs = [l.get_xdata()[0] for l in ax.get_lines() if len(set(l.get_xdata())) == 1]\n"
        "        print(make.__name__, any(abs(x - ttft) <= 1e-9 * max(1.0, ttft) for x in xs))\n";
    const auto r = run_shell("/usr/bin/python3 -c " + shell_quote(check) + " " + shell_quote(kPlot) + " " +
                             shell_quote(run_dir) + " 2>&1");
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("gpt2 (prompt 8, 2 generated, batch 4) on acceltran-edge"));
    CHECK_THAT(r.out, Contains("utilization_figure True") && Contains("power_figure True") &&
                          Contains("occupancy_figure True"));
    CHECK_THAT(r.out, !Contains("False"));
}
