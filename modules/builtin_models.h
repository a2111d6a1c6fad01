// The built-in buffer models (ideal, sram, banked_sram, double_buffered) and main-memory models
// (fixed_bandwidth, dram). They belong to the modules layer while the registry that names them
// is core's, so every program adds them once, before it reads a configuration: the CLI's main,
// Simulation, the test and fuzz mains. An explicit call rather than static registrar objects,
// which the linker drops from a static library when nothing references them.
#pragma once

namespace acceltran {

// Adds the built-ins to ModelRegistry::instance(); later calls do nothing.
void register_builtin_models();

}  // namespace acceltran
