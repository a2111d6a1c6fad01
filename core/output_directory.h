// A run's output directory, written atomically: files go into a temporary sibling directory
// which is renamed into place only when everything has been written, so a crashed or failed
// run never leaves something that looks like a complete result. An existing directory is
// kept unless `force` is set, in which case it is replaced (moved aside, then removed, only
// after the new one is in place). A path that is a symbolic link is refused at the start; a
// directory that appears at the path while the run goes is never replaced. The destination is
// locked (DirectoryLock, `PATH.lock`) from the start to the end, so a second run given the same
// path is refused at its start instead of racing this one.
#pragma once

#include <string>

#include "core/directory_lock.h"

namespace acceltran {

class OutputDirectory {
public:
    OutputDirectory(std::string path, bool force);
    ~OutputDirectory();  // removes the temporary directory if commit() was not reached
    OutputDirectory(const OutputDirectory&) = delete;
    OutputDirectory& operator=(const OutputDirectory&) = delete;

    // Path of a file inside the (temporary) directory.
    std::string file(const std::string& name) const;
    // Writes a whole file; a failure names the file and the system's reason (OutputFile).
    void write(const std::string& name, const std::string& content) const;
    void commit();
    const std::string& path() const { return path_; }
    const std::string& temporary() const { return temp_; }  // for scratch files of the run

private:
    static std::string without_trailing_slash(std::string path);

    std::string path_;
    DirectoryLock lock_;
    std::string temp_;
    bool force_;
    bool existed_ = false;    // something was at `path` when the run started (then needs force)
    bool committed_ = false;
    bool keep_temp_ = false;  // the result could not be put in place; keep it where it is
};

}  // namespace acceltran
