// OutputFile (core/output_file.*): a failed write names the file and the system's reason. The
// reasons are real ones: /dev/full answers every write with ENOSPC, and a file-size limit
// (RLIMIT_FSIZE, with SIGXFSZ ignored) answers with EFBIG.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/output_file.h"

using acceltran::OutputFile;
using acceltran::SimulationError;
using Catch::Contains;
namespace fs = std::filesystem;

TEST_CASE("a full disk is reported with its reason", "[output]") {
    REQUIRE(fs::exists("/dev/full"));
    OutputFile out("/dev/full");
    out << std::string(1 << 20, 'x');  // past the buffer: the write fails already here
    CHECK_THROWS_WITH(out.close(), Contains("cannot write '/dev/full'") && Contains("No space left on device"));
    CHECK_THROWS_WITH(OutputFile::write("/dev/full", "a few bytes"), Contains("No space left on device"));
}

TEST_CASE("a file-size limit is reported with its reason", "[output]") {
    const std::string path = (fs::temp_directory_path() / ("acceltran-fsize-" + std::to_string(::getpid()))).string();
    rlimit saved{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved;
    small.rlim_cur = 4096;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    std::string message;
    try {
        OutputFile::write(path, std::string(100000, 'y'));
    } catch (const SimulationError& e) {
        message = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, old_handler);
    fs::remove(path);
    CHECK_THAT(message, Contains("cannot write '" + path + "'") && Contains("File too large"));
}

TEST_CASE("a file that cannot be created is reported with its reason", "[output]") {
    CHECK_THROWS_WITH(OutputFile("/nonexistent-directory/summary.json"),
                      Contains("cannot create '/nonexistent-directory/summary.json'") &&
                          Contains("No such file or directory"));
}

TEST_CASE("a file that is written completely reads back unchanged", "[output]") {
    const std::string path = (fs::temp_directory_path() / ("acceltran-ok-" + std::to_string(::getpid()))).string();
    std::string text;
    for (int i = 0; i < 50000; ++i) text += std::to_string(i) + ",";  // several buffers' worth
    OutputFile::write(path, text);
    std::string back;
    {
        std::FILE* f = std::fopen(path.c_str(), "rb");
        REQUIRE(f != nullptr);
        for (int c; (c = std::fgetc(f)) != EOF;) back.push_back(char(c));
        std::fclose(f);
    }
    fs::remove(path);
    CHECK(back == text);
}
