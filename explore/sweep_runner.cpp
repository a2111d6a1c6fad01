#include "explore/sweep_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/errors.h"
#include "core/output_file.h"

namespace acceltran::explore {

namespace {

namespace fs = std::filesystem;

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }
extern "C" void on_child_signal(int) {}  // only wakes ppoll; children are reaped in the loop

// Installs the handlers and blocks the signals outside ppoll(), so that none is lost between
// checking the flag and going to sleep; restores everything on destruction.
class SignalScope {
public:
    SignalScope() {
        g_stop_signal = 0;
        sigset_t block;
        sigemptyset(&block);
        for (int s : {SIGINT, SIGTERM, SIGCHLD}) sigaddset(&block, s);
        sigprocmask(SIG_BLOCK, &block, &original_mask);
        struct sigaction stop {};
        stop.sa_handler = on_stop_signal;
        sigemptyset(&stop.sa_mask);
        struct sigaction child {};
        child.sa_handler = on_child_signal;
        sigemptyset(&child.sa_mask);
        child.sa_flags = SA_NOCLDSTOP;
        sigaction(SIGINT, &stop, &old_int);
        sigaction(SIGTERM, &stop, &old_term);
        sigaction(SIGCHLD, &child, &old_chld);
    }
    ~SignalScope() {
        sigaction(SIGINT, &old_int, nullptr);
        sigaction(SIGTERM, &old_term, nullptr);
        sigaction(SIGCHLD, &old_chld, nullptr);
        sigprocmask(SIG_SETMASK, &original_mask, nullptr);
    }
    SignalScope(const SignalScope&) = delete;
    SignalScope& operator=(const SignalScope&) = delete;

    // Sleeps until a signal arrives or `ms` pass.
    void wait(int ms) const {
        const timespec t{ms / 1000, long(ms % 1000) * 1000000L};
        ppoll(nullptr, 0, &t, &original_mask);
    }

    sigset_t original_mask;

private:
    struct sigaction old_int {}, old_term {}, old_chld {};
};

struct Child {
    std::size_t point;
    int stderr_fd;            // the child's stderr: a file without a name (see spawn)
    bool terminated = false;  // we sent SIGTERM while stopping
};

// What the child wrote to its stderr, from the start of the file, and the descriptor closed.
std::string drain(int fd) {
    std::string text;
    char buffer[4096];
    off_t at = 0;
    for (ssize_t n; (n = ::pread(fd, buffer, sizeof buffer, at)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        text.append(buffer, std::size_t(n));
        at += n;
    }
    ::close(fd);
    return text;
}

// Forks and executes one point. Everything the child needs is prepared before fork(), so that
// the child only makes system calls. The child's stderr goes to a file that is unlinked as soon
// as it is opened: the runner reads it through `stderr_fd`, and however the runner ends (even by
// SIGKILL) the kernel frees it, so no capture file is ever left in the sweep directory.
pid_t spawn(const std::string& binary, const PointRun& p, const std::string& stderr_file, const sigset_t& mask,
            int& stderr_fd) {
    std::vector<std::string> words{binary};
    words.insert(words.end(), p.args.begin(), p.args.end());
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    std::error_code ec;
    fs::create_directories(fs::path(p.out_dir).parent_path(), ec);
    const int err = ::open(stderr_file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (err < 0) throw SimulationError("cannot create " + stderr_file + ": " + std::strerror(errno));
    ::unlink(stderr_file.c_str());
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) ::_exit(127);  // the runner died before prctl took effect
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
        ::sigprocmask(SIG_SETMASK, &mask, nullptr);
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(err, 2);
        ::execv(argv[0], argv.data());
        static const char message[] = "acceltran sweep: cannot execute the acceltran binary for this point\n";
        (void)!::write(2, message, sizeof message - 1);
        ::_exit(127);
    }
    const int fork_errno = errno;
    if (null >= 0) ::close(null);
    if (pid < 0) {
        ::close(err);
        throw SimulationError(std::string("cannot start a child process: ") + std::strerror(fork_errno));
    }
    stderr_fd = err;
    return pid;
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "acceltran run exited with code " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "acceltran run was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
                                    strsignal(WTERMSIG(status)) + ")";
    return "acceltran run ended with wait status " + std::to_string(status);
}

}  // namespace

SweepRunner::SweepRunner(std::string binary, int jobs, ProgressMode progress)
    : binary_(std::move(binary)), jobs_(jobs < 1 ? 1 : jobs), progress_(progress, "sweep", "points") {}

int SweepRunner::available_cores() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    return int(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
}

