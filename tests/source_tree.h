// The source tree's directories the tests read shipped models and configurations from. Shared so
// that the test files, compiled in unity batches (CMakeLists.txt), do not each define their own.
#pragma once

#include <string>

namespace acceltran::testing {

inline const std::string kSourceDir = ACCELTRAN_SOURCE_DIR;
inline const std::string kModelsDir = ACCELTRAN_SOURCE_DIR "/workloads/models";
inline const std::string kConfigs = ACCELTRAN_SOURCE_DIR "/configs";

}  // namespace acceltran::testing
