// Numbers to and from text. parse_number: whole-string parsing, for command-line values, `--set`
// overrides and model parameters read back from their text: "12abc" or "" is not a number, and
// neither is inf or nan. nine_digit_text: how results files (timeline.csv, results.csv, the
// sparsity tables) write a figure, 9 significant digits, enough to tell apart any two figures a
// reader would.
#pragma once

#include <cmath>
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

inline std::string nine_digit_text(double value) {
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.9g", value);
    return buffer;
}

}  // namespace acceltran
