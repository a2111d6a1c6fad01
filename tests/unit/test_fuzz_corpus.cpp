// Replays every fuzz seed (tests/fuzz/corpus/<target>/) and every crash reproducer
// (tests/fuzz/crashes/<target>/) through the entry points the libFuzzer targets call
// (tests/fuzz/fuzz_entry_points.h). Each input must parse or be refused with one of our error
// types; a crash, a sanitizer report (in the scripts/test --sanitize build) or any other
// exception fails the case. Seeds named valid-* must parse.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_entry_points.h"

namespace fs = std::filesystem;
using acceltran::fuzz::Outcome;

namespace {

const fs::path kFuzzDir = fs::path(ACCELTRAN_SOURCE_DIR) / "tests" / "fuzz";

// Regular files of `dir` except dot files (.gitkeep), sorted so that failures are reproducible.
std::vector<fs::path> inputs_in(const fs::path& dir) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file() && e.path().filename().string().rfind('.', 0) != 0) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

std::string bytes_of(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void replay(const std::string& target, const std::function<Outcome(const std::string&)>& entry) {
    const auto seeds = inputs_in(kFuzzDir / "corpus" / target);
    // The seed corpus is checked in; an empty one means the path is wrong, not that all is well.
    REQUIRE(seeds.size() >= 3);
    auto inputs = seeds;
    const auto crashes = inputs_in(kFuzzDir / "crashes" / target);
    inputs.insert(inputs.end(), crashes.begin(), crashes.end());
    int parsed = 0;
    for (const auto& file : inputs) {
        INFO("input: " << file.string());
        Outcome outcome = Outcome::refused;
        CHECK_NOTHROW(outcome = entry(bytes_of(file)));
        if (file.filename().string().rfind("valid-", 0) == 0) CHECK(outcome == Outcome::parsed);
        parsed += outcome == Outcome::parsed;
    }
    // Both outcomes occur in every seed corpus, so each target's checks and its success path run.
    CHECK(parsed > 0);
    CHECK(parsed < int(inputs.size()));
}

}  // namespace

TEST_CASE("fuzz replay: model YAML seeds and crash reproducers parse or are refused", "[fuzz]") {
    replay("model_yaml", acceltran::fuzz::model_yaml);
}

TEST_CASE("fuzz replay: accelerator YAML seeds and crash reproducers parse or are refused", "[fuzz]") {
    replay("accelerator_yaml", acceltran::fuzz::accelerator_yaml);
}

TEST_CASE("fuzz replay: model-dict JSON seeds and crash reproducers parse or are refused", "[fuzz]") {
    replay("model_dict_json", acceltran::fuzz::model_dict_json);
}

TEST_CASE("fuzz replay: safetensors seeds and crash reproducers parse or are refused", "[fuzz]") {
    replay("safetensors", acceltran::fuzz::safetensors);
}
