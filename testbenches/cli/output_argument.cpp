#include "testbenches/cli/output_argument.h"

#include <filesystem>

#include "core/errors.h"

namespace acceltran::cli {

void check_output_directory(const std::string& out, const std::string& marker, const std::string& command) {
    namespace fs = std::filesystem;
    if (out.empty()) throw UsageError("--out must name a directory, got an empty path");
    std::error_code error;
    const fs::file_status status = fs::symlink_status(out, error);
    if (error || !fs::exists(status) || fs::is_symlink(status)) return;
    if (!fs::is_directory(status)) throw UsageError("--out '" + out + "' exists and is not a directory");
    if (fs::is_empty(out, error) || error || fs::exists(fs::path(out) / marker, error)) return;
    throw UsageError("--out '" + out + "' is a directory that holds other files and no " + marker +
                     ", so it is not the result of an earlier `acceltran " + command +
                     "`; --force replaces only such a result. Choose a new --out (or remove the directory yourself)");
}

}  // namespace acceltran::cli
