// Lists of names in messages: "a, b, c". Shared so that every "expected one of ..." reads alike.
#pragma once

#include <string>
#include <vector>

namespace acceltran {

inline std::string comma_list(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
}

}  // namespace acceltran
