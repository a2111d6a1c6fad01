// A transformer's shape, independent of how it is run (sequence length, batch, prompt and
// generation lengths are chosen at run time). Loaded from the model zoo YAML
// (workloads/models/*.yaml) or imported from the original AccelTran simulator's model-dict JSON
// (FlexiBERT 2.0 format, encoders only).
//
// Two architectures share this description. An encoder (BERT) runs one bidirectional forward
// pass with post-norm layers (op_graph.h). A decoder (GPT-2, Llama) is causal, pre-norm, and is
// run as generation: a prefill of the prompt followed by decode steps over a KV cache
// (generation.h, docs/decoders.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/input_file.h"

namespace acceltran::workloads {

// Limits far above any published transformer; they exist so that a typo (an extra zero or
// three) fails when the model is read, with a clear message, instead of as an allocation failure
// deep in tiling. Every model reader applies them.
inline constexpr std::int64_t kMaxLayers = 1024;
inline constexpr std::int64_t kMaxHidden = 65536;
inline constexpr std::int64_t kMaxFfn = 262144;
inline constexpr std::int64_t kMaxVocab = 10000000;
inline constexpr std::int64_t kMaxPositions = 1048576;
// Over all layers. A model of 1024 layers of 65536 heads would otherwise be expanded into 2^26
// head records (about 2.7 GB) before anything else is checked; published encoders have a few
// hundred heads in all (BERT-Large: 24 x 16).
inline constexpr std::int64_t kMaxTotalHeads = 65536;

struct AttentionHeadSpec {
    std::string type = "sa_sdp";  // only scaled dot-product self-attention is simulated so far
    int width = 64;               // per-head hidden width
};

struct LayerSpec {
    int hidden = 0;                         // model width entering and leaving the layer
    std::vector<AttentionHeadSpec> heads;   // query heads; may differ in width (FlexiBERT)
    // Key/value heads, each shared by heads/kv_heads query heads (grouped-query attention,
    // Ainslie et al. 2023). 0 means one per query head (multi-head attention).
    int kv_heads = 0;
    std::vector<int> ffn;                   // feed-forward widths; standard models have one entry

    int key_value_heads() const { return kv_heads > 0 ? kv_heads : int(heads.size()); }
};

struct ModelSpec {
    std::string name;
    std::vector<std::string> aliases;   // further names the shipped model answers to
    std::string family = "bert";        // "bert", "gpt2" or "llama": descriptive only
    std::string source;                 // file it was loaded from
    std::string architecture = "encoder";  // "encoder" or "decoder" (causal; generates tokens)
    std::string norm = "layernorm";        // "layernorm" or "rmsnorm" (Zhang & Sennrich 2019)
    std::string position = "learned";      // "learned" (rows added to the embedding) or "rotary"
    // The decoder's LM head reuses the word-embedding table. It changes the parameter count
    // only: the head's weights are read from main memory either way.
    bool tie_embeddings = true;
    int vocab_size = 30522;
    int max_positions = 512;
    // FFN: "gelu" or "relu" after every FFN matmul but the last; "swiglu" is the gated FFN
    // W_down(SiLU(x W_gate) * (x W_up)) of Shazeer 2020, with `ffn` the gate/up width.
    std::string activation = "gelu";
    std::vector<LayerSpec> layers;

    int hidden() const { return layers.empty() ? 0 : layers.front().hidden; }
    bool decoder() const { return architecture == "decoder"; }
    // Weight-matrix parameters the graphs use: embedding table, learned position table,
    // attention and FFN matrices, and a decoder's LM head unless tied. Biases and norm gains
    // are not modelled and not counted.
    std::int64_t parameters() const;
};

// Loads a model-zoo YAML file. Errors are InputError with file:line:column.
ModelSpec load_model_yaml(const std::string& path);
// The same from text already read; `origin` names it in messages.
ModelSpec parse_model_yaml(const std::string& text, const std::string& origin);
// `layers` identical layers of `heads` heads of width hidden/heads (heads must divide hidden),
// `kv_heads` key/value heads and one FFN width: the shape every model-zoo file describes.
void set_uniform_layers(ModelSpec& spec, int layers, int hidden, int heads, int kv_heads, int ffn);
// Imports a FlexiBERT 2.0 model dict ({"l":..,"o":[[..]],"h":[..],"f":[[..]]}).
// `sa_sdp` heads are supported; other head types are refused with a clear message. Lists longer
// than l are read as the original simulator reads them, the first l entries; a note saying so
// goes to `notes` when given.
ModelSpec parse_model_dict_json(const std::string& text, const std::string& origin,
                                std::vector<std::string>* notes = nullptr);
ModelSpec load_model_dict_json(const std::string& path, std::vector<std::string>* notes = nullptr);
// `name_or_path` is a shipped model name or alias (looked up in <models_dir>/*.yaml) or a file
// path (.yaml/.yml or .json). Unknown names list the shipped ones.
ModelSpec load_model(const std::string& name_or_path, const std::string& models_dir);
// How a model argument is named in messages (core/input_file.h).
InputKind model_input_kind();
// Names of the shipped models (file stems in models_dir), sorted. Aliases are not listed.
std::vector<std::string> shipped_models(const std::string& models_dir);

}  // namespace acceltran::workloads
