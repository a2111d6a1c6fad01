// An advisory lock on a destination directory, held for as long as a run or sweep writes it,
// so that two runs given the same --out cannot both believe the destination is theirs. The
// lock is flock(2) on a sibling file `PATH.lock`: the kernel drops it when the holder exits,
// however it exits, so a killed run never leaves a lock that blocks the next one (a stale file
// is taken over). The holder's pid is written into the file for the refusal message and for
// the next holder, which may then clear what the killed one left (OutputDirectory does).
#pragma once

#include <string>

namespace acceltran {

class DirectoryLock {
public:
    // Takes the lock on `path` (a directory that may not exist yet) or throws UsageError naming
    // the path, the lock file and the holder's pid. `what` names the path in messages
    // ("output directory", "sweep directory"). Creates the parent directories when missing.
    DirectoryLock(const std::string& path, const std::string& what);
    ~DirectoryLock();  // removes the lock file, then releases the lock
    DirectoryLock(const DirectoryLock&) = delete;
    DirectoryLock& operator=(const DirectoryLock&) = delete;

    const std::string& file() const { return file_; }
    // The pid a lock file left by a killed holder named ("" when the file was new): that
    // process is gone, so whatever it named after itself may be cleared away.
    const std::string& previous_holder() const { return previous_holder_; }

private:
    std::string file_;
    std::string previous_holder_;
    int fd_ = -1;
};

}  // namespace acceltran
