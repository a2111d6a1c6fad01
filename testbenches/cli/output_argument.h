// The --out directory of the commands that write one (run, and rerun through it; map; sparsity),
// checked before anything is loaded or computed: a path that can never take the result is refused
// at once instead of after the simulation, and --force never removes a directory that is not one
// of the command's own results.
#pragma once

#include <string>

namespace acceltran::cli {

// Throws UsageError when `out` is empty, exists and is not a directory, or is a directory that
// holds files but not `marker`, the file the command always writes (summary.json for run): such
// a directory is not an earlier result, and --force would have removed all of it (`acceltran run
// --out results --force` took every run kept in results/ with it). A symbolic link is left to
// OutputDirectory, which refuses it.
void check_output_directory(const std::string& out, const std::string& marker, const std::string& command);

}  // namespace acceltran::cli
