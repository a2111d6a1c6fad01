// Numbers to and from text. parse_number: whole-string parsing, for command-line values, `--set`
// overrides and model parameters read back from their text: "12abc" or "" is not a number, and
// neither is inf or nan. round_trip_text: a figure that must read back as the same double
// (ops.csv). nine_digit_text: how results files (timeline.csv, results.csv, the sparsity tables)
// write a figure, 9 significant digits, enough to tell apart any two figures a reader would.
// byte_count_text: a buffer size or working set in error messages.
#pragma once

#include <charconv>
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

// Writes `value` into [first, last) exactly as printf's "%.<digits>g" would: std::to_chars with
// a precision is specified to give printf's characters (C locale), without printf's
// arbitrary-precision path, which cost about a tenth of a small run's time writing timeline.csv.
// Returns the end of the text; [first, last) must hold at least 32 characters.
//
// A whole number below 10^digits (and below 10^15), most of timeline.csv's figures, is written
// as the integer it is: "%.<digits>g" prints such a number in fixed notation with its trailing
// zeros and decimal point removed (its exponent is under the precision), which are its integer
// digits; -0 keeps the general path (printf writes "-0"). The integer conversion costs a tenth
// of the general one with a precision (docs/performance.md, "Full level: a direct timing path").
inline char* write_general(char* first, char* last, double value, int digits) {
    static constexpr double kWholeBelow[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const double limit = kWholeBelow[digits < 15 ? (digits > 0 ? digits : 1) : 15];
    if (value > -limit && value < limit && value == double(std::int64_t(value)) && !(value == 0 && std::signbit(value)))
        return std::to_chars(first, last, std::int64_t(value)).ptr;
    return std::to_chars(first, last, value, std::chars_format::general, digits).ptr;
}

// 17 significant digits: reads back to the same double (ops.csv, op_classes.csv).
inline std::string round_trip_text(double value) {
    char buffer[40];
    return std::string(buffer, write_general(buffer, buffer + sizeof buffer, value, 17));
}

inline std::string nine_digit_text(double value) {
    char buffer[40];
    return std::string(buffer, write_general(buffer, buffer + sizeof buffer, value, 9));
}

// Exact bytes and MiB: a working set one byte over a capacity must not read as equal to it.
inline std::string byte_count_text(std::uint64_t bytes) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%llu bytes (%.4g MiB)", static_cast<unsigned long long>(bytes),
                  double(bytes) / (1024.0 * 1024.0));
    return buffer;
}

}  // namespace acceltran
