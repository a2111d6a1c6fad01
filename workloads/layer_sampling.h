// Layer sampling (docs/model-reference.md §6b): a model whose layers all have the same shape may
// be simulated with only its first N layers of each phase (the encoder pass, the prefill, each
// simulated decode step); the program marks the other layers' entries `repeated`
// (ProgramEntry::repeated) and the run counts them as repeats of layer N
// (modules/simulation/layer_extrapolation.h).
#pragma once

#include <cstdint>

#include "workloads/model_spec.h"
#include "workloads/tiled_program.h"

namespace acceltran::workloads {

// --simulated-layers's default: every layer of a model of at most kAutoLayerSamplingAbove
// layers (every shipped model, so their goldens are whole runs), kAutoSimulatedLayers of a
// deeper model whose layers are identical.
inline constexpr int kAutoLayerSampling = -1;
inline constexpr int kAutoLayerSamplingAbove = 48;
inline constexpr int kAutoSimulatedLayers = 3;

// Whether every layer of the model has the first one's shape (width, heads, KV heads, FFN).
bool identical_layers(const ModelSpec& model);

// The layers simulated per phase for RunSettings::simulated_layers `setting`
// (kAutoLayerSampling, 0 = every layer, or N >= 2), or 0 when every layer is simulated (also
// when N covers them all). UsageError for 1 or a negative N other than the default (the
// repeats copy the difference between the last two simulated layers); InputError for an N
// below the model's layers when its layers differ in shape.
int sampled_layer_count(const ModelSpec& model, int setting);

// Marks repeated every entry whose owner op (entry_owner_ops) is in layer `simulated` or later,
// except the write-back of a graph output; entries outside the layers (embeddings, the final
// norm, the LM head) are always simulated.
// Returns the number of entries marked.
std::uint64_t mark_repeated_layers(TiledProgram& program, int simulated);

}  // namespace acceltran::workloads
