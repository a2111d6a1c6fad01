// The original AccelTran simulator's accelerator YAML (its simulator/config/config_*.yaml: flat
// keys pe, lanes_per_pe, mac_per_lane, tile.tile_b, ...) translated into our accelerator YAML
// tree, which parse_accelerator() then checks like any other (docs/models.md, "The original
// simulator's accelerator configs"). Recognized by its keys, not its file name.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/config_node.h"

namespace acceltran::workloads {

class OriginalAcceleratorConfig {
public:
    // True when the top level has a key only the original's format has (mac_per_lane,
    // loop_unrolling, activation_buffer_size, or pe given as a number).
    static bool recognizes(const YAML::Node& root);

    explicit OriginalAcceleratorConfig(ConfigNode root) : root_(std::move(root)) {}

    // Our format's tree, named after the file's stem. Values keep their place in the original
    // file, so parse_accelerator's complaints point into it. `notes` receives each original key
    // with no counterpart and each of our keys the original has no value for.
    YAML::Node translate(std::vector<std::string>& notes) const;

private:
    ConfigNode root_;
};

}  // namespace acceltran::workloads
