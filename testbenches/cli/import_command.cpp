#include <filesystem>
#include <iostream>
#include <unistd.h>

#include "core/accelerator_config.h"
#include "core/output_file.h"
#include "testbenches/cli/commands.h"
#include "testbenches/cli/input_arguments.h"
#include "testbenches/cli/option_parser.h"
#include "workloads/import/model_import.h"
#include "workloads/import/model_yaml_writer.h"

namespace acceltran::cli {

int import_command(const std::vector<std::string>& args) {
    namespace po = boost::program_options;
    po::options_description desc("import options");
    desc.add_options()
        ("model,m", po::value<std::string>()->required(), "the model: any form --model accepts (docs/models.md)")
        ("out,o", po::value<std::string>()->required(), "the model YAML file to write")
        ("force", "replace an existing --out file");
    po::positional_options_description positional;
    positional.add("model", 1);
    po::variables_map vm;
    if (!parse_options(args, desc,
                       "usage: acceltran import FILE --out MODEL.yaml [--force]\n"
                       "Writes a model given in another form (Hugging Face config.json, ONNX graph, FlexiBERT model dict) in\n"
                       "our model YAML format, to edit and give back with --model (docs/models.md).",
                       vm, &positional))
        return 0;
    const std::string file = vm["model"].as<std::string>(), out = vm["out"].as<std::string>();
    if (out.empty()) throw UsageError("--out must name a file, got an empty path");
    namespace fs = std::filesystem;
    // Checked before importing: a directory at --out made the final rename an internal error (exit 1),
    // a missing parent a "simulation error"; both are bad command lines.
    // The error_code forms: a name too long for the system made the throwing ones an internal error.
    std::error_code error;
    const fs::file_status status = fs::status(out, error);
    if (error && error != std::errc::no_such_file_or_directory && error != std::errc::not_a_directory)
        throw UsageError("--out '" + out + "': " + error.message());
    if (fs::is_directory(status)) throw UsageError("--out '" + out + "' is a directory; expected the path of a model YAML file");
    if (fs::exists(status) && !vm.count("force"))
        throw UsageError("--out '" + out + "' exists; give --force to replace it");
    const fs::path parent = fs::path(out).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, error))
        throw UsageError("--out '" + out + "': cannot create it, '" + parent.string() +
                         (fs::exists(parent, error) ? "' is not a directory" : "' does not exist"));
    workloads::ImportedModel imported = workloads::import_model(file, data_dir() + "/workloads/models");
    print_notes("import", imported.notes);
    const std::string text = workloads::ModelYamlWriter(file, imported.format).text(imported.spec);
    // Written beside the target and renamed over it, so that a failure leaves no half file.
    const std::string temporary = out + ".tmp-" + std::to_string(::getpid());
    try {
        OutputFile::write(temporary, text);
        fs::rename(temporary, out);
    } catch (...) {
        std::error_code ignored;
        fs::remove(temporary, ignored);
        throw;
    }
    std::cout << "wrote " << out << " (model " << imported.spec.name << ", " << imported.spec.layers.size()
              << " layers, from a " << imported.format << ")\n";
    return 0;
}

}  // namespace acceltran::cli
