// DirectoryLock (core/directory_lock.*): a second holder of the same destination is refused
// with the holder's pid; the lock file goes away with the lock; a stale file left by a process
// that died is taken over; a lock file that is a symbolic link is refused.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <unistd.h>

#include "core/directory_lock.h"
#include "core/errors.h"

using acceltran::DirectoryLock;
using acceltran::UsageError;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& tag) {
    const fs::path p = fs::temp_directory_path() / ("acceltran-lock-" + tag + "-" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

}  // namespace

TEST_CASE("a locked destination refuses a second holder, naming the first", "[output][lock]") {
    const fs::path dir = scratch("second");
    const std::string out = (dir / "results" / "run").string();
    std::optional<DirectoryLock> first;
    first.emplace(out, "output directory");
    CHECK(fs::exists(out + ".lock"));
    CHECK(fs::exists(dir / "results"));  // parents are created for the lock file
    // flock() locks belong to an open file description, so a second one in this very process
    // conflicts just as another process's would.
    CHECK_THROWS_AS(DirectoryLock(out + "/", "output directory"), UsageError);
    CHECK_THROWS_WITH(DirectoryLock(out, "output directory"),
                      Contains("output directory '" + out + "' is being written by process " +
                               std::to_string(::getpid())) &&
                          Contains(out + ".lock"));
    first.reset();
    CHECK_FALSE(fs::exists(out + ".lock"));
    {
        DirectoryLock again(out, "output directory");
        CHECK(again.previous_holder().empty());  // released properly: no file, nobody to clear up after
    }
    fs::remove_all(dir);
}

TEST_CASE("a lock file left by a killed process is taken over", "[output][lock]") {
    const fs::path dir = scratch("stale");
    const std::string out = (dir / "run").string();
    std::ofstream(out + ".lock") << "999999\n";  // no lock is held on it
    {
        DirectoryLock lock(out, "output directory");
        CHECK(lock.previous_holder() == "999999");
        std::ifstream in(out + ".lock");
        std::string pid;
        in >> pid;
        CHECK(pid == std::to_string(::getpid()));
    }
    CHECK_FALSE(fs::exists(out + ".lock"));
    fs::remove_all(dir);
}

TEST_CASE("a lock file that is a symbolic link is refused", "[output][lock]") {
    const fs::path dir = scratch("link");
    const std::string out = (dir / "run").string();
    fs::create_symlink(dir / "elsewhere", out + ".lock");
    CHECK_THROWS_WITH(DirectoryLock(out, "output directory"),
                      Contains("cannot create the lock file '" + out + ".lock'"));
    CHECK_FALSE(fs::exists(dir / "elsewhere"));
    fs::remove_all(dir);
}
