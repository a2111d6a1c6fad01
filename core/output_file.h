// A file written through a POSIX descriptor, so that a failed write reports why: a full disk,
// a file-size limit or a vanished directory come back as "cannot write 'F': No space left on
// device" instead of a bare stream failure (std::ofstream keeps no errno). The first failure is
// kept and every later write is dropped, so a stream of many small writes fails once, cleanly.
#pragma once

#include <memory>
#include <ostream>
#include <streambuf>
#include <string>

namespace acceltran {

class OutputFile : public std::ostream {
public:
    // Creates or truncates `path`; throws SimulationError naming the file and the reason.
    explicit OutputFile(std::string path);
    ~OutputFile() override;  // closes without reporting: call close() to learn whether it worked
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    // Flushes and closes; throws SimulationError("cannot write 'path': reason") on any failure
    // since the file was opened.
    void close();
    const std::string& path() const { return path_; }

    // Writes `text` to `path` in one go (create or truncate), failing as close() does.
    static void write(const std::string& path, const std::string& text);

private:
    class DescriptorBuffer;
    std::string path_;
    std::unique_ptr<DescriptorBuffer> buffer_;
};

}  // namespace acceltran
