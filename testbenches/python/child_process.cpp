#include "testbenches/python/child_process.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <new>

#include "core/errors.h"

namespace acceltran::python {

namespace {

const char* kind_name(ChildFailure::Kind k) {
    switch (k) {
        case ChildFailure::Kind::usage: return "usage";
        case ChildFailure::Kind::input: return "input";
        case ChildFailure::Kind::simulation: return "simulation";
        case ChildFailure::Kind::internal:
        case ChildFailure::Kind::interrupted: break;
    }
    return "internal";
}

ChildFailure::Kind kind_from(const std::string& name) {
    if (name == "usage") return ChildFailure::Kind::usage;
    if (name == "input") return ChildFailure::Kind::input;
    if (name == "simulation") return ChildFailure::Kind::simulation;
    return ChildFailure::Kind::internal;
}

nlohmann::json failure(ChildFailure::Kind kind, const std::string& message) {
    return {{"error", {{"kind", kind_name(kind)}, {"message", message}}}};
}

// JSON text of the answer. Strings that are not UTF-8 (a file name's bytes in a message or in
// the summary's model name) are replaced character by character instead of throwing, which
// would leave the child without an answer.
std::string text_of(const nlohmann::json& document) {
    return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The child's answer, whatever `work` does: a result or an error document.
std::string answer(const std::function<nlohmann::json()>& work) {
    using Kind = ChildFailure::Kind;
    try {
        return text_of({{"result", work()}});
    } catch (const UsageError& e) {
        return text_of(failure(Kind::usage, e.what()));
    } catch (const InputError& e) {
        return text_of(failure(Kind::input, e.what()));
    } catch (const SimulationError& e) {
        return text_of(failure(Kind::simulation, e.what()));
    } catch (const std::bad_alloc&) {
        return text_of(failure(Kind::simulation, "out of memory (docs/robustness.md, Memory)"));
    } catch (const std::exception& e) {
        return text_of(failure(Kind::internal, e.what()));
    }
}

void write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // the parent went away; nobody is left to tell
        done += std::size_t(n);
    }
}

}  // namespace

nlohmann::json ChildProcess::run(const std::function<nlohmann::json()>& work, const std::function<bool()>& interrupted) {
    int fds[2];
    if (::pipe(fds) != 0)
        throw ChildFailure(ChildFailure::Kind::internal, std::string("cannot create a pipe: ") + std::strerror(errno));
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        throw ChildFailure(ChildFailure::Kind::internal, std::string("cannot fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        // Dies with the parent; a parent gone before the request took effect is checked after it.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(1);
        ::close(fds[0]);
        // Nothing may leave this block but _exit: an exception unwinding into the caller would
        // go on running the parent's program (a Python script) a second time, in the child.
        try {
            write_all(fds[1], answer(work));
        } catch (...) {
        }
        ::close(fds[1]);
        // What the simulation printed (SystemC's warnings) reaches the terminal: _exit flushes nothing.
        std::cout.flush();
        std::fflush(nullptr);
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string text;
    char buffer[1 << 16];
    for (;;) {
        const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            if (!interrupted || !interrupted()) continue;
            ::kill(pid, SIGKILL);
            ::close(fds[0]);
            while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
            }
            throw ChildFailure(ChildFailure::Kind::interrupted, "interrupted");
        }
        if (n <= 0) break;
        text.append(buffer, std::size_t(n));
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status))
        throw ChildFailure(ChildFailure::Kind::simulation,
                           std::string("the simulation process was killed by ") + strsignal(WTERMSIG(status)));
    const nlohmann::json reply = nlohmann::json::parse(text, nullptr, false);
    if (reply.is_discarded() || !reply.is_object())
        throw ChildFailure(ChildFailure::Kind::internal, "the simulation process ended without an answer");
    if (reply.contains("error"))
        throw ChildFailure(kind_from(reply["error"].value("kind", "")), reply["error"].value("message", ""));
    return reply["result"];
}

}  // namespace acceltran::python
