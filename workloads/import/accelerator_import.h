// Every form `--accel` accepts (docs/models.md): a shipped design point, our accelerator YAML,
// and the original AccelTran simulator's config YAML, told apart by their keys.
#pragma once

#include <string>
#include <vector>

#include "core/accelerator_config.h"

namespace acceltran::workloads {

struct ImportedAccelerator {
    AcceleratorConfig config;
    std::vector<std::string> notes;  // what had no counterpart, for the user
};

// As load_accelerator(); `overrides` use our key paths in either form.
ImportedAccelerator import_accelerator(const std::string& name_or_path, const std::string& configs_dir,
                                       const std::vector<std::string>& overrides);

}  // namespace acceltran::workloads
