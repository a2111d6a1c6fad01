// Catch2 supplies main(); Debian's libsystemc.so also has a main() that calls sc_main, so the
// symbol must exist even though Catch2's main wins. Test cases elaborate their own modules and
// call sc_start() themselves, one hierarchy per process (ctest runs each case separately).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <cstdlib>

// Declares sc_main with C linkage, which libsystemc's main() calls.
#include <systemc>

#include "modules/builtin_models.h"

int sc_main(int, char*[]) { return 0; }

// Every test reads configurations that name the built-in buffer and memory models.
static const bool kBuiltinModels = (acceltran::register_builtin_models(), true);

// Keeps the SystemC banner out of test output (printed before main unless this is set).
static const bool kQuietKernel = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0) == 0;
