#include "workloads/model_spec.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/config_node.h"
#include "core/errors.h"
#include "core/input_file.h"
#include "core/json_reader.h"
#include "core/text_list.h"

namespace acceltran::workloads {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Feed-forward widths in a model dict are limited as heads are (kMaxTotalHeads), since each one
// becomes two ops of the graph.
constexpr std::int64_t kMaxTotalFfn = 65536;

std::string over_all_layers(std::int64_t limit, const char* what) {
    return "at most " + std::to_string(limit) + " " + what +
           " over all layers (a limit that keeps the model's graph in memory)";
}

// --- FlexiBERT 2.0 model dict ------------------------------------------------------------

// Every complaint about the dict names the file, the JSON path of the offending value and where
// that value is in the text (core/json_reader.h).
class DictReader : public JsonReader {
public:
    using JsonReader::JsonReader;

    const json& key(const json& root, const char* name) const {
        auto it = root.find(name);
        if (it == root.end()) fail("", std::string("missing required key '") + name + "'");
        return *it;
    }

    int integer(const std::string& path, const json& j, std::int64_t hi) const {
        return JsonReader::integer(path, j, 1, hi);
    }

    // At least `min_size` entries (0: any); the caller reads the first min_size.
    const json& list(const std::string& path, const json& j, std::size_t min_size,
                     const std::string& size_reason) const {
        if (!j.is_array()) fail(path, "expected a list, found " + JsonReader::describe(j));
        if (min_size != 0 && j.size() < min_size)
            fail(path, "expected at least " + std::to_string(min_size) + " entries (" + size_reason + "), found " +
                           std::to_string(j.size()));
        if (j.empty()) fail(path, "expected a non-empty list, found an empty one");
        return j;
    }

    // "<type>_<param>_<width>", e.g. "sa_sdp_64".
    AttentionHeadSpec head(const std::string& path, const json& j, std::size_t layer, std::size_t index) const {
        if (!j.is_string()) fail(path, "expected a head string such as \"sa_sdp_64\", found " + JsonReader::describe(j));
        const std::string text = j.get<std::string>();
        const std::string shown = "\"" + printable_excerpt(text) + "\"";
        std::vector<std::string> parts;
        std::stringstream ss(text);
        for (std::string p; std::getline(ss, p, '_');) parts.push_back(p);
        if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[2].empty())
            fail(path, "expected a head string '<type>_<param>_<width>' such as \"sa_sdp_64\", found " + shown);
        const std::string type = parts[0] + "_" + parts[1];
        if (type != "sa_sdp")
            fail(path, "head " + shown + " (layer " + std::to_string(layer) + ", head " + std::to_string(index) +
                           ") is not supported: only sa_sdp (scaled dot-product self-attention) "
                           "heads are simulated; sa_wma, convolution (c_*) and linear-transform "
                           "(l_*) heads are not");
        std::int64_t width = 0;
        try {
            std::size_t used = 0;
            width = std::stoll(parts[2], &used, 10);
            if (used != parts[2].size()) width = 0;
        } catch (const std::logic_error&) {
            width = 0;
        }
        if (width < 1 || width > kMaxHidden)
            fail(path, "head " + shown + ": width '" + printable_excerpt(parts[2]) +
                           "' must be an integer from 1 to " + std::to_string(kMaxHidden));
        return AttentionHeadSpec{type, static_cast<int>(width)};
    }

};

// The top level must be an object of known keys (JsonReader::parse has refused a key given twice,
// which nlohmann would otherwise resolve silently to the last).
void check_dict_keys(const DictReader& reader, const json& root) {
    if (!root.is_object())
        reader.fail("", "expected a model dict object {\"l\", \"o\", \"h\", \"f\"}, found " + JsonReader::describe(root));
    const std::vector<std::string> allowed{"l", "o", "h", "f"};
    for (const auto& [key, offset] : reader.locator().top_level_keys()) {
        const std::string shown = printable_excerpt(key);
        if (key == "p")
            reader.fail_at("p",
                           "model dicts with a 'p' key are not supported (the original AccelTran "
                           "simulator refuses them too); remove it",
                           offset);
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            std::string hint = closest_match(key, allowed);
            reader.fail_at("", "unknown key '" + shown + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                                   "; allowed keys: " + comma_list(allowed),
                           offset);
        }
    }
}

}  // namespace

std::int64_t ModelSpec::parameters() const {
    const std::int64_t h0 = hidden();
    std::int64_t p = std::int64_t(vocab_size) * h0;
    if (position == "learned") p += std::int64_t(max_positions) * h0;
    std::int64_t width = h0;
    for (const LayerSpec& layer : layers) {
        const std::int64_t h = layer.hidden;
        if (h != width) p += width * h;
        std::int64_t q = 0;
        for (const auto& head : layer.heads) q += head.width;
        const std::int64_t kv = q / std::int64_t(layer.heads.size()) * layer.key_value_heads();
        p += h * q + 2 * h * kv + q * h;
        if (activation == "swiglu") {
            p += 3 * h * layer.ffn.front();
        } else {
            std::int64_t in = h;
            for (int f : layer.ffn) {
                p += in * f;
                in = f;
            }
            p += in * h;
        }
        width = h;
    }
    if (decoder() && !tie_embeddings) p += std::int64_t(vocab_size) * width;
    return p;
}

