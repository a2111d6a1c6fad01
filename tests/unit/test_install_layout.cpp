// The installed binary finds its data from its own location (core/install_layout.h): built in a
// scratch tree shaped like an installation, not by installing (tests/integration/test_install.cpp
// does that end to end).
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "core/install_layout.h"
#include "tests/integration/integration_support.h"

using namespace acceltran;
using acceltran::testing::ScratchDir;

TEST_CASE("installed_data_dir is share/acceltran beside the executable's bin directory", "[install]") {
    ScratchDir prefix("install-layout");
    const std::filesystem::path exe = prefix.path() / "bin" / "acceltran";
    std::filesystem::create_directories(exe.parent_path());
    // Nothing installed beside it yet: no data directory.
    CHECK(installed_data_dir(exe).empty());
    // share/acceltran without its models is not an installation either.
    std::filesystem::create_directories(prefix.path() / "share" / "acceltran" / "configs");
    CHECK(installed_data_dir(exe).empty());
    std::filesystem::create_directories(prefix.path() / "share" / "acceltran" / "workloads" / "models");
    CHECK(installed_data_dir(exe) == (prefix.path() / "share" / "acceltran").string());
    CHECK(installed_data_dir("").empty());
}

TEST_CASE("running_executable names the test program itself", "[install]") {
    CHECK(running_executable().filename() == "acceltran_tests");
}
