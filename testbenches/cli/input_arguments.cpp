#include "testbenches/cli/input_arguments.h"

#include <iostream>

#include "core/accelerator_config.h"
#include "workloads/import/accelerator_import.h"
#include "workloads/import/model_import.h"

namespace acceltran::cli {

void print_notes(const std::string& command, const std::vector<std::string>& notes) {
    for (const std::string& note : notes) std::cerr << "acceltran " << command << ": note: " << note << "\n";
}

workloads::ModelSpec model_argument(const std::string& command, const std::string& name_or_path) {
    workloads::ImportedModel imported = workloads::import_model(name_or_path, data_dir() + "/workloads/models");
    print_notes(command, imported.notes);
    return std::move(imported.spec);
}

AcceleratorConfig accelerator_argument(const std::string& command, const std::string& name_or_path,
                                       const std::vector<std::string>& overrides) {
    workloads::ImportedAccelerator imported =
        workloads::import_accelerator(name_or_path, data_dir() + "/configs", overrides);
    print_notes(command, imported.notes);
    return std::move(imported.config);
}

}  // namespace acceltran::cli
