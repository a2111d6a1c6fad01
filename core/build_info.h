// What built this program, for a run's provenance (summary.json's provenance): the project
// version and the source checkout's commit. CMake regenerates build_info.cpp on every build from
// `git describe --always --dirty` (cmake/build_info.cmake), so the commit follows the checkout
// without reconfiguring.
#pragma once

#include <string>

namespace acceltran {

// The project version, e.g. "0.1.0".
std::string build_version();

// `git describe --always --dirty` of the sources when built from a git checkout (a "-dirty"
// suffix: uncommitted changes were built); "unknown" otherwise (a tarball, no git).
std::string build_commit();

}  // namespace acceltran
