#include "workloads/import/hugging_face_config.h"

#include <algorithm>
#include <filesystem>

#include "core/errors.h"
#include "core/input_file.h"
#include "core/text_list.h"

namespace acceltran::workloads {

namespace {

using nlohmann::json;

// Where each model type keeps the shape; the names are those of the transformers library's
// configuration classes (BertConfig, RobertaConfig, DistilBertConfig, GPT2Config, LlamaConfig,
// MistralConfig). `activation_default` is the class's default when the key is absent.
struct TypeKeys {
    std::string type;
    std::string layers, hidden, heads, ffn, activation, activation_default, positions;
};

const std::vector<TypeKeys>& type_keys() {
    static const std::vector<TypeKeys> keys{
        {"bert", "num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size", "hidden_act", "gelu",
         "max_position_embeddings"},
        {"roberta", "num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size", "hidden_act",
         "gelu", "max_position_embeddings"},
        {"distilbert", "n_layers", "dim", "n_heads", "hidden_dim", "activation", "gelu", "max_position_embeddings"},
        {"gpt2", "n_layer", "n_embd", "n_head", "n_inner", "activation_function", "gelu_new", "n_positions"},
        {"llama", "num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size", "hidden_act", "silu",
         "max_position_embeddings"},
        {"mistral", "num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size", "hidden_act",
         "silu", "max_position_embeddings"},
    };
    return keys;
}

const TypeKeys& keys_of(const std::string& type) {
    for (const TypeKeys& k : type_keys())
        if (k.type == type) return k;
    throw std::logic_error("no keys for model_type " + type);
}

bool present(const json& root, const std::string& key) { return root.contains(key) && !root.at(key).is_null(); }

}  // namespace

bool HuggingFaceConfig::recognizes(const json& root) { return root.is_object() && root.contains("model_type"); }

const std::vector<std::string>& HuggingFaceConfig::supported_model_types() {
    static const std::vector<std::string> types = [] {
        std::vector<std::string> t;
        for (const TypeKeys& k : type_keys()) t.push_back(k.type);
        return t;
    }();
    return types;
}

HuggingFaceConfig::HuggingFaceConfig(const JsonReader& reader, json root) : reader_(reader), root_(std::move(root)) {
    const json& type = root_.at("model_type");
    if (!type.is_string())
        reader_.fail("model_type", "expected a model type string such as \"bert\", found " + JsonReader::describe(type));
    type_ = type.get<std::string>();
    const auto& supported = supported_model_types();
    if (std::find(supported.begin(), supported.end(), type_) == supported.end())
        reader_.fail("model_type", "model_type \"" + printable_excerpt(type_) +
                                       "\" is not supported; supported: " + comma_list(supported) +
                                       " (other architectures: describe them in the model YAML format, docs/models.md)");
}

int HuggingFaceConfig::required_int(const std::string& key, std::int64_t hi) const {
    read_.push_back(key);
    if (!present(root_, key))
        reader_.fail("", "missing required key '" + key + "' (model_type " + type_ + ")");
    return reader_.integer(key, root_.at(key), 1, hi);
}

bool HuggingFaceConfig::optional_bool(const std::string& key, bool fallback) const {
    read_.push_back(key);
    if (!present(root_, key)) return fallback;
    if (!root_.at(key).is_boolean())
        reader_.fail(key, "expected true or false, found " + JsonReader::describe(root_.at(key)));
    return root_.at(key).get<bool>();
}

// Our graphs have GELU or ReLU after the first FFN matmul of encoders and GPT-2, and SwiGLU (a
// SiLU gate) in Llama-style decoders; the tanh and sigmoid approximations of GELU are the same
// op here (one pass of the lane's non-linearity).
std::string HuggingFaceConfig::activation(const std::string& key, const std::string& fallback,
                                          std::vector<std::string>& notes) const {
    read_.push_back(key);
    std::string act = fallback;
    if (present(root_, key)) {
        if (!root_.at(key).is_string())
            reader_.fail(key, "expected an activation name string, found " + JsonReader::describe(root_.at(key)));
        act = root_.at(key).get<std::string>();
    }
    if (type_ == "llama" || type_ == "mistral") {
        if (act == "silu" || act == "swish") return "swiglu";
        reader_.fail(key, "expected \"silu\" (the SwiGLU feed-forward of " + type_ + "), found \"" +
                              printable_excerpt(act) + "\"");
    }
    if (act == "relu") return "relu";
    const std::vector<std::string> gelus{"gelu", "gelu_new", "gelu_fast", "gelu_pytorch_tanh", "quick_gelu", "gelu_python"};
    if (std::find(gelus.begin(), gelus.end(), act) == gelus.end())
        reader_.fail(key, "expected relu or a GELU (" + comma_list(gelus) + "), found \"" + printable_excerpt(act) + "\"");
    if (act != "gelu")
        notes.push_back(reader_.file() + ": " + key + " \"" + act + "\" is simulated as GELU (the same lane operation)");
    return "gelu";
}

// A config.json is named by the folder it sits in (the checkpoint's name, as Hugging Face lays
// checkpoints out); any other file by its stem.
std::string HuggingFaceConfig::model_name() const {
    const std::filesystem::path path(reader_.file());
    const std::string folder = std::filesystem::absolute(path).parent_path().filename().string();
    if (path.stem() == "config" && !folder.empty()) return folder;
    return path.stem().string();
}

ModelSpec HuggingFaceConfig::to_model_spec(std::vector<std::string>& notes) const {
    const TypeKeys& k = keys_of(type_);
    read_ = {"model_type"};
    ModelSpec spec;
    spec.name = model_name();
    spec.source = reader_.file();
    const bool llama_like = type_ == "llama" || type_ == "mistral";
    const bool decoder = llama_like || type_ == "gpt2";
    spec.family = llama_like ? "llama" : type_ == "gpt2" ? "gpt2" : "bert";
    spec.architecture = decoder ? "decoder" : "encoder";
    spec.norm = llama_like ? "rmsnorm" : "layernorm";
    spec.position = llama_like ? "rotary" : "learned";

    const int layers = required_int(k.layers, kMaxLayers);
    const int hidden = required_int(k.hidden, kMaxHidden);
    const int heads = required_int(k.heads, kMaxHidden);
    if (hidden % heads != 0)
        reader_.fail(k.heads, k.heads + " (" + std::to_string(heads) + ") must divide " + k.hidden + " (" +
                                  std::to_string(hidden) + ") so that every head has the same width");
    // Every layer's heads are expanded into records (set_uniform_layers); the model YAML reader
    // applies the same bound, so that 1024 layers of 65536 heads fail here, not as 2.7 GB.
    if (std::int64_t(layers) * heads > kMaxTotalHeads)
        reader_.fail(k.heads, "expected at most " + std::to_string(kMaxTotalHeads) + " attention heads over all "
                              "layers, found " + std::to_string(layers) + " layers (" + k.layers + ") of " +
                              std::to_string(heads) + " heads");
    // GPT-2's n_inner is null in the released configs, meaning 4 x n_embd.
    const bool ffn_given = type_ != "gpt2" || present(root_, k.ffn);
    const int ffn = ffn_given ? required_int(k.ffn, kMaxFfn) : 4 * hidden;
    if (!ffn_given) read_.push_back(k.ffn);
    if (ffn > kMaxFfn)
        reader_.fail(k.hidden, "4 x " + k.hidden + " (n_inner is null) is " + std::to_string(ffn) +
                                   ", more than the limit " + std::to_string(kMaxFfn));
    spec.vocab_size = required_int("vocab_size", kMaxVocab);
    spec.max_positions = required_int(k.positions, kMaxPositions);
    spec.activation = activation(k.activation, k.activation_default, notes);

    int kv_heads = heads;
    if (llama_like) {
        read_.insert(read_.end(), {"num_key_value_heads", "head_dim"});
        if (present(root_, "num_key_value_heads")) {
            kv_heads = reader_.integer("num_key_value_heads", root_.at("num_key_value_heads"), 1, heads);
            if (heads % kv_heads != 0)
                reader_.fail("num_key_value_heads", "num_key_value_heads (" + std::to_string(kv_heads) +
                                                        ") must divide num_attention_heads (" + std::to_string(heads) +
                                                        ") so that every key/value head serves as many query heads");
        }
        if (present(root_, "head_dim") &&
            reader_.integer("head_dim", root_.at("head_dim"), 1, kMaxHidden) != hidden / heads)
            reader_.fail("head_dim", "expected hidden_size / num_attention_heads = " + std::to_string(hidden / heads) +
                                         " (our graphs give every head that width), found " +
                                         root_.at("head_dim").dump());
        if ((hidden / heads) % 2 != 0)
            reader_.fail(k.heads, "rotary embedding rotates pairs of dimensions, so the head width hidden_size / "
                                  "num_attention_heads (" + std::to_string(hidden / heads) + ") must be even");
    }
    if (decoder) spec.tie_embeddings = optional_bool("tie_word_embeddings", !llama_like);
    if (type_ == "bert" || type_ == "roberta") {
        read_.push_back("position_embedding_type");
        if (present(root_, "position_embedding_type") && root_.at("position_embedding_type") != "absolute")
            reader_.fail("position_embedding_type", "expected \"absolute\" (learned position rows, the only kind "
                                                    "the encoder graph has), found " +
                                                        JsonReader::describe(root_.at("position_embedding_type")));
    }
    if (type_ == "distilbert" && optional_bool("sinusoidal_pos_embds", false))
        notes.push_back(reader_.file() + ": sinusoidal_pos_embds: fixed sinusoidal positions are simulated as a "
                                         "position table added to the embedding, the same ops as learned ones");
    if (type_ == "mistral" && present(root_, "sliding_window")) {
        read_.push_back("sliding_window");
        notes.push_back(reader_.file() + ": sliding_window " + printable_excerpt(root_.at("sliding_window").dump()) +
                        " is not modelled: attention spans the whole causal context (the same as Mistral's for "
                        "sequences up to the window)");
    }
    set_uniform_layers(spec, layers, hidden, heads, kv_heads, ffn);

    std::vector<std::string> ignored;
    for (const auto& [key, value] : root_.items())
        if (std::find(read_.begin(), read_.end(), key) == read_.end()) ignored.push_back(key);
    if (!ignored.empty())
        notes.push_back(reader_.file() + ": ignored (no counterpart in the simulated graph): " + comma_list(ignored));
    return spec;
}

}  // namespace acceltran::workloads
