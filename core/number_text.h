// Numbers to and from text. parse_number: whole-string parsing, for command-line values, `--set`
// overrides and model parameters read back from their text: "12abc" or "" is not a number, and
// neither is inf or nan. round_trip_text: a figure that must read back as the same double
// (ops.csv). nine_digit_text: how results files (timeline.csv, results.csv, the sparsity tables)
// write a figure, 9 significant digits, enough to tell apart any two figures a reader would.
// byte_count_text: a buffer size or working set in error messages.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

namespace acceltran {

// Parses the whole of `text` as a finite number into `value`; false if any of it is not one.
inline bool parse_number(const std::string& text, double& value) {
    std::size_t used = 0;
    try {
        value = std::stod(text, &used);
    } catch (const std::exception&) {
        return false;
    }
    return !text.empty() && used == text.size() && std::isfinite(value);
}

// 17 significant digits: reads back to the same double (ops.csv, op_classes.csv).
inline std::string round_trip_text(double value) {
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.17g", value);
    return buffer;
}

inline std::string nine_digit_text(double value) {
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.9g", value);
    return buffer;
}

// Exact bytes and MiB: a working set one byte over a capacity must not read as equal to it.
inline std::string byte_count_text(std::uint64_t bytes) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%llu bytes (%.4g MiB)", static_cast<unsigned long long>(bytes),
                  double(bytes) / (1024.0 * 1024.0));
    return buffer;
}

}  // namespace acceltran
