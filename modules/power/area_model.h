// Chip area of a design point, by the original AccelTran simulator's formula
// (ProcessingElement.__init__() in its simulator/src/pe.py, Accelerator.__init__() in simulator/src/accelerator.py):
//   P × [ L × (A_lane + A_pre + A_post + A_fifo) + S × A_softmax(tile_x) + A_dataflow + A_dma
//         + LN × A_layernorm(tile_x) ] + Σ_buffers A_per_MB × size_MB
// with P PEs, L MAC lanes, S softmax and LN layer-norm modules per PE. The original always has one
// layer-norm module per PE; we multiply by pe.layernorm_per_pe. Stochastic-rounding units (training
// only) are not counted: this model is inference-only. Softmax and layer-norm hardware is chosen by
// tile_x, as in the original.
#pragma once

#include <nlohmann/json.hpp>

#include "core/accelerator_config.h"
#include "modules/power/technology.h"

namespace acceltran::power {

// Every figure in mm² (the technology table's µm² / 1e6). The fields sum to `total`.
struct AreaBreakdown {
    double mac_lanes = 0;   // P × L MAC lanes (multipliers, adder tree, non-linearity)
    double sparsity = 0;    // P × L × (pre-sparsity + post-sparsity)
    double fifo = 0;        // P × L FIFOs
    double softmax = 0;     // P × S softmax modules
    double layernorm = 0;   // P × LN layer-norm modules
    double dataflow = 0;    // P dataflow modules
    double dma = 0;         // P DMA modules
    struct Buffers {
        double activation = 0, weight = 0, mask = 0;
        double sum() const { return activation + weight + mask; }
    } buffers;
    double total = 0;
};

// Throws InputError (naming the technology file) when the table lacks the configuration's MAC lane
// (non-linearity, MACs per lane) or its softmax / layer-norm tile size.
AreaBreakdown area(const AcceleratorConfig& config, const Technology& tech);

// {"total": mm², "mac_lanes", "sparsity", "fifo", "softmax", "layernorm", "dataflow", "dma",
//  "buffers": {"activation", "weight", "mask"}}; all values in mm².
nlohmann::json to_json(const AreaBreakdown& area);

}  // namespace acceltran::power
