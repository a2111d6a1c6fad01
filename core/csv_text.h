// How results files quote a CSV cell: per RFC 4180, when it holds a comma, quote or line break.
// Numbers are written with nine_digit_text() (core/number_text.h).
#pragma once

#include <string>

namespace acceltran {

inline std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

}  // namespace acceltran
