#include "workloads/import/model_yaml_writer.h"

#include <yaml-cpp/yaml.h>

#include "core/errors.h"

namespace acceltran::workloads {

void ModelYamlWriter::check_uniform(const ModelSpec& spec) const {
    auto refuse = [&](const std::string& what) {
        throw InputError(origin_ + ": cannot be written in the model YAML format, which describes identical layers "
                                   "with equal heads and one FFN width: " + what);
    };
    const LayerSpec& first = spec.layers.front();
    for (std::size_t l = 0; l < spec.layers.size(); ++l) {
        const LayerSpec& layer = spec.layers[l];
        const std::string at = "layer " + std::to_string(l);
        if (layer.ffn.size() != 1) refuse(at + " has " + std::to_string(layer.ffn.size()) + " FFN widths");
        for (const AttentionHeadSpec& head : layer.heads)
            if (head.width * int(layer.heads.size()) != layer.hidden)
                refuse(at + " has heads of width " + std::to_string(head.width) + " in hidden " +
                       std::to_string(layer.hidden) + " (the format gives every head hidden/heads)");
        if (layer.hidden != first.hidden || layer.heads.size() != first.heads.size() || layer.ffn != first.ffn ||
            layer.key_value_heads() != first.key_value_heads())
            refuse(at + " differs from layer 0 (hidden " + std::to_string(layer.hidden) + " vs " +
                   std::to_string(first.hidden) + ", heads " + std::to_string(layer.heads.size()) + " vs " +
                   std::to_string(first.heads.size()) + ", ffn " + std::to_string(layer.ffn.front()) + " vs " +
                   std::to_string(first.ffn.front()) + ")");
    }
}

std::string ModelYamlWriter::text(const ModelSpec& spec) const {
    check_uniform(spec);
    const LayerSpec& layer = spec.layers.front();
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << spec.name;
    if (!spec.aliases.empty()) out << YAML::Key << "aliases" << YAML::Value << YAML::Flow << spec.aliases;
    out << YAML::Key << "family" << YAML::Value << spec.family;
    out << YAML::Key << "architecture" << YAML::Value << spec.architecture;
    out << YAML::Key << "norm" << YAML::Value << spec.norm;
    out << YAML::Key << "position" << YAML::Value << spec.position;
    out << YAML::Key << "activation" << YAML::Value << spec.activation;
    out << YAML::Key << "tie_embeddings" << YAML::Value << spec.tie_embeddings;
    out << YAML::Key << "vocab_size" << YAML::Value << spec.vocab_size;
    out << YAML::Key << "max_positions" << YAML::Value << spec.max_positions;
    out << YAML::Key << "layers" << YAML::Value << spec.layers.size();
    out << YAML::Key << "hidden" << YAML::Value << layer.hidden;
    out << YAML::Key << "heads" << YAML::Value << layer.heads.size();
    out << YAML::Key << "kv_heads" << YAML::Value << layer.key_value_heads();
    out << YAML::Key << "ffn" << YAML::Value << layer.ffn.front();
    out << YAML::EndMap;
    return "# " + spec.name + ", imported by `acceltran import` from " + origin_ + " (" + format_ +
           ").\n# Every key: docs/models.md and the files in workloads/models/.\n" + out.c_str() + "\n";
}

}  // namespace acceltran::workloads
