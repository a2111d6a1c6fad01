// A plug-in that claims another ABI version: `acceltran run --plugin` must refuse it with exit
// code 3 before calling its register function (tests/integration/test_plugins.cpp).
#include <cstdlib>

#include "core/plugin_api.h"

extern "C" __attribute__((visibility("default"))) int acceltran_plugin_abi_version() {
    return acceltran::kPluginAbiVersion + 1000;
}

extern "C" __attribute__((visibility("default"))) void acceltran_plugin_register(acceltran::ModelRegistry*) {
    std::abort();  // never called: the version check comes first
}
