// The shipped models and accelerator configurations, for unit tests of the compiler that start
// from a real design point's buffers.
#pragma once

#include <string>

#include "core/accelerator_config.h"
#include "modules/accelerator.h"
#include "tests/source_tree.h"
#include "workloads/graph_builder.h"

namespace acceltran::testing {

// The compile options (buffer capacities) of a shipped accelerator, e.g. "acceltran-edge".
inline workloads::CompileOptions shipped(const std::string& accel) {
    return compile_options(load_accelerator(accel, kConfigs));
}

}  // namespace acceltran::testing