ModelSpec parse_model_yaml(const std::string& text, const std::string& origin) {
    ConfigNode root = ConfigNode::load_string(text, origin);
    root.expect_keys({"name", "aliases", "family", "architecture", "norm", "position",
                      "tie_embeddings", "vocab_size", "max_positions", "activation", "layers",
                      "hidden", "heads", "kv_heads", "ffn"});
    ModelSpec spec;
    spec.source = origin;
    spec.name = root.get_string("name");
    if (spec.name.empty()) root.child("name").fail("a non-empty model name");
    if (root.has("aliases"))
        for (const ConfigNode& alias : root.child("aliases").elements()) {
            spec.aliases.push_back(alias.as_string());
            if (spec.aliases.back().empty() || spec.aliases.back() == spec.name)
                alias.fail("a name other than the model's own");
        }
    spec.family = root.get_choice("family", {"bert", "gpt2", "llama"}, spec.family);
    spec.architecture = root.get_choice("architecture", {"encoder", "decoder"}, spec.architecture);
    spec.norm = root.get_choice("norm", {"layernorm", "rmsnorm"}, spec.norm);
    spec.position = root.get_choice("position", {"learned", "rotary"}, spec.position);
    spec.tie_embeddings = root.get_bool("tie_embeddings", spec.tie_embeddings);
    spec.activation = root.get_choice("activation", {"gelu", "relu", "swiglu"}, spec.activation);
    spec.vocab_size = static_cast<int>(root.get_int_in("vocab_size", 1, kMaxVocab, spec.vocab_size));
    spec.max_positions =
        static_cast<int>(root.get_int_in("max_positions", 1, kMaxPositions, spec.max_positions));
    const int layers = static_cast<int>(root.get_int_in("layers", 1, kMaxLayers));
    const int hidden = static_cast<int>(root.get_int_in("hidden", 1, kMaxHidden));
    const int heads = static_cast<int>(root.get_int_in("heads", 1, kMaxHidden));
    const int ffn = static_cast<int>(root.get_int_in("ffn", 1, kMaxFfn));
    if (hidden % heads != 0)
        root.child("heads").fail_message("heads (" + std::to_string(heads) +
                                         ") must divide hidden (" + std::to_string(hidden) +
                                         ") so that every head has the same width");
    if (std::int64_t(layers) * heads > kMaxTotalHeads)
        root.child("heads").fail_message("expected " + over_all_layers(kMaxTotalHeads, "attention heads") +
                                         ", found " + std::to_string(layers) + " layers of " +
                                         std::to_string(heads) + " heads");
    const int kv_heads = static_cast<int>(root.get_int_in("kv_heads", 1, heads, heads));
    if (heads % kv_heads != 0)
        root.child("kv_heads").fail_message("kv_heads (" + std::to_string(kv_heads) + ") must divide heads (" +
                                            std::to_string(heads) +
                                            ") so that every key/value head serves as many query heads");
    if (spec.position == "rotary" && (hidden / heads) % 2 != 0)
        root.child("position").fail_message("rotary embedding rotates pairs of dimensions, so the head width "
                                            "hidden/heads (" + std::to_string(hidden / heads) + ") must be even");
    if (!spec.decoder()) {
        // The encoder graph is BERT's (op_graph.h); it has no other variant of these parts.
        auto bert_only = [&](const std::string& key, bool is_bert, const std::string& what) {
            if (!is_bert) root.child(key).fail_message(what + " needs architecture: decoder (the encoder graph is BERT's)");
        };
        bert_only("norm", spec.norm == "layernorm", "norm: " + spec.norm);
        bert_only("position", spec.position == "learned", "position: " + spec.position);
        bert_only("activation", spec.activation != "swiglu", "activation: " + spec.activation);
        bert_only("kv_heads", kv_heads == heads, "grouped-query attention (kv_heads < heads)");
    }
    set_uniform_layers(spec, layers, hidden, heads, kv_heads, ffn);
    return spec;
}

void set_uniform_layers(ModelSpec& spec, int layers, int hidden, int heads, int kv_heads, int ffn) {
    LayerSpec layer;
    layer.hidden = hidden;
    layer.heads.assign(heads, AttentionHeadSpec{"sa_sdp", hidden / heads});
    layer.kv_heads = kv_heads;
    layer.ffn = {ffn};
    spec.layers.assign(layers, layer);
}

ModelSpec load_model_yaml(const std::string& path) {
    return parse_model_yaml(read_input_file(path, "a model YAML"), path);
}

