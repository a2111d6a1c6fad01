#include "modules/trace/spill_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/errors.h"

namespace acceltran::trace {

SpillFile::SpillFile(const std::string& directory, const std::string& stem) {
    std::string dir = directory.empty() ? "." : directory;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    std::vector<char> name(dir.begin(), dir.end());
    const std::string tail = "/" + stem + "-XXXXXX";
    name.insert(name.end(), tail.begin(), tail.end());
    name.push_back('\0');
    fd_ = ::mkstemp(name.data());
    path_.assign(name.data());
    if (fd_ < 0) fail("cannot create", errno);
    // Unlinked at once: from here on no exit path, not even SIGKILL, can leave it behind.
    if (::unlink(path_.c_str()) != 0) {
        const int error = errno;
        ::close(fd_);
        fd_ = -1;
        fail("cannot unlink", error);
    }
}

SpillFile::~SpillFile() {
    if (fd_ >= 0) ::close(fd_);
}

void SpillFile::fail(const std::string& what, int error) const {
    throw SimulationError(what + " the VCD spill file '" + path_ + "': " + std::strerror(error));
}

std::uint64_t SpillFile::append(const void* data, std::size_t bytes) {
    const std::uint64_t at = size_;
    const char* p = static_cast<const char*>(data);
    while (bytes > 0) {
        const ssize_t n = ::pwrite(fd_, p, bytes, off_t(size_));
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("cannot write", errno);
        }
        if (n == 0) fail("cannot write", EIO);
        p += n;
        bytes -= std::size_t(n);
        size_ += std::uint64_t(n);
    }
    return at;
}

void SpillFile::read(std::uint64_t offset, void* data, std::size_t bytes) const {
    char* p = static_cast<char*>(data);
    while (bytes > 0) {
        const ssize_t n = ::pread(fd_, p, bytes, off_t(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("cannot read", errno);
        }
        if (n == 0) throw SimulationError("cannot read the VCD spill file '" + path_ + "': it ended early at byte " +
                                          std::to_string(offset));
        p += n;
        bytes -= std::size_t(n);
        offset += std::uint64_t(n);
    }
}

void SpillFile::release(std::uint64_t offset, std::uint64_t bytes) {
#ifdef FALLOC_FL_PUNCH_HOLE
    // Best effort: a file system without hole punching keeps the space until the file is closed.
    if (bytes > 0) (void)::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off_t(offset), off_t(bytes));
#else
    (void)offset, (void)bytes;
#endif
}

}  // namespace acceltran::trace
