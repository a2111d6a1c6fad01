#include "workloads/layer_sampling.h"

#include <string>
#include <vector>

#include "core/errors.h"

namespace acceltran::workloads {

namespace {

bool same_shape(const LayerSpec& a, const LayerSpec& b) {
    if (a.hidden != b.hidden || a.key_value_heads() != b.key_value_heads() || a.ffn != b.ffn ||
        a.heads.size() != b.heads.size())
        return false;
    for (std::size_t h = 0; h < a.heads.size(); ++h)
        if (a.heads[h].type != b.heads[h].type || a.heads[h].width != b.heads[h].width) return false;
    return true;
}

}  // namespace

bool identical_layers(const ModelSpec& model) {
    for (const auto& layer : model.layers)
        if (!same_shape(layer, model.layers.front())) return false;
    return true;
}

int sampled_layer_count(const ModelSpec& model, int setting) {
    const int layers = int(model.layers.size());
    if (setting == kAutoLayerSampling)
        return layers > kAutoLayerSamplingAbove && identical_layers(model) ? kAutoSimulatedLayers : 0;
    if (setting < 0 || setting == 1)
        throw UsageError("the layers simulated per phase (--simulated-layers) must be 0 (every layer) or at least 2, "
                         "got " + std::to_string(setting) +
                         ": the layers left out repeat the difference between the last two simulated ones");
    if (setting == 0 || setting >= layers) return 0;
    if (!identical_layers(model)) {
        std::size_t l = 1;
        while (same_shape(model.layers[l], model.layers.front())) ++l;
        throw InputError("model '" + model.name + "': --simulated-layers " + std::to_string(setting) +
                         " needs layers of one shape, but layer " + std::to_string(l) +
                         " differs from layer 0 (width, heads or FFN); simulate every layer with "
                         "--simulated-layers 0");
    }
    return setting;
}

std::uint64_t mark_repeated_layers(TiledProgram& program, int simulated) {
    const std::vector<int> owner = entry_owner_ops(program);
    std::uint64_t marked = 0;
    const OpGraph& g = *program.graph;
    for (std::size_t e = 0; e < program.entries.size(); ++e) {
        const ProgramEntry& entry = program.entries[e];
        // The write-back of a graph output (an encoder's last layer's result) ends the run
        // whichever layer produced it; a repeated layer has no counterpart of it to copy.
        const bool output = entry.kind == EntryKind::Store && g.consumers[std::size_t(entry.tensor)].empty();
        const bool repeated = !output && owner[e] >= 0 && g.ops[std::size_t(owner[e])].layer >= simulated;
        program.entries[e].repeated = repeated;
        marked += repeated ? 1 : 0;
    }
    return marked;
}

}  // namespace acceltran::workloads
