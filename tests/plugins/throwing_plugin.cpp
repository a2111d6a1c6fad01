// A plug-in whose registration throws: `acceltran --plugin` must name the plug-in and pass on
// what it said, with exit code 3, not end in an unnamed internal error
// (tests/integration/test_hostile_inputs.cpp).
#include <stdexcept>

#include "core/plugin_api.h"

namespace {

void register_nothing(acceltran::ModelRegistry&) {
    throw std::runtime_error("licence server unreachable");
}

}  // namespace

ACCELTRAN_PLUGIN(register_nothing)
