#include "core/byte_size.h"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "core/errors.h"
#include "core/number_text.h"

namespace acceltran {

std::uint64_t parse_byte_size(const std::string& text, const std::string& option) {
    const auto refuse = [&] {
        return UsageError(option + " expects a size in bytes, or with a suffix K, M, G or T (binary: 1K = 1024 bytes; "
                                   "e.g. 512M, 2G, 1.5GiB), above zero; got '" + text + "'");
    };
    std::size_t end = text.size();
    // Strip "B", then "i", then the unit letter, from the right.
    if (end > 0 && (text[end - 1] == 'B' || text[end - 1] == 'b')) --end;
    bool binary_marker = false;  // the "i" of "GiB", which needs a unit letter before it
    if (end > 0 && (text[end - 1] == 'i' || text[end - 1] == 'I')) {
        --end;
        binary_marker = true;
    }
    double unit = 1;
    if (end > 0) {
        switch (std::toupper(static_cast<unsigned char>(text[end - 1]))) {
            case 'K': unit = 1024.0; break;
            case 'M': unit = 1024.0 * 1024; break;
            case 'G': unit = 1024.0 * 1024 * 1024; break;
            case 'T': unit = 1024.0 * 1024 * 1024 * 1024; break;
            default: break;
        }
        if (unit > 1) --end;
    }
    if (binary_marker && unit == 1) throw refuse();
    double value = 0;
    if (!parse_number(text.substr(0, end), value) || !(value > 0)) throw refuse();
    const double bytes = std::floor(value * unit);
    if (!(bytes >= 1) || bytes > 9.2233720368547758e18) throw refuse();
    return std::uint64_t(bytes);
}

std::string byte_size_text(std::uint64_t bytes) {
    static const char* const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) return std::to_string(bytes) + " bytes";
    double value = double(bytes);
    int u = -1;
    while (value >= 1024 && u < 5) {
        value /= 1024;
        ++u;
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, value < 10 ? "%.2f %s" : value < 100 ? "%.1f %s" : "%.0f %s", value,
                  units[u]);
    return buffer;
}

}  // namespace acceltran
