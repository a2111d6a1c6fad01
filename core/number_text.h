// Whole-string number parsing, for command-line values, `--set` overrides and model parameters
// read back from their text: "12abc" or "" is not a number, and neither is inf or nan.
#pragma once

#include <cmath>
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

}  // namespace acceltran
