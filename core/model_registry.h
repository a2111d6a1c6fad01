// The registry of pluggable buffer and main-memory models (in the spirit of Ramulator 2): each
// implementation describes itself (name, description, typed parameters with defaults, factory)
// and is added by name; the accelerator YAML selects one per slot with `model: <name>` and its
// parameters beside it. The registry starts empty: the built-in models live in the modules layer,
// which adds them with register_builtin_models() (modules/builtin_models.h) before any
// configuration is read; plug-ins add theirs from their acceltran_plugin_register entry point
// (core/plugin_api.h). docs/plugins.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/model_parameters.h"
#include "core/timing_model.h"

namespace acceltran {

class ConfigNode;

enum class ModelKind { Buffer, Memory };
const char* to_string(ModelKind kind);  // "buffer", "memory"

// What a model instance is built for. Buffers: the shared geometry keys of buffers.<name>
// (size_mb, banks, bank_width_bytes, latency_cycles). Main memory: the shared keys of
// main_memory (bandwidth_gbps and latency_ns converted to cycles, banks/ranks/channels).
struct ModelContext {
    std::string instance;             // "activation", "weight", "mask" or "main_memory"
    double clock_mhz = 700;           // the accelerator clock all cycles refer to
    std::uint64_t capacity_bytes = 0;
    int banks = 1;
    int bank_width_bytes = 64;        // buffers only
    int ranks = 1, channels = 1;      // main memory only
    double latency_cycles = 0;        // buffers: latency_cycles; memory: latency_ns in cycles
    double bytes_per_cycle = 0;       // buffers: banks x bank_width_bytes; memory: bandwidth_gbps
};

using ModelFactory = std::function<std::unique_ptr<TimingModel>(const ModelContext&, const ModelParameters&)>;

struct ModelEntry {
    ModelKind kind = ModelKind::Buffer;
    std::string name;
    std::string description;
    std::vector<ParameterSpec> parameters;
    ModelFactory factory;
    std::string origin;  // "built-in" or the plug-in's path; set by the registry
};

// A registry entry for model class T of slot kind `kind`, constructed as
// T(const ModelContext&, const ModelParameters&); buffer_model_entry and memory_model_entry
// (buffer_model.h, memory_model.h) check that T implements the slot's interface.
template <typename T>
ModelEntry model_entry(ModelKind kind, std::string name, std::string description,
                       std::vector<ParameterSpec> parameters) {
    ModelEntry e;
    e.kind = kind;
    e.name = std::move(name);
    e.description = std::move(description);
    e.parameters = std::move(parameters);
    e.factory = [](const ModelContext& c, const ModelParameters& p) -> std::unique_ptr<TimingModel> {
        return std::make_unique<T>(c, p);
    };
    return e;
}

// The model a YAML slot selected, with its parameter values.
struct ModelSelection {
    std::string name;
    ModelParameters parameters;
};

class ModelRegistry {
public:
    // The process-wide registry, with the built-in models already added.
    static ModelRegistry& instance();

    // Adds a model. A name already taken for the same kind, an empty name, a missing factory
    // or a malformed parameter default is an InputError naming the origin of both.
    void add(ModelEntry entry);
    const ModelEntry* find(ModelKind kind, const std::string& name) const;
    std::vector<const ModelEntry*> entries(ModelKind kind) const;
    std::vector<std::string> names(ModelKind kind) const;

    // Reads `model` and the model's parameters from a YAML slot. `shared_keys` are the slot's keys
    // every model receives through ModelContext. An unknown model lists the registered ones; an
    // unknown key lists the shared keys and the model's parameters; a bad value says what the
    // parameter expects. All errors are InputErrors with file:line:column and the key path.
    ModelSelection parse(ModelKind kind, const ConfigNode& slot, const std::vector<std::string>& shared_keys,
                         const std::string& fallback_model) const;
    // Default values of every parameter of `name` (a selection with nothing given).
    ModelSelection defaults(ModelKind kind, const std::string& name) const;

    std::unique_ptr<TimingModel> create(ModelKind kind, const ModelSelection& selection,
                                        const ModelContext& context) const;

    // The origin recorded for models added from now on (the plug-in loader sets it).
    void set_origin(const std::string& origin) { origin_ = origin; }

private:
    void require_populated(ModelKind kind) const;

    std::vector<ModelEntry> entries_;
    std::string origin_ = "built-in";
};

}  // namespace acceltran
