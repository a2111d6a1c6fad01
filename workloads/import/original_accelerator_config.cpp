#include "workloads/import/original_accelerator_config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace acceltran::workloads {

namespace {

// One 64-byte bank per 64 KiB of capacity, the rule the shipped design points follow
// (configs/accelerators/*.yaml; the original never modelled operand reads from buffers).
constexpr double kBanksPerMiB = 16;

YAML::Node buffer(const ConfigNode& size) {
    const double mb = size.as_double();
    if (!(mb > 0)) size.fail("a buffer size in MB greater than 0");
    YAML::Node b;
    b["model"] = "sram";
    b["size_mb"] = size.yaml();
    b["banks"] = std::max(1, int(std::lround(mb * kBanksPerMiB)));
    b["bank_width_bytes"] = 64;
    b["latency_cycles"] = 1;
    return b;
}

}  // namespace

bool OriginalAcceleratorConfig::recognizes(const YAML::Node& root) {
    if (!root.IsMap()) return false;
    for (const char* key : {"mac_per_lane", "loop_unrolling", "activation_buffer_size", "non_linearity"})
        if (root[key]) return true;
    return root["pe"] && root["pe"].IsScalar();
}

YAML::Node OriginalAcceleratorConfig::translate(std::vector<std::string>& notes) const {
    const ConfigNode& r = root_;
    r.expect_keys({"tile", "non_linearity", "pe", "lanes_per_pe", "mac_per_lane", "softmax_per_pe", "batch_size",
                   "activation_buffer_size", "weight_buffer_size", "mask_buffer_size", "loop_unrolling",
                   "main_memory", "scheduler"});
    const std::string file = r.file();
    YAML::Node out;
    out["name"] = std::filesystem::path(file).stem().string();
    YAML::Node pe;
    pe["count"] = r.child("pe").yaml();
    pe["lanes_per_pe"] = r.child("lanes_per_pe").yaml();
    pe["macs_per_lane"] = r.child("mac_per_lane").yaml();
    pe["softmax_per_pe"] = r.child("softmax_per_pe").yaml();
    pe["layernorm_per_pe"] = 1;  // the original builds one layer-norm module per PE
    pe["nonlinearity"] = r.child("non_linearity").yaml();
    out["pe"] = pe;

    const ConfigNode tile = r.child("tile");
    tile.expect_keys({"tile_b", "tile_x", "tile_y"});
    YAML::Node tiling;
    for (const char* key : {"tile_b", "tile_x", "tile_y"}) tiling["tile"].push_back(tile.child(key).yaml());
    tiling["loop_order"] = r.child("loop_unrolling").yaml();
    out["tiling"] = tiling;

    out["buffers"]["activation"] = buffer(r.child("activation_buffer_size"));
    out["buffers"]["weight"] = buffer(r.child("weight_buffer_size"));
    out["buffers"]["mask"] = buffer(r.child("mask_buffer_size"));

    // Its constants.yaml gives each mode a DDR bandwidth (lb 25.6, hb 256 GB/s) and keys the
    // access energy by type and organization; our technology table prices the same keys.
    const ConfigNode memory = r.child("main_memory");
    memory.expect_keys({"type", "mode", "banks", "ranks", "channels"});
    const std::string type = memory.get_choice("type", {"dram", "rram", "hbm"});
    const std::string mode = memory.get_choice("mode", {"lb", "hb"});
    YAML::Node mm;
    mm["model"] = "fixed_bandwidth";
    mm["type"] = type == "dram" ? "lpddr3" : type == "hbm" ? "hbm2" : "rram";
    mm["bandwidth_gbps"] = mode == "lb" ? 25.6 : 256.0;
    // Our assumptions, as in the shipped design points: off-chip DRAM 50 ns, on-die RRAM 30 ns.
    mm["latency_ns"] = type == "rram" ? 30 : 50;
    for (const char* key : {"banks", "ranks", "channels"}) mm[key] = memory.child(key).yaml();
    out["main_memory"] = mm;

    const std::string prefix = file + ": ";
    if (r.has("batch_size"))
        notes.push_back(prefix + "batch_size " + r.child("batch_size").as_string() +
                        " has no counterpart in an accelerator here: the batch is a run setting (--batch, default 4)");
    if (r.has("scheduler"))
        notes.push_back(prefix + "scheduler (compute-op batching, memory-op tiling) has no counterpart: our control "
                                 "block issues every ready tile op and moves whole tensors (docs/model-reference.md)");
    notes.push_back(prefix + "not in the original's file, taken from our defaults: clock 700 MHz, 4+16-bit words and "
                             "sparsity 0.5/0.5 (the original's constants.yaml), 1 layer-norm unit per PE, buffer banks "
                             "of 64 bytes, one per 64 KiB, main-memory latency " +
                    std::string(type == "rram" ? "30" : "50") + " ns, DMA of 2 channels and 4 KiB bursts");
    return out;
}

}  // namespace acceltran::workloads
