// One entry point per fuzz target, shared by the libFuzzer targets (tests/fuzz/fuzz_*.cpp, built
// with -DACCELTRAN_FUZZ=ON by scripts/fuzz) and by the replay test of the normal suite
// (tests/unit/test_fuzz_corpus.cpp), so that what is replayed is exactly what was fuzzed.
//
// The contract every parser must keep for any bytes at all: return a value or throw one of our
// error types (errors.h), which the CLI turns into a message and an exit code. Anything else (a
// crash, a sanitizer report, a hang, an exception of another type) is a finding; these
// functions let such exceptions escape so that libFuzzer and the test report them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/accelerator_config.h"
#include "modules/builtin_models.h"
#include "core/config_node.h"
#include "core/errors.h"
#include "workloads/functional/safetensors_file.h"
#include "workloads/model_spec.h"
#include "workloads/op_graph.h"
#include "workloads/graph_builder.h"

namespace acceltran::fuzz {

enum class Outcome { parsed, refused };

// Runs `parse`; a refusal with one of our errors is a normal outcome.
template <typename Parse>
Outcome outcome_of(Parse&& parse) {
    try {
        parse();
        return Outcome::parsed;
    } catch (const InputError&) {
        return Outcome::refused;
    } catch (const UsageError&) {
        return Outcome::refused;
    }
}

// A model that loads must also build its graph, which is where its sizes are multiplied out: the
// loader's limits are there to keep this step bounded. A short sequence keeps each run fast.
inline void build_small_graph(const workloads::ModelSpec& model) {
    workloads::build_op_graph(model, std::min(model.max_positions, 16), 1);
}

// Model zoo YAML (workloads/models/*.yaml).
inline Outcome model_yaml(const std::string& text) {
    return outcome_of([&] { build_small_graph(workloads::parse_model_yaml(text, "fuzz.yaml")); });
}

// FlexiBERT 2.0 model dict JSON.
inline Outcome model_dict_json(const std::string& text) {
    return outcome_of([&] { build_small_graph(workloads::parse_model_dict_json(text, "fuzz.json")); });
}

// Accelerator design point YAML (configs/accelerators/*.yaml), read as load_accelerator does.
inline Outcome accelerator_yaml(const std::string& text) {
    register_builtin_models();
    return outcome_of([&] { parse_accelerator(ConfigNode::load_string(text, "fuzz.yaml").yaml(), "fuzz.yaml"); });
}

// Safetensors weight files (the functional mode's load_weights), parsed from memory; every
// tensor that the header accepts is read and converted, so the offsets' checks are exercised.
inline Outcome safetensors(const std::string& bytes) {
    return outcome_of([&] {
        const auto file = functional::SafetensorsFile::from_bytes(bytes, "fuzz.safetensors");
        for (const auto& entry : file.tensors()) file.read(entry);
    });
}

inline std::string bytes_text(const std::uint8_t* data, std::size_t size) {
    return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace acceltran::fuzz
