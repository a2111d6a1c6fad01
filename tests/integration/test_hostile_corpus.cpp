// The hostile-input corpus (tests/hostile/README.md): command-line values, the parsers' corpora
// and the fuzzers' findings given to the real binary, and files that are not plug-ins. Every case
// must be refused with a non-zero exit, a message naming the input and the problem, within 10 s
// and 1 GiB (the resident peak of that one process, from wait4), no signal, and nothing at its
// --out destination.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/integration_support.h"
#include "tests/source_tree.h"

using namespace acceltran::testing;
using Catch::Contains;
using acceltran::testing::kSourceDir;

namespace {

struct CorpusOutcome {
    int exit_code = -1, signal = 0;
    double seconds = 0;
    long peak_kib = 0;
    std::string err;
};

// Runs acceltran with `args`, killing it after twice the allowed time so a hang fails the test
// instead of stalling the suite.
CorpusOutcome run_case(const std::vector<std::string>& args, const std::string& scratch) {
    std::vector<std::string> words{ACCELTRAN_BINARY};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    const std::string err_file = scratch + "/stderr.txt";
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (std::freopen("/dev/null", "w", stdout) == nullptr || std::freopen(err_file.c_str(), "w", stderr) == nullptr)
            ::_exit(126);
        ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    CorpusOutcome o;
    int status = 0;
    rusage usage{};
    while (::wait4(pid, &status, WNOHANG, &usage) == 0) {
        if (std::chrono::steady_clock::now() - start > std::chrono::duration<double>(2 * kRefusalMaxSeconds)) {
            ::kill(pid, SIGKILL);
            ::wait4(pid, &status, 0, &usage);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    o.peak_kib = usage.ru_maxrss;
    if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
    o.err = read_text(err_file);
    return o;
}

// The promises every case shares; `input` and `problem` must both appear in the message.
void check_corpus_refusal(const CorpusOutcome& o, const std::string& out, int exit_code, const std::string& input,
                   const std::string& problem) {
    INFO("stderr: " << o.err << "\nexit " << o.exit_code << ", signal " << o.signal << ", " << o.seconds << " s, "
                    << o.peak_kib << " KiB");
    CHECK(o.signal == 0);
    CHECK(o.exit_code == exit_code);
    CHECK_THAT(o.err, Contains(input) && Contains(problem));
    CHECK_THAT(o.err, !Contains("internal error"));
    CHECK(o.seconds < kRefusalMaxSeconds);
    CHECK(o.peak_kib < kRefusalMaxResidentKiB);
    CHECK_FALSE(fs::exists(out));
    CHECK_FALSE(fs::exists(out + ".lock"));
    CHECK(entries_containing(fs::path(out).parent_path(), fs::path(out).filename().string() + ".tmp-").empty());
}

std::vector<std::string> split(const std::string& line, char separator) {
    std::vector<std::string> fields;
    std::string field;
    std::istringstream in(line);
    while (std::getline(in, field, separator)) fields.push_back(field);
    if (!line.empty() && line.back() == separator) fields.emplace_back();
    return fields;
}

std::string substitute(std::string text, const std::string& key, const std::string& value) {
    for (std::size_t at; (at = text.find(key)) != std::string::npos;) text.replace(at, key.size(), value);
    return text;
}

}  // namespace

TEST_CASE("hostile corpus: command-line values", "[integration][hardening][hostile]") {
    ScratchDir dir("hostile-cli");
    std::ifstream table(kSourceDir + "/tests/hostile/cli-values.tsv");
    REQUIRE(table);
    int cases = 0;
    for (std::string line; std::getline(table, line);) {
        if (line.empty() || line[0] == '#') continue;
        const std::vector<std::string> fields = split(line, '\t');
        REQUIRE(fields.size() >= 3);
        const std::string out = dir / ("case" + std::to_string(++cases));
        std::vector<std::string> args;
        for (std::size_t i = 2; i < fields.size(); ++i)
            args.push_back(substitute(substitute(fields[i], "{out}", out), "{source}", kSourceDir));
        INFO("case " << cases << ": " << line);
        // The problem phrase names the offending option or key, so it is also the "input".
        check_corpus_refusal(run_case(args, dir.path().string()), out, std::stoi(fields[0]), fields[1], fields[1]);
    }
    CHECK(cases >= 20);
}

TEST_CASE("hostile corpus: the parsers' corpora and the fuzzers' findings", "[integration][hardening][hostile]") {
    ScratchDir dir("hostile-files");
    struct Slot {
        std::string target;
        std::vector<std::string> args;  // the file goes last
    };
    const std::vector<Slot> slots{{"model_yaml", {"run", "--model"}},
                                  {"model_dict_json", {"run", "--model"}},
                                  {"accelerator_yaml", {"run", "--accel"}},
                                  {"safetensors", {"run", "--functional", "--weights"}}};
    int cases = 0;
    for (const Slot& slot : slots) {
        for (const std::string kind : {"corpus", "crashes"}) {
            const fs::path folder = fs::path(kSourceDir) / "tests/fuzz" / kind / slot.target;
            for (const auto& entry : fs::directory_iterator(folder)) {
                const std::string name = entry.path().filename().string();
                if (name.rfind("valid-", 0) == 0) continue;  // seeds that must parse
                // Some readers pick the format from the extension; the crash reproducers have none.
                std::string file = entry.path().string();
                if (entry.path().extension().empty()) {
                    file = dir / (name + (slot.target == "model_dict_json" ? ".json"
                                          : slot.target == "safetensors" ? ".safetensors"
                                                                         : ".yaml"));
                    fs::copy_file(entry.path(), file, fs::copy_options::overwrite_existing);
                }
                const std::string out = dir / ("case" + std::to_string(++cases));
                std::vector<std::string> args = slot.args;
                args.push_back(file);
                args.insert(args.end(), {"--out", out});
                INFO(kind << "/" << slot.target << "/" << name);
                const CorpusOutcome o = run_case(args, dir.path().string());
                // The message names the file; the problem differs per case (the fuzz replay test
                // pins the parsers' own messages), so here the rest of the line after the file's
                // name must say something: at least three words.
                const std::string base = fs::path(file).filename().string();
                const std::size_t at = o.err.find(base);
                const std::string after =
                    at == std::string::npos ? "" : o.err.substr(at + base.size(), o.err.find('\n', at) - at - base.size());
                INFO("after the file name: '" << after << "'");
                CHECK(std::count(after.begin(), after.end(), ' ') >= 3);
                check_corpus_refusal(o, out, 3, base, "error:");
            }
        }
    }
    CHECK(cases >= 30);  // the folders were found and read (39 files when this was written)
}

TEST_CASE("hostile corpus: files that are not plug-ins", "[integration][hardening][hostile][plugins]") {
    ScratchDir dir("hostile-plugins");
    const std::string real = ACCELTRAN_THROWING_PLUGIN;  // a genuine shared object to cut down
    const std::string text = read_text(real);
    REQUIRE(text.size() > 4096);
    write_text(dir / "empty.so", "");
    write_text(dir / "text.so", "this is not a shared object\n");
    write_text(dir / "truncated.so", text.substr(0, 4096));
    write_text(dir / "header-only.so", text.substr(0, 64));
    fs::copy_file("/bin/true", dir / "executable.so");
    fs::create_directory(dir / "directory.so");
    int cases = 0;
    for (const std::string name :
         {"empty.so", "text.so", "truncated.so", "header-only.so", "executable.so", "directory.so", "missing.so"}) {
        const std::string out = dir / ("case" + std::to_string(++cases));
        INFO(name);
        check_corpus_refusal(run_case({"run", "--plugin", dir / name, "--out", out}, dir.path().string()), out, 3, name,
                      "plug-in");
    }
    // A real library that is no plug-in: the C library has no registration entry.
    const std::string out = dir / "libc", libc = "/lib/x86_64-linux-gnu/libc.so.6";  // Debian's, on amd64
    REQUIRE(fs::exists(libc));
    check_corpus_refusal(run_case({"run", "--plugin", libc, "--out", out}, dir.path().string()), out, 3, "libc.so.6", "plug-in");
}
