// The smallest valid accelerator file, for tests that write variations of it.
#pragma once

#include <string>

namespace acceltran::testing {

// Buffer sizes are the only values without a default.
inline const std::string kMinimalAccelerator =
    "name: t\n"
    "buffers:\n"
    "  activation: {size_mb: 4}\n"
    "  weight: {size_mb: 8}\n"
    "  mask: {size_mb: 1}\n";

}  // namespace acceltran::testing
