#include "core/directory_lock.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errors.h"

namespace fs = std::filesystem;

namespace acceltran {

namespace {

// The pid written in a lock file, or "" when it holds no plain number.
std::string pid_in(int fd) {
    char text[32] = {};
    const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
    std::string pid = n > 0 ? std::string(text, std::size_t(n)) : std::string();
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    const bool number = !pid.empty() && pid.size() < 12 && pid.find_first_not_of("0123456789") == std::string::npos;
    return number ? pid : "";
}

}  // namespace

DirectoryLock::DirectoryLock(const std::string& path, const std::string& what) {
    std::string target = path;
    while (target.size() > 1 && target.back() == '/') target.pop_back();
    file_ = target + ".lock";
    const fs::path parent = fs::path(target).parent_path();
    if (!parent.empty()) {
        std::error_code ec;
        fs::create_directories(parent, ec);
        if (ec) throw UsageError("cannot create '" + parent.string() + "': " + ec.message());
    }
    // The holder unlinks the file before it unlocks, so a lock taken on a file that is no longer
    // the one at the path is worthless: check the inode and try again (a few times at most).
    for (int attempt = 0; attempt < 8; ++attempt) {
        const int fd = ::open(file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
            throw UsageError("cannot create the lock file '" + file_ + "' for " + what + " '" + target +
                             "': " + std::strerror(errno));
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int error = errno;
            const std::string pid = pid_in(fd);
            const std::string holder = pid.empty() ? "another process" : "process " + pid;
            ::close(fd);
            if (error == EWOULDBLOCK)
                throw UsageError(what + " '" + target + "' is being written by " + holder + " (lock file '" + file_ +
                                 "'); wait for it to finish or choose another --out");
            throw UsageError("cannot lock '" + file_ + "': " + std::strerror(error));
        }
        struct stat held {}, at_path {};
        if (::fstat(fd, &held) == 0 && ::stat(file_.c_str(), &at_path) == 0 && held.st_ino == at_path.st_ino &&
            held.st_dev == at_path.st_dev) {
            previous_holder_ = pid_in(fd);
            const std::string pid = std::to_string(::getpid()) + "\n";
            // The pid only improves a second run's message; the lock holds whether or not it is written.
            if (::ftruncate(fd, 0) == 0) {
                [[maybe_unused]] const ssize_t written = ::pwrite(fd, pid.data(), pid.size(), 0);
            }
            fd_ = fd;
            return;
        }
        ::close(fd);
    }
    throw UsageError("cannot lock '" + file_ + "': it keeps being replaced by another process");
}

DirectoryLock::~DirectoryLock() {
    if (fd_ < 0) return;
    ::unlink(file_.c_str());
    ::close(fd_);
}

}  // namespace acceltran
