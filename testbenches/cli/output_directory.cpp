#include "testbenches/cli/output_directory.h"

#include <filesystem>
#include <fstream>
#include <system_error>

#include <unistd.h>

#include "core/errors.h"

namespace fs = std::filesystem;

namespace acceltran::cli {

OutputDirectory::OutputDirectory(std::string path, bool force) : path_(std::move(path)), force_(force) {
    while (path_.size() > 1 && path_.back() == '/') path_.pop_back();
    std::error_code ec;
    if (fs::exists(path_, ec) && !force_)
        throw UsageError("output directory '" + path_ + "' already exists; use --force to replace it or --out to choose another");
    if (fs::exists(path_, ec) && !fs::is_directory(path_, ec))
        throw UsageError("output path '" + path_ + "' exists and is not a directory");
    fs::path parent = fs::path(path_).parent_path();
    if (!parent.empty()) {
        fs::create_directories(parent, ec);
        if (ec) throw UsageError("cannot create '" + parent.string() + "': " + ec.message());
    }
    temp_ = path_ + ".tmp-" + std::to_string(::getpid());
    fs::remove_all(temp_, ec);
    fs::create_directory(temp_, ec);
    if (ec) throw UsageError("cannot create output directory '" + temp_ + "': " + ec.message());
}

OutputDirectory::~OutputDirectory() {
    if (!committed_) {
        std::error_code ec;
        fs::remove_all(temp_, ec);
    }
}

std::string OutputDirectory::file(const std::string& name) const { return temp_ + "/" + name; }

void OutputDirectory::write(const std::string& name, const std::string& content) const {
    std::ofstream out(file(name), std::ios::binary);
    out << content;
    out.close();
    if (!out) throw SimulationError("cannot write '" + file(name) + "'");
}

void OutputDirectory::commit() {
    std::error_code ec;
    std::string old;
    if (fs::exists(path_, ec)) {
        old = path_ + ".old-" + std::to_string(::getpid());
        fs::rename(path_, old, ec);
        if (ec) throw SimulationError("cannot move '" + path_ + "' aside: " + ec.message());
    }
    fs::rename(temp_, path_, ec);
    if (ec) {
        if (!old.empty()) fs::rename(old, path_, ec);
        throw SimulationError("cannot rename '" + temp_ + "' to '" + path_ + "'");
    }
    committed_ = true;
    if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace acceltran::cli
