#include "workloads/model_spec.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "modules/common/config_node.h"
#include "modules/common/errors.h"

namespace acceltran::workloads {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Limits far above any published transformer; they exist so that a typo (an extra zero or
// three) fails here with a clear message instead of as an allocation failure deep in tiling.
constexpr std::int64_t kMaxLayers = 1024;
constexpr std::int64_t kMaxHidden = 65536;
constexpr std::int64_t kMaxFfn = 262144;
constexpr std::int64_t kMaxVocab = 10000000;
constexpr std::int64_t kMaxPositions = 1048576;

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
}

// --- FlexiBERT 2.0 model dict ------------------------------------------------------------

// Every complaint about the dict names the file and the JSON path of the offending value.
[[noreturn]] void dict_fail(const std::string& file, const std::string& path,
                            const std::string& message) {
    throw InputError(file + ": " + (path.empty() ? std::string("top level") : path) + ": " +
                     message);
}

std::string json_type(const json& j) {
    if (j.is_number_integer()) return "the integer " + j.dump();
    if (j.is_number()) return "the number " + j.dump();
    if (j.is_string()) return "the string " + j.dump();
    if (j.is_array()) return "a list";
    if (j.is_object()) return "an object";
    if (j.is_boolean()) return j.dump();
    return "null";
}

const json& dict_key(const std::string& file, const json& root, const char* key) {
    auto it = root.find(key);
    if (it == root.end()) dict_fail(file, "", std::string("missing required key '") + key + "'");
    return *it;
}

int dict_int(const std::string& file, const std::string& path, const json& j, std::int64_t hi) {
    // JSON has one number type; 2.0 for a layer count is as wrong as "2".
    if (!j.is_number_integer())
        dict_fail(file, path, "expected a positive integer, found " + json_type(j));
    std::int64_t v = j.is_number_unsigned() ? static_cast<std::int64_t>(std::min<std::uint64_t>(
                                                  j.get<std::uint64_t>(), INT64_MAX))
                                            : j.get<std::int64_t>();
    if (v < 1 || v > hi)
        dict_fail(file, path,
                  "expected an integer from 1 to " + std::to_string(hi) + ", found " + j.dump());
    return static_cast<int>(v);
}

const json& dict_list(const std::string& file, const std::string& path, const json& j,
                      std::size_t expected_size, const std::string& size_reason) {
    if (!j.is_array()) dict_fail(file, path, "expected a list, found " + json_type(j));
    if (expected_size != 0 && j.size() != expected_size)
        dict_fail(file, path,
                  "expected " + std::to_string(expected_size) + " entries (" + size_reason +
                      "), found " + std::to_string(j.size()));
    if (j.empty()) dict_fail(file, path, "expected a non-empty list, found an empty one");
    return j;
}

// "<type>_<param>_<width>", e.g. "sa_sdp_64".
AttentionHeadSpec parse_head(const std::string& file, const std::string& path, const json& j,
                             std::size_t layer, std::size_t head) {
    if (!j.is_string())
        dict_fail(file, path,
                  "expected a head string such as \"sa_sdp_64\", found " + json_type(j));
    const std::string text = j.get<std::string>();
    std::vector<std::string> parts;
    std::stringstream ss(text);
    for (std::string p; std::getline(ss, p, '_');) parts.push_back(p);
    if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[2].empty())
        dict_fail(file, path,
                  "expected a head string '<type>_<param>_<width>' such as \"sa_sdp_64\", "
                  "found \"" + text + "\"");
    const std::string type = parts[0] + "_" + parts[1];
    if (type != "sa_sdp")
        dict_fail(file, path,
                  "head \"" + text + "\" (layer " + std::to_string(layer) + ", head " +
                      std::to_string(head) +
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
        dict_fail(file, path,
                  "head \"" + text + "\": width '" + parts[2] + "' must be an integer from 1 to " +
                      std::to_string(kMaxHidden));
    return AttentionHeadSpec{type, static_cast<int>(width)};
}

}  // namespace

ModelSpec load_model_yaml(const std::string& path) {
    ConfigNode root = ConfigNode::load_file(path);
    root.expect_keys({"name", "family", "vocab_size", "max_positions", "activation", "layers",
                      "hidden", "heads", "ffn"});
    ModelSpec spec;
    spec.source = path;
    spec.name = root.get_string("name");
    if (spec.name.empty()) root.child("name").fail("a non-empty model name");
    spec.family = root.get_choice("family", {"bert"}, spec.family);
    spec.activation = root.get_choice("activation", {"gelu", "relu"}, spec.activation);
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
    LayerSpec layer;
    layer.hidden = hidden;
    layer.heads.assign(heads, AttentionHeadSpec{"sa_sdp", hidden / heads});
    layer.ffn = {ffn};
    spec.layers.assign(layers, layer);
    return spec;
}

