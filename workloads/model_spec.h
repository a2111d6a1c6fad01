// A transformer's shape, independent of how it is run (sequence length and batch are chosen at
// run time). Loaded from the model zoo YAML (workloads/models/*.yaml) or imported from the
// original AccelTran simulator's model-dict JSON (FlexiBERT 2.0 format).
#pragma once

#include <string>
#include <vector>

namespace acceltran::workloads {

struct AttentionHeadSpec {
    std::string type = "sa_sdp";  // only scaled dot-product self-attention is simulated so far
    int width = 64;               // per-head hidden width
};

struct LayerSpec {
    int hidden = 0;                         // model width entering and leaving the layer
    std::vector<AttentionHeadSpec> heads;   // may differ in width (FlexiBERT)
    std::vector<int> ffn;                   // feed-forward widths; standard BERT has one entry
};

struct ModelSpec {
    std::string name;
    std::string family = "bert";   // "bert" (encoder); decoders come later
    std::string source;            // file it was loaded from
    int vocab_size = 30522;
    int max_positions = 512;
    std::string activation = "gelu";
    std::vector<LayerSpec> layers;

    int hidden() const { return layers.empty() ? 0 : layers.front().hidden; }
};

// Loads a model-zoo YAML file. Errors are InputError with file:line:column.
ModelSpec load_model_yaml(const std::string& path);
// Imports a FlexiBERT 2.0 model dict ({"l":..,"o":[[..]],"h":[..],"f":[[..]]}).
// `sa_sdp` heads are supported; other head types are refused with a clear message.
ModelSpec load_model_dict_json(const std::string& path);
// `name_or_path` is a shipped model name (looked up as <models_dir>/<name>.yaml) or a file path
// (.yaml/.yml or .json). Unknown names list the shipped ones.
ModelSpec load_model(const std::string& name_or_path, const std::string& models_dir);
// Names of the shipped models (file stems in models_dir), sorted.
std::vector<std::string> shipped_models(const std::string& models_dir);

}  // namespace acceltran::workloads
