#include "workloads/import/accelerator_import.h"

#include <filesystem>

#include "core/config_node.h"
#include "core/input_file.h"
#include "workloads/import/original_accelerator_config.h"

namespace acceltran::workloads {

ImportedAccelerator import_accelerator(const std::string& name_or_path, const std::string& configs_dir,
                                       const std::vector<std::string>& overrides) {
    const InputKind kind = accelerator_input_kind();
    const std::string file =
        resolve_input(name_or_path, (std::filesystem::path(configs_dir) / "accelerators").string(), kind);
    const ConfigNode root = ConfigNode::load_file(file, kind.file_kind);
    ImportedAccelerator imported;
    YAML::Node tree = root.yaml();
    if (OriginalAcceleratorConfig::recognizes(tree)) tree = OriginalAcceleratorConfig(root).translate(imported.notes);
    for (const auto& assignment : overrides) apply_override(tree, assignment);
    imported.config = parse_accelerator(tree, file);
    return imported;
}

}  // namespace acceltran::workloads
