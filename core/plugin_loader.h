// Loads model plug-ins (shared objects, core/plugin_api.h) into the model registry.
// Every failure is an InputError (exit code 3) that says what was wrong: the file is missing,
// it is not a loadable shared object (dlerror's text), it lacks the entry points (not an
// AccelTran-SC plug-in), its ABI version differs from the simulator's, or its models clash with
// registered ones. Loaded objects stay loaded for the life of the process.
#pragma once

#include <string>
#include <vector>

#include "core/model_registry.h"

namespace acceltran {

class PluginLoader {
public:
    // Loads `path` and lets it register its models in `registry`. Returns the names it added,
    // as "buffer:<name>" / "memory:<name>".
    static std::vector<std::string> load(const std::string& path, ModelRegistry& registry);
};

}  // namespace acceltran
