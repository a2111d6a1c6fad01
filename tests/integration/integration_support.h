// Helpers shared by the integration tests: a scratch directory that cleans up after itself, and
// running the `acceltran` binary as a child process with its exit code, stdout and stderr.
// Tests that need more than one simulation use child processes, since SystemC elaborates once
// per process.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace acceltran::testing {

namespace fs = std::filesystem;

// What refusing a hostile input may cost the acceltran process at most (tests/hostile/README.md).
inline constexpr double kRefusalMaxSeconds = 10;
inline constexpr long kRefusalMaxResidentKiB = 1L << 20;  // 1 GiB

// The --seq of the BERT-Base-on-Server runs that tests race against (a lock, a signal, a
// directory that appears meanwhile): at 128 one lasts seconds. The sanitized build
// (ACCELTRAN_SANITIZE, scripts/test --sanitize) is 5-10x slower, so there 32 lasts about as long.
#ifdef ACCELTRAN_SANITIZED
inline const std::string kLongRunSeq = "32";
#else
inline const std::string kLongRunSeq = "128";
#endif

// The shell prefix that caps a command's address space at 2 GB, the robustness standard's probe
// for hostile inputs. AddressSanitizer reserves terabytes of address space for its shadow memory,
// which such a cap refuses at start, so the sanitized build runs those commands uncapped (its own
// checks then catch a bad access, and the test's timeout still bounds the time).
#ifdef ACCELTRAN_SANITIZED
inline const std::string kAddressSpaceCap2GB = "";
#else
inline const std::string kAddressSpaceCap2GB = "ulimit -v 2000000; ";
#endif

// A fresh directory under the system temp dir, removed (with its contents) on destruction.
class ScratchDir {
public:
    explicit ScratchDir(const std::string& tag = "test") {
        static std::atomic<int> counter{0};
        path_ = fs::temp_directory_path() /
                ("acceltran-it-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    const fs::path& path() const { return path_; }
    std::string operator/(const std::string& name) const { return (path_ / name).string(); }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    // Writes `bytes` to the file `name` in this directory and returns its path.
    std::string write(const std::string& name, const std::string& bytes) const;

private:
    fs::path path_;
};

inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path);
}

inline std::string ScratchDir::write(const std::string& name, const std::string& bytes) const {
    write_text(file(name), bytes);
    return file(name);
}

// Single-quotes an argument for /bin/sh.
inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        if (c == '\'')
            q += "'\\''";
        else
            q += c;
    }
    return q + "'";
}

struct CommandResult {
    int exit_code = -1;  // -1: did not exit normally (signal)
    std::string out, err;
    double wall_seconds = 0;
    std::string command;  // for failure messages
};

// Runs `acceltran <args...>` with stdout and stderr captured in files of `scratch`.
// std::system is thread-safe, so two of these may run at once from different threads.
inline CommandResult run_acceltran(const std::vector<std::string>& args, const ScratchDir& scratch) {
    static std::atomic<int> counter{0};
    const int id = counter++;
    const std::string out_file = scratch / ("stdout-" + std::to_string(id) + ".txt");
    const std::string err_file = scratch / ("stderr-" + std::to_string(id) + ".txt");
    std::string cmd = shell_quote(ACCELTRAN_BINARY);
    for (const auto& a : args) cmd += " " + shell_quote(a);
    CommandResult r;
    r.command = cmd;
    const std::string full = cmd + " >" + shell_quote(out_file) + " 2>" + shell_quote(err_file) + " </dev/null";
    const auto start = std::chrono::steady_clock::now();
    const int status = std::system(full.c_str());
    r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (status != -1 && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    r.out = read_text(out_file);
    r.err = read_text(err_file);
    return r;
}

// Runs a /bin/sh command line; `out` gets what it writes to stdout (redirect 2>&1 to see stderr).
inline CommandResult run_shell(const std::string& command) {
    CommandResult r;
    r.command = command;
    FILE* pipe = ::popen((command + " </dev/null").c_str(), "r");
    if (pipe == nullptr) return r;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) r.out.append(buf, n);
    const int status = ::pclose(pipe);
    if (status != -1 && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    return r;
}

inline std::string describe(const CommandResult& r) {
    return "command: " + r.command + "\nexit code: " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out +
           "\nstderr:\n" + r.err;
}

inline nlohmann::json load_json(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    return nlohmann::json::parse(in);
}

// `acceltran analyze --model MODEL --batch 1 --json SHAPE...` without the model's name, which
// differs between forms of the same model by construction (docs/models.md); throws, describing
// the command, unless it succeeds.
inline nlohmann::json analysis_without_name(const ScratchDir& scratch, const std::string& model,
                                            const std::vector<std::string>& shape) {
    std::vector<std::string> args{"analyze", "--model", model, "--batch", "1", "--json"};
    args.insert(args.end(), shape.begin(), shape.end());
    const CommandResult r = run_acceltran(args, scratch);
    if (r.exit_code != 0) throw std::runtime_error(describe(r));
    nlohmann::json j = nlohmann::json::parse(r.out);
    j.erase("model");
    return j;
}

// Entries of `dir` whose name contains `needle` (e.g. ".tmp-" leftovers of an output directory).
inline std::vector<std::string> entries_containing(const fs::path& dir, const std::string& needle) {
    std::vector<std::string> found;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().filename().string().find(needle) != std::string::npos) found.push_back(e.path().string());
    return found;
}

// How far `estimate` is from `reference`, as a share of the reference.
inline double relative_difference(double estimate, double reference) {
    return std::abs(estimate - reference) / std::abs(reference);
}

// The arguments of a quiet BERT-Tiny run on AccelTran-Edge into `out`.
inline std::vector<std::string> tiny_run(const std::string& out) {
    return {"run", "--model", "bert-tiny", "--accel", "acceltran-edge", "--quiet", "--out", out};
}

// `acceltran run --out DIR/<name>` with the arguments of `base` and then `extra`.
inline CommandResult run_into(const ScratchDir& dir, const std::string& name, const std::vector<std::string>& base,
                              const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"run", "--out", dir / name};
    args.insert(args.end(), base.begin(), base.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return run_acceltran(args, dir);
}

// The summary.json of run_into(dir, name, base, extra); throws with the run's output if it failed.
inline nlohmann::json run_summary(const ScratchDir& dir, const std::string& name, const std::vector<std::string>& base,
                                  const std::vector<std::string>& extra) {
    const CommandResult r = run_into(dir, name, base, extra);
    if (r.exit_code != 0) throw std::runtime_error(describe(r));
    return load_json(dir / (name + "/summary.json"));
}

// Installs the already-built tree (no rebuild) into `prefix` and builds the out-of-tree project
// `examples/<example>` against it in `build`, as a user of the installed package would. The
// result describes the first step that failed (exit code 0 when both succeeded).
inline CommandResult install_and_build_example(const std::string& example, const std::string& prefix,
                                               const std::string& build) {
    const std::string source = std::string(ACCELTRAN_SOURCE_DIR) + "/examples/" + example;
    CommandResult r = run_shell("cmake --install " + shell_quote(ACCELTRAN_BUILD_DIR) + " --prefix " +
                                shell_quote(prefix) + " 2>&1");
    if (r.exit_code != 0) return r;
    return run_shell("cmake -S " + shell_quote(source) + " -B " + shell_quote(build) +
                     " -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" + shell_quote(prefix) +
                     " 2>&1 && cmake --build " + shell_quote(build) + " -j2 2>&1");
}

}  // namespace acceltran::testing
