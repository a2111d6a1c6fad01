#include "core/install_layout.h"

#include <system_error>

namespace acceltran {

namespace fs = std::filesystem;

std::string installed_data_dir(const fs::path& executable) {
    if (executable.empty()) return "";
    // ACCELTRAN_DATA_FROM_BINDIR is the installed data directory relative to the installed bin
    // directory ("../share/acceltran" with GNUInstallDirs' defaults), set by CMakeLists.txt.
    const fs::path data = executable.parent_path() / ACCELTRAN_DATA_FROM_BINDIR;
    std::error_code ec;
    if (!fs::is_directory(data / "workloads" / "models", ec)) return "";
    return data.lexically_normal().string();
}

fs::path running_executable() {
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : self;
}

}  // namespace acceltran
