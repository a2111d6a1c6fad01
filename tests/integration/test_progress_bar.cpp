// The progress bar (testbenches/cli/progress_bar.*) draws on stderr only when it is a terminal:
// under `script` (util-linux, a pseudo-terminal) a BERT-Mini run shows it and clears it at the
// end; with stderr redirected to a file, or with --no-progress, stderr stays empty.
#include <catch2/catch.hpp>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;

TEST_CASE("the progress bar appears on a terminal and nowhere else", "[integration][cli][progress]") {
    ScratchDir dir("progress");
    // BERT-Mini: long enough (about 0.3 s here) for the bar's first redraw after 100 ms.
    const std::string run = shell_quote(ACCELTRAN_BINARY) + " run --model bert-mini -q -o ";
    const std::string log = dir / "tty.log";
    const int status = std::system(("script -qec " + shell_quote(run + shell_quote(dir / "tty")) + " " +
                                    shell_quote(log) + " >/dev/null 2>&1 </dev/null").c_str());
    REQUIRE(status == 0);
    const std::string tty = read_text(log);
    CHECK(tty.find(" entries  cycle ") != std::string::npos);
    CHECK(tty.find("100%") != std::string::npos);  // drawn once more when the last entry retires
    CHECK(tty.find("\r\033[K") != std::string::npos);  // cleared before exit

    const auto piped = run_acceltran({"run", "--model", "bert-mini", "-q", "-o", dir / "piped"}, dir);
    CHECK(piped.exit_code == 0);
    CHECK(piped.err.empty());

    const std::string quiet_log = dir / "quiet.log";
    REQUIRE(std::system(("script -qec " +
                         shell_quote(run + shell_quote(dir / "quiet") + " --no-progress") + " " +
                         shell_quote(quiet_log) + " >/dev/null 2>&1 </dev/null").c_str()) == 0);
    CHECK(read_text(quiet_log).find("entries") == std::string::npos);
}