ModelSpec parse_model_dict_json(const std::string& text, const std::string& origin, std::vector<std::string>* notes) {
    DictReader reader(origin, text);
    if (reader.locator().depth() > JsonReader::kMaxDepth)
        throw InputError(origin + ": expected a model dict, found JSON nested " +
                         std::to_string(reader.locator().depth()) + " levels deep (the limit is " +
                         std::to_string(JsonReader::kMaxDepth) + "; a model dict needs 3)");
    const json root = reader.parse(text);
    check_dict_keys(reader, root);

    const int layers = reader.integer("l", reader.key(root, "l"), kMaxLayers);
    const std::string per_layer = "one per layer, l = " + std::to_string(layers);
    const json& o = reader.list("o", reader.key(root, "o"), layers, per_layer);
    const json& h = reader.list("h", reader.key(root, "h"), layers, per_layer);
    const json& f = reader.list("f", reader.key(root, "f"), layers, per_layer);
    // The original's layer loop (get_ops() in its src/dict2ops.py) reads the first l entries of
    // each list; its own bert_nano.json says l: 1 over two-entry lists.
    std::vector<std::string> longer;
    for (const auto& [key, list] : {std::pair{"o", &o}, std::pair{"h", &h}, std::pair{"f", &f}})
        if (list->size() > std::size_t(layers)) longer.push_back(std::string(key) + " (" + std::to_string(list->size()) + ")");
    if (notes && !longer.empty())
        notes->push_back(origin + ": l = " + std::to_string(layers) + " but " + comma_list(longer) +
                         " list more layers; the first " + std::to_string(layers) +
                         " are read, as the original AccelTran simulator reads them");

    ModelSpec spec;
    spec.name = fs::path(origin).stem().string();
    spec.source = origin;
    std::int64_t total_heads = 0, total_ffn = 0;
    for (std::size_t l = 0; l < static_cast<std::size_t>(layers); ++l) {
        const std::string li = "[" + std::to_string(l) + "]";
        LayerSpec layer;
        layer.hidden = reader.integer("h" + li, h[l], kMaxHidden);
        const json& heads = reader.list("o" + li, o[l], 0, "");
        total_heads += std::int64_t(heads.size());
        if (total_heads > kMaxTotalHeads)
            reader.fail("o" + li, "expected " + over_all_layers(kMaxTotalHeads, "attention heads") + ", found " +
                                      std::to_string(total_heads) + " by layer " + std::to_string(l));
        for (std::size_t i = 0; i < heads.size(); ++i)
            layer.heads.push_back(reader.head("o" + li + "[" + std::to_string(i) + "]", heads[i], l, i));
        const json& widths = reader.list("f" + li, f[l], 0, "");
        total_ffn += std::int64_t(widths.size());
        if (total_ffn > kMaxTotalFfn)
            reader.fail("f" + li, "expected " + over_all_layers(kMaxTotalFfn, "feed-forward widths") +
                                      ", found " + std::to_string(total_ffn) + " by layer " + std::to_string(l));
        for (std::size_t i = 0; i < widths.size(); ++i)
            layer.ffn.push_back(reader.integer("f" + li + "[" + std::to_string(i) + "]", widths[i], kMaxFfn));
        spec.layers.push_back(std::move(layer));
    }
    return spec;
}

ModelSpec load_model_dict_json(const std::string& path, std::vector<std::string>* notes) {
    return parse_model_dict_json(read_input_file(path, "a model dict JSON"), path, notes);
}

InputKind model_input_kind() {
    return {"model", "a model YAML, JSON or ONNX", "shipped models", "or give a .yaml, .json or .onnx file path"};
}

std::vector<std::string> shipped_models(const std::string& models_dir) { return yaml_stems(models_dir); }

ModelSpec load_model(const std::string& name_or_path, const std::string& models_dir) {
    const InputKind kind = model_input_kind();
    // A shipped model's alias (gpt2-small for gpt2) is no file stem: look for it before
    // resolve_input reports an unknown name.
    const std::vector<std::string> shipped = shipped_models(models_dir);
    if (!looks_like_path(name_or_path) &&
        std::find(shipped.begin(), shipped.end(), name_or_path) == shipped.end() &&
        !existing_input_file(name_or_path, kind.file_kind))
        for (const std::string& name : shipped) {
            ModelSpec spec = load_model_yaml((fs::path(models_dir) / (name + ".yaml")).string());
            if (std::find(spec.aliases.begin(), spec.aliases.end(), name_or_path) != spec.aliases.end())
                return spec;
        }
    const std::string file = resolve_input(name_or_path, models_dir, kind);
    const std::string ext = fs::path(file).extension().string();
    if (ext == ".json") return load_model_dict_json(file);
    if (ext == ".yaml" || ext == ".yml") return load_model_yaml(file);
    if (ext == ".onnx")
        throw InputError(name_or_path + ": an ONNX graph is read by workloads::import_model (import/model_import.h), "
                                        "not load_model");
    throw InputError(name_or_path + ": cannot tell the model format from the extension '" + ext +
                     "'; expected .yaml or .yml (model zoo), .json (FlexiBERT model dict or Hugging Face config) "
                     "or .onnx (ONNX graph)");
}

}  // namespace acceltran::workloads
