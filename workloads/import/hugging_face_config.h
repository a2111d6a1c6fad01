// A Hugging Face transformers `config.json` read as one of our model shapes (docs/models.md).
// Recognized by its content (a top-level "model_type" key), not by its file name. The model
// types whose computation our graphs describe are bert, roberta and distilbert (BERT encoders),
// gpt2 (learned positions, LayerNorm, GELU) and llama and mistral (RMSNorm, rotary positions,
// SwiGLU, grouped-query attention). Any other type is refused naming it; a missing or invalid
// shape key is refused naming the key and where it is in the file.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_reader.h"
#include "workloads/model_spec.h"

namespace acceltran::workloads {

class HuggingFaceConfig {
public:
    // True when `root` (a parsed JSON document) is a Hugging Face config: an object with a
    // "model_type" key.
    static bool recognizes(const nlohmann::json& root);
    // The model types that are read, in the order docs/models.md lists them.
    static const std::vector<std::string>& supported_model_types();

    // `root` must be the document `reader` parsed from the file `reader.file()`.
    HuggingFaceConfig(const JsonReader& reader, nlohmann::json root);

    // Our description of the model. `notes` receives what was approximated or left out (keys
    // with no counterpart in the simulated graph).
    ModelSpec to_model_spec(std::vector<std::string>& notes) const;

private:
    int required_int(const std::string& key, std::int64_t hi) const;
    std::string activation(const std::string& key, const std::string& fallback, std::vector<std::string>& notes) const;
    bool optional_bool(const std::string& key, bool fallback) const;
    std::string model_name() const;

    const JsonReader& reader_;
    nlohmann::json root_;
    std::string type_;
    mutable std::vector<std::string> read_;  // keys consulted, so the rest can be named as ignored
};

}  // namespace acceltran::workloads
