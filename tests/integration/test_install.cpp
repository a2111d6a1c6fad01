// A self-contained installation (issue 23): `cmake --install` into a prefix, then the installed
// binary runs a shipped model from an empty directory with nothing but the prefix, reading the
// models and configurations installed under <prefix>/share/acceltran (core/install_layout.h), not
// the source tree, also after the prefix has been moved.
#include <catch2/catch.hpp>

#include <string>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;

TEST_CASE("the installed binary runs BERT-Tiny from an empty directory with its own data",
          "[integration][install]") {
    ScratchDir dir("install");
    const std::string installed = dir / "installed", moved = dir / "moved", empty = dir / "empty";
    auto r = run_shell("cmake --install " + shell_quote(ACCELTRAN_BUILD_DIR) + " --prefix " + shell_quote(installed) +
                       " 2>&1");
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    for (const char* file : {"share/acceltran/workloads/models/bert-tiny.yaml",
                             "share/acceltran/configs/accelerators/acceltran-edge.yaml",
                             "share/acceltran/configs/technology/14nm.yaml",
                             "share/acceltran/configs/design-spaces/small.yaml", "share/acceltran/scripts/plot",
                             "share/acceltran/scripts/plot-sweep", "share/acceltran/scripts/plot-sparsity"})
        CHECK(fs::exists(installed + "/" + file));
    // The data is found relative to the binary, so the installation may move.
    fs::rename(installed, moved);
    fs::create_directories(empty);
    const std::string acceltran = "cd " + shell_quote(empty) +
                                  " && env -u ACCELTRAN_DATA_DIR SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 " +
                                  shell_quote(moved + "/bin/acceltran");
    r = run_shell(acceltran + " list 2>&1");
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("models (" + moved + "/share/acceltran/workloads/models)"));
    CHECK_THAT(r.out, !Catch::Contains(ACCELTRAN_SOURCE_DIR));

    r = run_shell(acceltran + " run --model bert-tiny --out result --quiet 2>&1");
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    const auto summary = load_json(empty + "/result/summary.json");
    CHECK(summary["cycles"].get<double>() > 0);
    // Every input the run read came from the moved installation.
    const std::string provenance = summary["provenance"].dump();
    CHECK_THAT(provenance, Catch::Contains(moved + "/share/acceltran/workloads/models/bert-tiny.yaml"));
    CHECK_THAT(provenance, !Catch::Contains(ACCELTRAN_SOURCE_DIR));
}
