#include "core/output_directory.h"

#include <filesystem>
#include <system_error>

#include <unistd.h>

#include "core/errors.h"
#include "core/output_file.h"

namespace fs = std::filesystem;

namespace acceltran {

std::string OutputDirectory::without_trailing_slash(std::string path) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    return path;
}

// The lock is taken first: what is found at the path is only meaningful while no other run can
// be about to put something there.
OutputDirectory::OutputDirectory(std::string path, bool force)
    : path_(without_trailing_slash(std::move(path))), lock_(path_, "output directory"), force_(force) {
    std::error_code ec;
    // symlink_status: a link (even one to nowhere) is something at the path, and renaming the
    // finished directory onto it would fail only after the whole simulation.
    const fs::file_status at_path = fs::symlink_status(path_, ec);
    if (fs::is_symlink(at_path))
        throw UsageError("output path '" + path_ + "' is a symbolic link (to '" + fs::read_symlink(path_, ec).string() +
                         "'); name the directory itself with --out");
    existed_ = fs::exists(at_path);
    if (existed_ && !force_)
        throw UsageError("output directory '" + path_ + "' already exists; use --force to replace it or --out to choose another");
    if (existed_ && !fs::is_directory(at_path))
        throw UsageError("output path '" + path_ + "' exists and is not a directory");
    // A run killed outright (SIGKILL, a lost node) could not remove its temporary directory; the
    // lock file it left names it. Nobody else can be writing it: its process is gone.
    if (!lock_.previous_holder().empty()) fs::remove_all(path_ + ".tmp-" + lock_.previous_holder(), ec);
    temp_ = path_ + ".tmp-" + std::to_string(::getpid());
    fs::remove_all(temp_, ec);
    fs::create_directory(temp_, ec);
    if (ec) throw UsageError("cannot create output directory '" + temp_ + "': " + ec.message());
}

OutputDirectory::~OutputDirectory() {
    if (!committed_ && !keep_temp_) {
        std::error_code ec;
        fs::remove_all(temp_, ec);
    }
}

std::string OutputDirectory::file(const std::string& name) const { return temp_ + "/" + name; }

void OutputDirectory::write(const std::string& name, const std::string& content) const {
    OutputFile::write(file(name), content);
}

void OutputDirectory::commit() {
    std::error_code ec;
    std::string old;
    const bool exists_now = fs::exists(fs::symlink_status(path_, ec));
    // Another run (or a person) created it while this one ran: it was not checked at the start,
    // so it is not ours to replace. The result stays in the temporary directory, named.
    if (exists_now && !existed_) {
        keep_temp_ = true;
        throw SimulationError("output directory '" + path_ + "' was created by someone else while this run was going; "
                              "it is left alone and this run's result is in '" + temp_ + "'");
    }
    if (exists_now) {
        old = path_ + ".old-" + std::to_string(::getpid());
        fs::rename(path_, old, ec);
        if (ec) throw SimulationError("cannot move '" + path_ + "' aside: " + ec.message());
    }
    fs::rename(temp_, path_, ec);
    if (ec) {
        const std::string reason = ec.message();
        if (!old.empty()) fs::rename(old, path_, ec);
        throw SimulationError("cannot rename '" + temp_ + "' to '" + path_ + "': " + reason);
    }
    committed_ = true;
    if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace acceltran
