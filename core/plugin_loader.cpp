#include "core/plugin_loader.h"

#include <dlfcn.h>

#include <filesystem>

#include "core/errors.h"
#include "core/plugin_api.h"

namespace acceltran {

std::vector<std::string> PluginLoader::load(const std::string& path, ModelRegistry& registry) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(path, ec)) throw InputError("plug-in '" + path + "': no such file");
    if (!fs::is_regular_file(path, ec)) throw InputError("plug-in '" + path + "': not a regular file");
    // dlopen searches the library path for a name without a slash; a plug-in is always a file.
    const std::string file = path.find('/') == std::string::npos ? "./" + path : path;
    void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* why = dlerror();
        throw InputError("plug-in '" + path + "': cannot load it as a shared object: " + (why ? why : "unknown error"));
    }
    auto version = reinterpret_cast<acceltran_plugin_abi_version_fn>(dlsym(handle, ACCELTRAN_PLUGIN_ABI_SYMBOL));
    auto enter = reinterpret_cast<acceltran_plugin_register_fn>(dlsym(handle, ACCELTRAN_PLUGIN_REGISTER_SYMBOL));
    if (!version || !enter) {
        dlclose(handle);
        throw InputError("plug-in '" + path + "': not an AccelTran-SC plug-in (it does not export " +
                         ACCELTRAN_PLUGIN_ABI_SYMBOL + " and " + ACCELTRAN_PLUGIN_REGISTER_SYMBOL +
                         "; define them with ACCELTRAN_PLUGIN, see docs/plugins.md)");
    }
    const int abi = version();
    if (abi != kPluginAbiVersion) {
        dlclose(handle);
        throw InputError("plug-in '" + path + "': built for plug-in ABI version " + std::to_string(abi) +
                         ", but this acceltran " + ACCELTRAN_VERSION + " has ABI version " +
                         std::to_string(kPluginAbiVersion) +
                         "; rebuild the plug-in against this installation's headers (docs/plugins.md)");
    }
    const std::size_t before_buffers = registry.names(ModelKind::Buffer).size();
    const std::size_t before_memories = registry.names(ModelKind::Memory).size();
    registry.set_origin(path);
    try {
        enter(&registry);
    } catch (...) {
        registry.set_origin("built-in");
        throw;  // the handle stays open: models it added before failing point into it
    }
    registry.set_origin("built-in");
    std::vector<std::string> added;
    const auto buffers = registry.names(ModelKind::Buffer);
    const auto memories = registry.names(ModelKind::Memory);
    for (std::size_t i = before_buffers; i < buffers.size(); ++i) added.push_back("buffer:" + buffers[i]);
    for (std::size_t i = before_memories; i < memories.size(); ++i) added.push_back("memory:" + memories[i]);
    return added;
}

}  // namespace acceltran
