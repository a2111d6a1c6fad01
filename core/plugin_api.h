// The plug-in interface: a shared object that adds buffer or memory models to the registry.
// A plug-in defines its registration function and exports it with ACCELTRAN_PLUGIN:
//
//     #include "core/buffer_model.h"
//     #include "core/plugin_api.h"
//     void register_my_models(acceltran::ModelRegistry& r) { r.add(...); }
//     ACCELTRAN_PLUGIN(register_my_models)
//
// `acceltran run --plugin libmy.so` dlopens it, checks acceltran_plugin_abi_version() against
// the simulator's kPluginAbiVersion (a mismatch is refused with both numbers), then calls
// acceltran_plugin_register(). The plug-in links against nothing: the acceltran executable
// exports the registry's and the parameters' symbols (docs/plugins.md).
#pragma once

#include "core/model_registry.h"

namespace acceltran {

// Bump whenever a header a plug-in includes changes in a way that breaks binary compatibility:
// TimingModel, BufferModel, MemoryModel, ModelRegistry, ModelEntry, ModelContext,
// ModelParameters, ParameterSpec, AccessRequest, ModelStats, BandwidthPort.
// 2: MemoryModel::effective_parameters. 3: ModelStats::device_bytes. 4: BandwidthPort keeps its
// busy intervals in a vector (its size and members changed). 5: BufferModel::writes_hold_up_reads.
constexpr int kPluginAbiVersion = 5;

}  // namespace acceltran

#define ACCELTRAN_PLUGIN_ABI_SYMBOL "acceltran_plugin_abi_version"
#define ACCELTRAN_PLUGIN_REGISTER_SYMBOL "acceltran_plugin_register"

extern "C" {
using acceltran_plugin_abi_version_fn = int (*)();
using acceltran_plugin_register_fn = void (*)(acceltran::ModelRegistry*);
}

// Defines the two exported entry points of a plug-in around `register_function`, a function
// taking `acceltran::ModelRegistry&`.
#define ACCELTRAN_PLUGIN(register_function)                                                             \
    extern "C" __attribute__((visibility("default"))) int acceltran_plugin_abi_version() {              \
        return acceltran::kPluginAbiVersion;                                                            \
    }                                                                                                   \
    extern "C" __attribute__((visibility("default"))) void acceltran_plugin_register(                   \
        acceltran::ModelRegistry* registry) {                                                           \
        register_function(*registry);                                                                   \
    }
