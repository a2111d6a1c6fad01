// The path of the running acceltran executable: sweeps start every point as a child of it.
#pragma once

#include <filesystem>
#include <string>

#include "core/errors.h"

namespace acceltran::cli {

inline std::string self_binary() {
    std::error_code ec;
    const std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) throw SimulationError("cannot find the acceltran binary (/proc/self/exe): " + ec.message());
    return p.string();
}

}  // namespace acceltran::cli
