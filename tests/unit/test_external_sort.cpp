// The external merge sort under trace.vcd (modules/trace/external_sort.h) and its scratch file
// (modules/trace/spill_file.*): records come out in order however small the chunk and the merge
// fan-in (several merge passes), nothing is left in the spill directory even while the data is
// held, nothing touches the disk without a directory, and I/O errors name the file and errno.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <random>
#include <vector>

#include "core/errors.h"
#include "modules/trace/external_sort.h"
#include "modules/trace/spill_file.h"
#include "tests/integration/integration_support.h"

using namespace acceltran;
using acceltran::testing::ScratchDir;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

struct Rec {
    std::uint64_t key;
    std::uint64_t payload;
};
struct RecOrder {
    bool operator()(const Rec& a, const Rec& b) const { return a.key != b.key ? a.key < b.key : a.payload < b.payload; }
};

std::vector<Rec> random_records(std::size_t n) {
    std::mt19937_64 rng(42);
    std::vector<Rec> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = Rec{rng() % 1000, i};  // many equal keys
    return v;
}

std::vector<Rec> drain(trace::ExternalSort<Rec, RecOrder>& sort) {
    std::vector<Rec> out;
    for (Rec r; sort.next(r);) out.push_back(r);
    return out;
}

bool same(const std::vector<Rec>& a, const std::vector<Rec>& b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](const Rec& x, const Rec& y) { return x.key == y.key && x.payload == y.payload; });
}

std::size_t entries(const fs::path& dir) { return std::size_t(std::distance(fs::directory_iterator(dir), {})); }

}  // namespace

TEST_CASE("external sort: tiny chunks and fan-in merge in several passes into the sorted sequence",
          "[unit][trace][vcd]") {
    ScratchDir dir("external-sort");
    const auto input = random_records(10007);
    auto expected = input;
    std::sort(expected.begin(), expected.end(), RecOrder{});
    for (std::size_t chunk : {1, 7, 100, 5000}) {
        INFO("chunk " << chunk);
        trace::ExternalSort<Rec, RecOrder> sort(dir.path().string(), "test", chunk, 3);
        for (const Rec& r : input) sort.push(r);
        CHECK(sort.size() == input.size());
        sort.finish();
        // 10007 / chunk runs on disk, then, with more than two, merged three at a time until
        // two are left besides the buffer.
        CHECK(sort.spilled_runs() >= input.size() / chunk);
        if (chunk <= 100) CHECK(sort.spilled_runs() > input.size() / chunk);
        CHECK(entries(dir.path()) == 0);  // the spill file is unlinked while in use
        CHECK(same(drain(sort), expected));
        sort.clear();  // memory and file given back
        CHECK(sort.size() == 0);
        Rec r{};
        CHECK_FALSE(sort.next(r));
    }
}

TEST_CASE("external sort: without a spill directory nothing goes to disk", "[unit][trace][vcd]") {
    const auto input = random_records(1000);
    auto expected = input;
    std::sort(expected.begin(), expected.end(), RecOrder{});
    trace::ExternalSort<Rec, RecOrder> sort("", "test", 10, 2);
    for (const Rec& r : input) sort.push(r);
    sort.finish();
    CHECK(sort.spilled_runs() == 0);
    CHECK(same(drain(sort), expected));

    trace::ExternalSort<Rec, RecOrder> empty("", "test", 10, 2);
    empty.finish();
    Rec r{};
    CHECK_FALSE(empty.next(r));
}

TEST_CASE("spill file: unlinked at creation, reads back what was appended", "[unit][trace][vcd]") {
    ScratchDir dir("spill-file");
    trace::SpillFile file(dir.path().string(), "trace.vcd.events");
    CHECK(file.path().rfind((dir.path() / "trace.vcd.events-").string(), 0) == 0);
    CHECK(entries(dir.path()) == 0);
    const std::vector<int> a{1, 2, 3}, b{4, 5};
    CHECK(file.append(a.data(), sizeof(int) * a.size()) == 0);
    CHECK(file.append(b.data(), sizeof(int) * b.size()) == sizeof(int) * 3);
    CHECK(file.size() == sizeof(int) * 5);
    file.release(0, sizeof(int) * 3);  // not read again
    std::vector<int> back(2);
    file.read(sizeof(int) * 3, back.data(), sizeof(int) * 2);
    CHECK(back == b);
    CHECK_THROWS_WITH(file.read(sizeof(int) * 4, back.data(), sizeof(int) * 2), Contains("ended early"));
}

TEST_CASE("spill file: errors name the file and the errno text", "[unit][trace][vcd]") {
    ScratchDir dir("spill-errors");
    CHECK_THROWS_WITH(trace::SpillFile((dir.path() / "missing").string(), "x"),
                      Contains((dir.path() / "missing" / "x-").string()) && Contains("No such file or directory"));

    // A file size limit stands in for a full disk: write() fails with EFBIG instead of ENOSPC.
    // (This test case runs in its own process, so the limit and the ignored signal stay here.)
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &limit) == 0);
    limit.rlim_cur = 4096;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &limit) == 0);
    trace::SpillFile file(dir.path().string(), "trace.vcd.events");
    const std::vector<char> data(8192, 'x');
    CHECK_THROWS_AS(file.append(data.data(), data.size()), SimulationError);
    CHECK_THROWS_WITH(file.append(data.data(), data.size()),
                      Contains("cannot write the VCD spill file '" + file.path() + "'") && Contains("File too large"));
}
