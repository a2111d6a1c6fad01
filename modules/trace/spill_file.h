// A scratch file for data that does not fit the memory budget (the VCD trace's sorted runs).
// It is created in a given directory and unlinked at once, so it takes disk space only while
// the process holds it open: a run that succeeds, fails, is interrupted or killed leaves nothing
// behind. Every I/O error is thrown as a SimulationError naming the file and the errno text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace acceltran::trace {

class SpillFile {
public:
    // Creates "<directory>/<stem>-XXXXXX" (mkstemp) and unlinks it.
    SpillFile(const std::string& directory, const std::string& stem);
    ~SpillFile();
    SpillFile(const SpillFile&) = delete;
    SpillFile& operator=(const SpillFile&) = delete;

    // Appends `bytes` at the end; returns the offset they were written at.
    std::uint64_t append(const void* data, std::size_t bytes);
    // Reads exactly `bytes` at `offset` (data written by append()).
    void read(std::uint64_t offset, void* data, std::size_t bytes) const;
    // Gives the disk space of [offset, offset + bytes) back, where the file system can; data that
    // was merged into a later run is not read again. The size is unchanged.
    void release(std::uint64_t offset, std::uint64_t bytes);

    std::uint64_t size() const { return size_; }
    // The name it was created under (gone from the directory, but what an error message names).
    const std::string& path() const { return path_; }

private:
    [[noreturn]] void fail(const std::string& what, int error) const;

    std::string path_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

}  // namespace acceltran::trace
