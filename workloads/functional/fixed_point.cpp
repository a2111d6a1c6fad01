#include "workloads/functional/fixed_point.h"

#include "core/errors.h"
#include "core/input_file.h"

namespace acceltran::functional {

const char* to_string(Rounding r) {
    switch (r) {
        case Rounding::Nearest: return "nearest";
        case Rounding::Stochastic: return "stochastic";
    }
    return "?";
}

Rounding parse_rounding(const std::string& text) {
    if (text == "nearest") return Rounding::Nearest;
    if (text == "stochastic") return Rounding::Stochastic;
    // The text may come from a command line or a file: quote it safely.
    throw InputError("rounding: expected one of nearest, stochastic, found '" + printable_excerpt(text) + "'");
}

}  // namespace acceltran::functional
