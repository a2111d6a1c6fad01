// A run's output directory, written atomically: files go into a temporary sibling directory
// which is renamed into place only when everything has been written, so a crashed or failed
// run never leaves something that looks like a complete result. An existing directory is
// kept unless `force` is set, in which case it is replaced (moved aside, then removed, only
// after the new one is in place).
#pragma once

#include <string>

namespace acceltran::cli {

class OutputDirectory {
public:
    OutputDirectory(std::string path, bool force);
    ~OutputDirectory();  // removes the temporary directory if commit() was not reached
    OutputDirectory(const OutputDirectory&) = delete;
    OutputDirectory& operator=(const OutputDirectory&) = delete;

    // Path of a file inside the (temporary) directory.
    std::string file(const std::string& name) const;
    void write(const std::string& name, const std::string& content) const;
    void commit();
    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::string temp_;
    bool force_;
    bool committed_ = false;
};

}  // namespace acceltran::cli
