// A figure of a run's summary.json by its key path ({"macs", "total"}); throws
// std::runtime_error naming the path when it is missing or not a number, so that a summary
// without a figure a sparsity sweep needs makes a failed point.
#pragma once

#include <initializer_list>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace acceltran::explore {

inline double summary_figure(const nlohmann::json& j, std::initializer_list<const char*> path) {
    const nlohmann::json* node = &j;
    std::string name;
    for (const char* part : path) {
        name += (name.empty() ? "" : ".") + std::string(part);
        if (!node->is_object() || !node->contains(part)) throw std::runtime_error("summary.json has no " + name);
        node = &(*node)[part];
    }
    if (!node->is_number()) throw std::runtime_error("summary.json: " + name + " is not a number");
    return node->get<double>();
}

}  // namespace acceltran::explore
