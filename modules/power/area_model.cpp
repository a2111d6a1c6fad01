#include "modules/power/area_model.h"

namespace acceltran::power {

namespace {
constexpr double kUm2PerMm2 = 1e6;
}

AreaBreakdown area(const AcceleratorConfig& c, const Technology& tech) {
    const double pes = c.pes;
    const double lanes = double(c.pes) * c.lanes_per_pe;
    AreaBreakdown a;
    a.mac_lanes = lanes * tech.mac_lane(c.nonlinearity, c.macs_per_lane).area_um2 / kUm2PerMm2;
    a.sparsity =
        lanes * (tech.pre_sparsity().area_um2 + tech.post_sparsity().area_um2) / kUm2PerMm2;
    a.fifo = lanes * tech.fifo().area_um2 / kUm2PerMm2;
    a.softmax = pes * c.softmax_per_pe * tech.softmax(c.tile_x).area_um2 / kUm2PerMm2;
    a.layernorm = pes * c.layernorm_per_pe * tech.layernorm(c.tile_x).area_um2 / kUm2PerMm2;
    a.dataflow = pes * tech.dataflow().area_um2 / kUm2PerMm2;
    a.dma = pes * tech.dma().area_um2 / kUm2PerMm2;
    a.buffers.activation =
        tech.buffer("activation").area_um2_per_mb * c.activation_buffer.size_mb / kUm2PerMm2;
    a.buffers.weight = tech.buffer("weight").area_um2_per_mb * c.weight_buffer.size_mb / kUm2PerMm2;
    a.buffers.mask = tech.buffer("mask").area_um2_per_mb * c.mask_buffer.size_mb / kUm2PerMm2;
    a.total = a.mac_lanes + a.sparsity + a.fifo + a.softmax + a.layernorm + a.dataflow + a.dma +
              a.buffers.sum();
    return a;
}

nlohmann::json to_json(const AreaBreakdown& a) {
    return nlohmann::json{
        {"total", a.total},
        {"mac_lanes", a.mac_lanes},
        {"sparsity", a.sparsity},
        {"fifo", a.fifo},
        {"softmax", a.softmax},
        {"layernorm", a.layernorm},
        {"dataflow", a.dataflow},
        {"dma", a.dma},
        {"buffers",
         {{"activation", a.buffers.activation},
          {"weight", a.buffers.weight},
          {"mask", a.buffers.mask}}},
    };
}

}  // namespace acceltran::power
