// A DynaTran threshold as passed to a child run and printed in sparsity.csv: 10 significant
// digits, so that 0.1 + 2 * 0.005 is "0.11", not 0.11000000000000001.
#pragma once

#include <cstdio>
#include <string>

namespace acceltran::explore {

inline std::string threshold_text(double v) {
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.10g", v);
    return buffer;
}

}  // namespace acceltran::explore
