// --model and --accel as every command reads them: any accepted form (docs/models.md), with
// what the importer approximated or left out printed on stderr as notes, so that stdout stays
// the command's own output.
#pragma once

#include <string>
#include <vector>

#include "core/accelerator_config.h"
#include "workloads/model_spec.h"

namespace acceltran::cli {

void print_notes(const std::string& command, const std::vector<std::string>& notes);

workloads::ModelSpec model_argument(const std::string& command, const std::string& name_or_path);
AcceleratorConfig accelerator_argument(const std::string& command, const std::string& name_or_path,
                                       const std::vector<std::string>& overrides);

}  // namespace acceltran::cli
