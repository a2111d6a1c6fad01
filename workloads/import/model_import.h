// Every form a model may be given in, read into our ModelSpec (docs/models.md): a shipped name,
// a model-zoo YAML, the original AccelTran simulator's FlexiBERT model dict and a Hugging Face
// config.json. The two JSON forms are told apart by content, not by file name.
#pragma once

#include <string>
#include <vector>

#include "workloads/model_spec.h"

namespace acceltran::workloads {

struct ImportedModel {
    ModelSpec spec;
    std::string format;  // "model YAML", "FlexiBERT model dict", "Hugging Face config", "transformer graph in ONNX"
    std::vector<std::string> notes;   // what the reader approximated or left out, for the user
};

// `name_or_path` as load_model() takes it, and also a Hugging Face config.json. Errors are
// InputError naming the file and the place in it.
ImportedModel import_model(const std::string& name_or_path, const std::string& models_dir);

}  // namespace acceltran::workloads
