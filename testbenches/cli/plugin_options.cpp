#include "testbenches/cli/plugin_options.h"

#include <filesystem>

#include "core/model_registry.h"
#include "core/plugin_loader.h"

namespace acceltran::cli {

namespace {

const std::vector<std::string>& plugin_paths(const boost::program_options::variables_map& vm) {
    static const std::vector<std::string> none;
    return vm.count("plugin") ? vm["plugin"].as<std::vector<std::string>>() : none;
}

}  // namespace

void add_plugin_option(boost::program_options::options_description& desc) {
    desc.add_options()("plugin", boost::program_options::value<std::vector<std::string>>()->composing(),
                       "load a shared object that registers buffer or memory models (repeatable; docs/plugins.md)");
}

void load_plugins(const boost::program_options::variables_map& vm) {
    for (const auto& path : plugin_paths(vm)) PluginLoader::load(path, ModelRegistry::instance());
}

std::vector<std::string> plugin_arguments(const boost::program_options::variables_map& vm) {
    std::vector<std::string> args;
    for (const auto& path : plugin_paths(vm)) {
        args.push_back("--plugin");
        args.push_back(std::filesystem::absolute(path).lexically_normal().string());
    }
    return args;
}

}  // namespace acceltran::cli
