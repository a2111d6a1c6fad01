#include "core/output_file.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "core/errors.h"

namespace acceltran {

// A write-only stream buffer over a descriptor that remembers the errno of the first failure.
class OutputFile::DescriptorBuffer : public std::streambuf {
public:
    explicit DescriptorBuffer(int fd) : fd_(fd), data_(kSize) { setp(data_.data(), data_.data() + data_.size()); }
    ~DescriptorBuffer() override {
        if (fd_ >= 0) ::close(fd_);
    }

    // 0 when everything written so far reached the file and it closed cleanly, else an errno.
    int close() {
        drain();
        if (fd_ >= 0 && ::close(fd_) != 0 && error_ == 0) error_ = errno;
        fd_ = -1;
        return error_;
    }

protected:
    int_type overflow(int_type c) override {
        if (!drain()) return traits_type::eof();
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(c);
            pbump(1);
        }
        return traits_type::not_eof(c);
    }
    int sync() override { return drain() ? 0 : -1; }

private:
    static constexpr std::size_t kSize = 1 << 16;

    bool drain() {
        const char* p = pbase();
        std::size_t left = std::size_t(pptr() - pbase());
        while (left > 0 && error_ == 0) {
            const ssize_t n = ::write(fd_, p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) error_ = errno;
            else if (n == 0) error_ = EIO;  // a regular file that takes nothing: never loop on it
            else p += n, left -= std::size_t(n);
        }
        setp(data_.data(), data_.data() + data_.size());
        return error_ == 0;
    }

    int fd_;
    int error_ = 0;
    std::vector<char> data_;
};

OutputFile::OutputFile(std::string path) : std::ostream(nullptr), path_(std::move(path)) {
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw SimulationError("cannot create '" + path_ + "': " + std::strerror(errno));
    buffer_ = std::make_unique<DescriptorBuffer>(fd);
    rdbuf(buffer_.get());
}

OutputFile::~OutputFile() {
    rdbuf(nullptr);
}

void OutputFile::close() {
    const int error = buffer_->close();
    if (error != 0 || fail()) {
        setstate(std::ios::badbit);
        throw SimulationError("cannot write '" + path_ + "': " + std::strerror(error != 0 ? error : EIO));
    }
}

void OutputFile::write(const std::string& path, const std::string& text) {
    OutputFile out(path);
    out << text;
    out.close();
}

}  // namespace acceltran
