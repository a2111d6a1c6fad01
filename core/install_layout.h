// Where an installed AccelTran-SC keeps its data: `cmake --install` puts the executable in
// <prefix>/bin and the shipped models, configurations and plot scripts in
// <prefix>/share/acceltran (CMakeLists.txt), so the binary finds them from its own location
// however the prefix is moved. data_dir() (core/accelerator_config.h) asks here before falling
// back to the source tree a checkout build was made from.
#pragma once

#include <filesystem>
#include <string>

namespace acceltran {

// The data directory of an installation whose executable is `executable`: its bin directory's
// sibling share/acceltran (the relative path CMake installs to), when that holds
// workloads/models. Empty when it does not (a build tree's bin/, a program outside an
// installation).
std::string installed_data_dir(const std::filesystem::path& executable);

// The running program's own file (/proc/self/exe, symbolic links resolved); empty if the system
// does not say.
std::filesystem::path running_executable();

}  // namespace acceltran
