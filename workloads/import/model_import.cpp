#include "workloads/import/model_import.h"

#include <filesystem>

#include "core/input_file.h"
#include "core/json_reader.h"
#include "workloads/import/hugging_face_config.h"
#include "workloads/import/onnx_graph.h"
#include "workloads/import/onnx_transformer.h"

namespace acceltran::workloads {

namespace {

ImportedModel import_json(const std::string& file) {
    const std::string text = read_input_file(file, "a model JSON");
    JsonReader reader(file, text);
    // The model-dict reader words the depth refusal; a config that deep is no config either.
    if (reader.locator().depth() <= JsonReader::kMaxDepth) {
        nlohmann::json root = reader.parse(text);
        if (HuggingFaceConfig::recognizes(root)) {
            ImportedModel imported{ModelSpec{}, "Hugging Face config", {}};
            imported.spec = HuggingFaceConfig(reader, std::move(root)).to_model_spec(imported.notes);
            return imported;
        }
    }
    ImportedModel imported{ModelSpec{}, "FlexiBERT model dict", {}};
    imported.spec = parse_model_dict_json(text, file, &imported.notes);
    return imported;
}

}  // namespace

ImportedModel import_model(const std::string& name_or_path, const std::string& models_dir) {
    const std::string ext = std::filesystem::path(name_or_path).extension().string();
    if (ext == ".json") {
        return import_json(resolve_input(name_or_path, models_dir, model_input_kind()));
    }
    if (ext == ".onnx") {
        const OnnxGraph graph(resolve_input(name_or_path, models_dir, model_input_kind()));
        ImportedModel imported{ModelSpec{}, "transformer graph in ONNX", {}};
        imported.spec = OnnxTransformer(graph).to_model_spec(imported.notes);
        return imported;
    }
    return ImportedModel{load_model(name_or_path, models_dir), "model YAML", {}};
}

}  // namespace acceltran::workloads
