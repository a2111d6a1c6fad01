#include "testbenches/cli/plugin_options.h"

#include <string>
#include <vector>

#include "modules/common/model_registry.h"
#include "modules/common/plugin_loader.h"

namespace acceltran::cli {

void add_plugin_option(boost::program_options::options_description& desc) {
    desc.add_options()("plugin", boost::program_options::value<std::vector<std::string>>()->composing(),
                       "load a shared object that registers buffer or memory models (repeatable; docs/plugins.md)");
}

void load_plugins(const boost::program_options::variables_map& vm) {
    if (!vm.count("plugin")) return;
    for (const auto& path : vm["plugin"].as<std::vector<std::string>>())
        PluginLoader::load(path, ModelRegistry::instance());
}

}  // namespace acceltran::cli