ModelSpec load_model_dict_json(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path + ": cannot open file");
    std::stringstream text;
    text << in.rdbuf();
    json root;
    try {
        root = json::parse(text.str());
    } catch (const json::parse_error& e) {
        throw InputError(path + ": malformed JSON at byte " + std::to_string(e.byte) + ": " +
                         e.what());
    }
    if (!root.is_object())
        dict_fail(path, "", "expected a model dict object {\"l\", \"o\", \"h\", \"f\"}, found " +
                                json_type(root));
    const std::vector<std::string> allowed{"l", "o", "h", "f"};
    for (auto it = root.begin(); it != root.end(); ++it) {
        const std::string& key = it.key();
        if (key == "p")
            dict_fail(path, "p",
                      "model dicts with a 'p' key are not supported (the original AccelTran "
                      "simulator refuses them too); remove it");
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            std::string hint = closest_match(key, allowed);
            dict_fail(path, "",
                      "unknown key '" + key + "'" +
                          (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                          "; allowed keys: " + join(allowed));
        }
    }

    const int layers = dict_int(path, "l", dict_key(path, root, "l"), kMaxLayers);
    const std::string per_layer = "one per layer, l = " + std::to_string(layers);
    const json& o = dict_list(path, "o", dict_key(path, root, "o"), layers, per_layer);
    const json& h = dict_list(path, "h", dict_key(path, root, "h"), layers, per_layer);
    const json& f = dict_list(path, "f", dict_key(path, root, "f"), layers, per_layer);

    ModelSpec spec;
    spec.name = fs::path(path).stem().string();
    spec.source = path;
    for (std::size_t l = 0; l < static_cast<std::size_t>(layers); ++l) {
        const std::string li = "[" + std::to_string(l) + "]";
        LayerSpec layer;
        layer.hidden = dict_int(path, "h" + li, h[l], kMaxHidden);
        const json& heads = dict_list(path, "o" + li, o[l], 0, "");
        for (std::size_t i = 0; i < heads.size(); ++i)
            layer.heads.push_back(
                parse_head(path, "o" + li + "[" + std::to_string(i) + "]", heads[i], l, i));
        const json& widths = dict_list(path, "f" + li, f[l], 0, "");
        for (std::size_t i = 0; i < widths.size(); ++i)
            layer.ffn.push_back(
                dict_int(path, "f" + li + "[" + std::to_string(i) + "]", widths[i], kMaxFfn));
        spec.layers.push_back(std::move(layer));
    }
    return spec;
}

std::vector<std::string> shipped_models(const std::string& models_dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(models_dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() == ".yaml" && it->is_regular_file(ec))
            names.push_back(it->path().stem().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

ModelSpec load_model(const std::string& name_or_path, const std::string& models_dir) {
    const std::vector<std::string> shipped = shipped_models(models_dir);
    if (std::find(shipped.begin(), shipped.end(), name_or_path) != shipped.end())
        return load_model_yaml((fs::path(models_dir) / (name_or_path + ".yaml")).string());

    const fs::path p(name_or_path);
    const std::string ext = p.extension().string();
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) {
        if (ext == ".json") return load_model_dict_json(name_or_path);
        if (ext == ".yaml" || ext == ".yml") return load_model_yaml(name_or_path);
        throw InputError(name_or_path +
                         ": cannot tell the model format from the extension '" + ext +
                         "'; expected .yaml or .yml (model zoo) or .json (FlexiBERT model dict)");
    }
    // Something that looks like a path is a missing file, not a misspelt model name.
    if (p.has_parent_path() || ext == ".json" || ext == ".yaml" || ext == ".yml")
        throw InputError(name_or_path + ": no such model file");
    if (shipped.empty())
        throw InputError("unknown model '" + name_or_path + "'; no shipped models found in " +
                         models_dir);
    std::string hint = closest_match(name_or_path, shipped);
    throw InputError("unknown model '" + name_or_path + "'" +
                     (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                     "; shipped models: " + join(shipped) +
                     "; or give a .yaml or .json file path");
}

}  // namespace acceltran::workloads
