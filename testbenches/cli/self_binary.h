// The path of the running acceltran executable: sweeps start every point as a child of it.
#pragma once

#include <string>

#include "core/errors.h"
#include "core/install_layout.h"

namespace acceltran::cli {

inline std::string self_binary() {
    const std::filesystem::path p = running_executable();
    if (p.empty()) throw SimulationError("cannot find the acceltran binary (/proc/self/exe)");
    return p.string();
}

}  // namespace acceltran::cli
