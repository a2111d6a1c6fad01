#include "modules/power/energy_model.h"

namespace acceltran::power {

namespace {

// mW over `cycles` at `hz` in joules.
double joules(double milliwatts, double cycles, double hz) { return milliwatts * 1e-3 * cycles / hz; }

// A unit class: dynamic power while busy; leakage while busy (power-gated) or for the whole run.
EnergyPart unit_energy(const ModulePower& p, double busy_unit_cycles, double units, double cycles, bool gating,
                       double hz) {
    EnergyPart e;
    e.dynamic = joules(p.dynamic_mw, busy_unit_cycles, hz);
    e.leakage = joules(p.leakage_mw, gating ? busy_unit_cycles : units * cycles, hz);
    return e;
}

}  // namespace

double EnergyBreakdown::total() const {
    double t = mac_lanes.total() + softmax.total() + layernorm.total() + sparsity.total() + fifo.total() +
               dataflow.total() + dma.total() + main_memory.total();
    for (const auto& b : buffers) t += b.total();
    return t;
}

EnergyModel::EnergyModel(const AcceleratorConfig& c, const Technology& tech)
    : hz_(c.clock_hz()),
      gating_(c.power_gating),
      lanes_(double(c.mac_lanes())),
      softmax_units_(double(c.softmax_units())),
      layernorm_units_(double(c.layernorm_units())),
      pes_(double(c.pes)),
      mac_lane_(tech.mac_lane(c.nonlinearity, c.macs_per_lane)),
      softmax_(tech.softmax(c.tile_x)),
      layernorm_(tech.layernorm(c.tile_x)),
      pre_sparsity_(tech.pre_sparsity()),
      post_sparsity_(tech.post_sparsity()),
      fifo_(tech.fifo()),
      dataflow_(tech.dataflow()),
      dma_(tech.dma()),
      buffer_block_bytes_(tech.buffer_block_bytes),
      main_memory_access_nj_(
          tech.main_memory_access_nj(c.main_memory.type, c.main_memory.banks, c.main_memory.ranks, c.main_memory.channels)),
      main_memory_block_bytes_(tech.main_memory_block_bytes),
      weight_sparsity_(c.weight_sparsity),
      compat_(c.compat) {
    const char* kinds[3] = {"activation", "weight", "mask"};
    const BufferConfig* configs[3] = {&c.activation_buffer, &c.weight_buffer, &c.mask_buffer};
    for (int b = 0; b < 3; ++b) {
        const BufferTechnology& bt = tech.buffer(kinds[b]);
        buffer_access_nj_[b] = bt.access_energy_nj_for(configs[b]->size_mb);
        buffer_leakage_mw_per_mb_[b] = bt.leakage_mw_per_mb;
        buffer_size_mb_[b] = configs[b]->size_mb;
    }
}

EnergyBreakdown EnergyModel::energy(const RunActivity& a) const {
    const double hz = hz_;
    const bool gating = gating_;
    const double lanes = lanes_;
    EnergyBreakdown e;
    e.mac_lanes = unit_energy(mac_lane_, a.lane_busy_unit_cycles, lanes, a.cycles, gating, hz);
    e.softmax = unit_energy(softmax_, a.softmax_busy_unit_cycles, softmax_units_, a.cycles, gating, hz);
    e.layernorm = unit_energy(layernorm_, a.layernorm_busy_unit_cycles, layernorm_units_, a.cycles, gating, hz);
    // Pre- and post-sparsity units take one cycle per tile they handle (the original's rule).
    const EnergyPart pre = unit_energy(pre_sparsity_, double(a.pre_sparsity_tiles), lanes, a.cycles, gating, hz);
    const EnergyPart post = unit_energy(post_sparsity_, double(a.post_sparsity_tiles), lanes, a.cycles, gating, hz);
    e.sparsity.dynamic = pre.dynamic + post.dynamic;
    e.sparsity.leakage = pre.leakage + post.leakage;
    // A lane's operand FIFO works while its lane does.
    e.fifo = unit_energy(fifo_, a.lane_busy_unit_cycles, lanes, a.cycles, gating, hz);
    // Each PE's dataflow controller and DMA interface orchestrate for the whole run: never gated.
    const double pes = pes_;
    e.dataflow = unit_energy(dataflow_, pes * a.cycles, pes, a.cycles, false, hz);
    e.dma = unit_energy(dma_, pes * a.cycles, pes, a.cycles, false, hz);
    if (compat_.control_modules_off) e.sparsity = e.fifo = e.dataflow = e.dma = EnergyPart{};

    for (int b = 0; b < 3; ++b) {
        // Energy per block applied to bytes / block size: linear in the bytes, so the energies of
        // the timeline's sample periods add up to the run's (a ceiling here would not).
        const double bytes = compat_.no_operand_read_energy ? a.buffer_unit_write_bytes[b] : a.buffer_bytes[b];
        const double blocks = bytes / buffer_block_bytes_;
        e.buffers[b].dynamic = buffer_access_nj_[b] * 1e-9 * blocks + a.buffer_model_energy_j[b];
        const double busy =
            a.buffer_busy_cycles[b] + (compat_.buffer_leakage_while_loading ? a.buffer_loading_idle_cycles[b] : 0);
        const double powered = gating ? busy : a.cycles;
        e.buffers[b].leakage = joules(buffer_leakage_mw_per_mb_[b] * buffer_size_mb_[b], powered, hz);
    }
    // compat.main_memory_energy: the original's charge, elements · (1 − s_w) / 64 per load and
    // twice (typed and mask buffer); nothing for writes.
    const double mm_blocks = compat_.main_memory_energy
                                 ? 2 * a.memory_load_elements * (1 - weight_sparsity_) / main_memory_block_bytes_
                                 : a.memory_bytes * a.memory_device_share / main_memory_block_bytes_;
    e.main_memory.dynamic = main_memory_access_nj_ * 1e-9 * mm_blocks + a.memory_model_energy_j;
    return e;
}

EnergyBreakdown energy(const AcceleratorConfig& c, const Technology& tech, const RunActivity& a) {
    return EnergyModel(c, tech).energy(a);
}

nlohmann::json to_json(const EnergyBreakdown& e) {
    return {{"mac_lanes", e.mac_lanes.total()},
            {"softmax", e.softmax.total()},
            {"layernorm", e.layernorm.total()},
            {"sparsity", e.sparsity.total()},
            {"fifo", e.fifo.total()},
            {"dataflow", e.dataflow.total()},
            {"dma", e.dma.total()},
            {"buffers",
             {{"activation", e.buffers[0].total()}, {"weight", e.buffers[1].total()}, {"mask", e.buffers[2].total()}}},
            {"main_memory", e.main_memory.total()}};
}

}  // namespace acceltran::power
