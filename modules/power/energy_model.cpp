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

EnergyBreakdown energy(const AcceleratorConfig& c, const Technology& tech, const RunActivity& a) {
    const double hz = c.clock_hz();
    const bool gating = c.power_gating;
    const double lanes = double(c.mac_lanes());
    EnergyBreakdown e;
    e.mac_lanes = unit_energy(tech.mac_lane(c.nonlinearity, c.macs_per_lane), a.lane_busy_unit_cycles, lanes,
                              a.cycles, gating, hz);
    e.softmax = unit_energy(tech.softmax(c.tile_x), a.softmax_busy_unit_cycles, double(c.softmax_units()),
                            a.cycles, gating, hz);
    e.layernorm = unit_energy(tech.layernorm(c.tile_x), a.layernorm_busy_unit_cycles, double(c.layernorm_units()),
                              a.cycles, gating, hz);
    // Pre- and post-sparsity units take one cycle per tile they handle (the original's rule).
    const EnergyPart pre = unit_energy(tech.pre_sparsity(), double(a.pre_sparsity_tiles), lanes, a.cycles, gating, hz);
    const EnergyPart post = unit_energy(tech.post_sparsity(), double(a.post_sparsity_tiles), lanes, a.cycles, gating, hz);
    e.sparsity.dynamic = pre.dynamic + post.dynamic;
    e.sparsity.leakage = pre.leakage + post.leakage;
    // A lane's operand FIFO works while its lane does.
    e.fifo = unit_energy(tech.fifo(), a.lane_busy_unit_cycles, lanes, a.cycles, gating, hz);
    // Each PE's dataflow controller and DMA interface orchestrate for the whole run: never gated.
    const double pes = double(c.pes);
    e.dataflow = unit_energy(tech.dataflow(), pes * a.cycles, pes, a.cycles, false, hz);
    e.dma = unit_energy(tech.dma(), pes * a.cycles, pes, a.cycles, false, hz);
    if (c.compat.control_modules_off) e.sparsity = e.fifo = e.dataflow = e.dma = EnergyPart{};

    const char* kinds[3] = {"activation", "weight", "mask"};
    const BufferConfig* configs[3] = {&c.activation_buffer, &c.weight_buffer, &c.mask_buffer};
    for (int b = 0; b < 3; ++b) {
        const BufferTechnology& bt = tech.buffer(kinds[b]);
        // Energy per block applied to bytes / block size: linear in the bytes, so the energies of
        // the timeline's sample periods add up to the run's (a ceiling here would not).
        const double bytes = c.compat.no_operand_read_energy ? a.buffer_unit_write_bytes[b] : a.buffer_bytes[b];
        const double blocks = bytes / tech.buffer_block_bytes;
        e.buffers[b].dynamic = bt.access_energy_nj_for(configs[b]->size_mb) * 1e-9 * blocks + a.buffer_model_energy_j[b];
        const double busy =
            a.buffer_busy_cycles[b] + (c.compat.buffer_leakage_while_loading ? a.buffer_loading_idle_cycles[b] : 0);
        const double powered = gating ? busy : a.cycles;
        e.buffers[b].leakage = joules(bt.leakage_mw_per_mb * configs[b]->size_mb, powered, hz);
    }
    const MainMemoryConfig& m = c.main_memory;
    // compat.main_memory_energy: the original's charge, elements · (1 − s_w) / 64 per load and
    // twice (typed and mask buffer); nothing for writes.
    const double mm_blocks = c.compat.main_memory_energy
                                 ? 2 * a.memory_load_elements * (1 - c.weight_sparsity) / tech.main_memory_block_bytes
                                 : a.memory_bytes * a.memory_device_share / tech.main_memory_block_bytes;
    e.main_memory.dynamic =
        tech.main_memory_access_nj(m.type, m.banks, m.ranks, m.channels) * 1e-9 * mm_blocks + a.memory_model_energy_j;
    return e;
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