void SweepRunner::write_atomically(const std::string& path, const std::string& text) {
    const std::string temp = path + ".tmp-" + std::to_string(::getpid());
    try {
        OutputFile::write(temp, text);
    } catch (const SimulationError&) {
        std::error_code ignored;
        fs::remove(temp, ignored);  // a half-written temporary is nobody's result
        throw;
    }
    std::error_code ec;
    fs::rename(temp, path, ec);
    if (ec) throw SimulationError("cannot rename " + temp + " to " + path + ": " + ec.message());
}

std::string SweepRunner::read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string SweepRunner::error_message(const std::string& error_file) { return last_line(read_text(error_file)); }

std::string SweepRunner::last_line(const std::string& text) {
    std::istringstream in(text);
    std::string line, last;
    while (std::getline(in, line))
        if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
    return last;
}

RunnerOutcome SweepRunner::run(const std::vector<PointRun>& points) {
    RunnerOutcome outcome;
    SignalScope signals;
    std::map<pid_t, Child> running;
    std::size_t next = 0;
    auto settle = [&](pid_t pid, int status) {
        const Child child = running.at(pid);
        running.erase(pid);
        const PointRun& p = points[child.point];
        std::error_code ec;
        // A child ended by a signal has no chance to remove its temporary run directory.
        fs::remove_all(p.out_dir + ".tmp-" + std::to_string(pid), ec);
        const std::string child_stderr = drain(child.stderr_fd);
        if (child.terminated && WIFSIGNALED(status)) {
            ++outcome.not_run;
            return;
        }
        const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && fs::exists(p.out_dir + "/summary.json", ec);
        if (ok) {
            fs::remove(p.error_file, ec);  // from an earlier attempt
            ++outcome.ok;
        } else {
            std::string text = describe_status(status) + "\n" + child_stderr;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                text += "acceltran run exited with code 0 but wrote no " + p.out_dir + "/summary.json\n";
            SweepRunner::write_atomically(p.error_file, text);
            ++outcome.failed;
        }
    };
    auto reap = [&] {
        int status = 0;
        pid_t pid;
        while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0)
            if (running.count(pid)) settle(pid, status);
    };

    auto terminate_running = [&] {
        for (auto& [pid, child] : running) {
            ::kill(pid, SIGTERM);
            child.terminated = true;
        }
        // A run stops within milliseconds of SIGTERM; one that ignores it for 10 s is killed.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!running.empty()) {
            reap();
            if (running.empty()) break;
            if (std::chrono::steady_clock::now() > deadline)
                for (const auto& entry : running) ::kill(entry.first, SIGKILL);
            signals.wait(100);
        }
    };

    while (true) {
        reap();
        if (g_stop_signal) break;
        try {
            while (running.size() < std::size_t(jobs_) && next < points.size()) {
                const std::string stderr_file = points[next].out_dir + ".stderr.tmp";
                int stderr_fd = -1;
                const pid_t pid = spawn(binary_, points[next], stderr_file, signals.original_mask, stderr_fd);
                running[pid] = Child{next, stderr_fd};
                ++next;
            }
        } catch (...) {
            terminate_running();  // no child may outlive a runner that gives up
            progress_.finish();
            throw;
        }
        if (running.empty()) break;
        draw(outcome, running.size(), points.size());
        signals.wait(500);
    }

    if (g_stop_signal) {
        outcome.signal = g_stop_signal;
        outcome.not_run += points.size() - next;
        terminate_running();
    }
    draw(outcome, 0, points.size());  // the final count, for the last line
    progress_.finish();
    return outcome;
}

SweepRunner::Captured SweepRunner::capture(const std::vector<std::string>& argv_in) {
    std::vector<std::string> words = argv_in;
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw SimulationError(std::string("cannot create a pipe: ") + std::strerror(errno));
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(null, 0);
        ::dup2(fds[1], 1);
        ::dup2(fds[1], 2);
        ::execvp(argv[0], argv.data());
        static const char message[] = ": cannot execute (not installed or not on PATH)\n";
        (void)!::write(2, argv[0], std::strlen(argv[0]));
        (void)!::write(2, message, sizeof message - 1);
        ::_exit(127);
    }
    const int fork_errno = errno;
    ::close(fds[1]);
    if (null >= 0) ::close(null);
    if (pid < 0) {
        ::close(fds[0]);
        throw SimulationError(std::string("cannot start ") + words[0] + ": " + std::strerror(fork_errno));
    }
    Captured c;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) != 0;) {
        if (n > 0)
            c.output.append(buffer, std::size_t(n));
        else if (errno != EINTR)
            break;
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return c;
}

void SweepRunner::draw(const RunnerOutcome& o, std::size_t running, std::size_t total) {
    const double done = double(o.ok + o.failed);
    if (!progress_.due(done, double(total)) && done < double(total)) return;
    progress_.update(done, double(total),
                     std::to_string(o.failed) + " failed, " + std::to_string(running) + " running");
}

}  // namespace acceltran::explore
