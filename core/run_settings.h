// What one simulation run is asked to do, beside the model and the design point: the run's
// shape (sequence length and batch, or a decoder's prompt and generation lengths), how finely
// to simulate, and the timeline's sample period. Parsed once by a front end (the CLI's options,
// the Python API's arguments) and handed to Simulation (modules/simulation/simulation.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/detail_level.h"
#include "core/sparsity_settings.h"

namespace acceltran {

// The functional mode (docs/dynatran.md): real values in the design's fixed-point format, from
// weights and tokens loaded or generated, with DynaTran or top-k deciding the zeros.
struct FunctionalSettings {
    std::string weights_path;  // .safetensors with Hugging Face names; empty: generated from seed
    std::string tokens_path;   // one sequence of token ids per line; empty: random from seed
    std::uint64_t seed = 1;    // generated weights and tokens, stochastic rounding
    sparsity::DynaTranConfig sparsity;
    // Functional because the accelerator's sparsity rule prunes (AcceleratorConfig::sparsity_rule),
    // not because --functional asked: messages then name the configuration.
    bool configured = false;
};

struct RunSettings {
    int seq = 128;    // encoders, and a decoder's prompt when it does not generate
    int batch = 4;    // sequences per run
    // Decoders: prompt tokens prefilled, then gen_len decode steps of one token each. Either set
    // makes the run a generation run (docs/decoders.md); the other then defaults to 128 / 0.
    std::optional<int> prompt_len, gen_len;
    DetailLevel detail = DetailLevel::Full;
    double sample_cycles = 0;  // timeline sample period in cycles; 0: adaptive (2,048-4,096 rows)
    std::optional<FunctionalSettings> functional;  // empty: the timing-only model
    // Generation runs: decode steps simulated one by one at most; a longer generation simulates
    // that many and interpolates the others (docs/decoders.md §9). 0: every step.
    int simulated_steps = 16;
    // Layers simulated per phase (the encoder pass, the prefill, each simulated decode step);
    // the others repeat the last one (docs/model-reference.md §6b). 0: every layer; -1 (the
    // default, workloads::kAutoLayerSampling): every layer of a model of at most 48 layers, 3 of
    // a deeper one whose layers are identical.
    int simulated_layers = -1;
    // Bytes a run's memory estimate may reach before the run is refused (docs/robustness.md,
    // "Memory"); 0: half the machine's physical memory.
    std::uint64_t max_memory = 0;
    // A mapping file to follow (docs/mapping.md §3, workloads/mapping_file.h); empty: the
    // default mapping.
    std::string mapping;

    bool generating() const { return prompt_len.has_value() || gen_len.has_value(); }
};

}  // namespace acceltran
