// The mapper's analytic cost model (docs/mapping.md §6): cycles, traffic per memory level,
// energy and buffer fit of one op under one mapping on one design point, in closed form so that
// a mapspace can be searched at well over 100,000 mappings per second. It follows the TLM
// model's rules (docs/model-reference.md §2–§5, §9b) on averages instead of simulating tiles;
// tests/integration/test_mapper.cpp measures how well it ranks mappings against the TLM model.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/accelerator_config.h"
#include "modules/power/technology.h"
#include "workloads/op_directive.h"
#include "workloads/op_graph.h"
#include "workloads/target_description.h"

namespace acceltran::explore {

// What the cost model needs to know of one op: its kind, extents and operands (sizes, densities,
// where each lives). Two ops with equal shapes cost the same under every mapping.
struct OpShape {
    workloads::OpKind kind = workloads::OpKind::MatMul;
    std::int64_t batch = 1, m = 0, n = 0, k = 0;  // k = 0: element-wise
    bool b_batched = false;    // matmul: B has a (k, n) block per batch entry (attention)
    bool b_weight = false;     // matmul: B is a weight, in main memory and the weight buffer
    bool a_in_memory = false;  // A is a weight or a gathered input: loaded from main memory
    bool a_weight = false;     // A is a weight: held in the weight buffer
    bool second_operand = false;  // Add, SwiGLU, Rotary: a second input of A's row width
    std::int64_t second_batch = 1;  // its batch (1: broadcast, the position embeddings)
    // It has a home in main memory (a gathered input: a decoder's first residual add reads the
    // embedding rows), so a blocked op loads its slices without spilling it first.
    bool second_in_memory = false;
    double density_a = 0.5, density_b = 0.5, density_out = 0.5;
    // Unmasked MACs (or output elements) over dense ones: 1 without a causal mask.
    double unmasked = 1.0;

    bool operator==(const OpShape& o) const;
    // A graph op as the model sees it, densities as the compiler takes them (`options`).
    static OpShape of(const workloads::OpGraph& graph, const workloads::Op& op,
                      const workloads::CompileOptions& options);
};

// One point of an op's mapspace.
struct MappingChoice {
    workloads::TileShape tile;
    LoopOrder loop_order;
    workloads::MemoryBlock block;  // 0 = the whole extent
    // A matmul with a fused consumer (evaluate_fused): each row block's output rows stay on
    // chip whole, all n columns, across its column blocks (OpBlocking::keep_output_rows).
    bool keep_output_rows = false;
    // An op fused into a blocked matmul (evaluate_fused) runs in its blocks even when they cover
    // all its rows (a producer blocked by columns alone): its other inputs are spilled and loaded
    // and its output stored as a blocked op's (buffer_planner.cpp, plan_blocked).
    bool in_blocks = false;
    // Which loops are spatial (OpDirective::k_parts, docs/mapping.md §1.2, §6.6): each output
    // tile's k steps split in this many parts across units, then a reduction pass; 1 = output
    // tiles only. Only on a whole matmul of the AccelTran template.
    std::int64_t k_parts = 1;
};

// The model's estimate. Bytes are read + written; buffers indexed by workloads::BufferKind.
struct OpCost {
    bool fits = false;            // the working set fits the buffers once (else nothing else is set)
    bool double_buffered = false; // blocked, and two blocks fit: loads overlap compute
    std::int64_t blocks = 1;      // main-memory blocks
    double compute_cycles = 0;    // the busiest unit's tile cycles
    double buffer_cycles[workloads::kBufferKinds] = {0, 0, 0};  // each buffer port's busy time
    double memory_cycles = 0;     // main-memory port time plus a latency per transfer
    double cycles = 0;            // the estimate: the blocks' pipeline (docs/mapping.md §6.4)
    double busy_unit_cycles = 0;  // summed over the units of the op's class
    double buffer_bytes[workloads::kBufferKinds] = {0, 0, 0};  // units' and DMA's side together
    double memory_bytes = 0;
    double energy_j = 0;
    double seconds = 0;
    // The parts a fused chain (evaluate_fused) takes apart: the blocks' core time (compute or
    // buffer ports), the spills before the blocks, and the main-memory bytes of the A operand's
    // spill and loads and of the output's stores (0 for an op that runs whole).
    double core_cycles = 0, spill_cycles = 0;
    double a_spill_bytes = 0, a_load_bytes = 0, out_store_bytes = 0;
    double spills = 0;
    // Blocked: the blocks that run at once on the op's units (⌊units / jobs per block⌋, 1 to blocks).
    double side_by_side = 1;
    // Bytes per buffer the blocks hold at once (the fit's working set, `copies` blocks).
    double footprint[workloads::kBufferKinds] = {0, 0, 0};
    double edp() const { return energy_j * seconds; }
};

enum class Objective { Edp, Latency, Energy };
// "edp" | "latency" | "energy"; a UsageError naming the choices otherwise.
Objective parse_objective(const std::string& text);
const char* to_string(Objective objective);
double objective_value(const OpCost& cost, Objective objective);

class OpCostModel {
public:
    // Reads the design point's figures and the technology table's energies once.
    OpCostModel(const AcceleratorConfig& config, const power::Technology& technology);

    OpCost evaluate(const OpShape& op, const MappingChoice& mapping) const;
    // A fused chain (docs/mapping.md §11.3): the matmul `producer` under `mapping`, its output
    // rows kept whole (keep_output_rows), with each of `consumers` (their own tiles and loop
    // orders in `consumer_mappings`) running on each of its row blocks. Whole: the
    // ops' costs added (the intermediate stays on chip either way). Blocked: without the
    // intermediates' stores, spills and loads, and timed as the producer's blocks without their
    // stores, then the consumers on the row blocks in the waves the blocks finish in.
    // `stored_along[i]`: consumer i's output, not the last, is read outside the chain too
    // (FusedChain::stored, a pre-norm decoder's residual stream) and keeps its stores.
    OpCost evaluate_fused(const OpShape& producer, const MappingChoice& mapping,
                          const std::vector<OpShape>& consumers,
                          const std::vector<MappingChoice>& consumer_mappings,
                          const std::vector<bool>& stored_along = {}) const;
    // The same chain apart (docs/mapping.md §11.3): the producer under `mapping`, each consumer
    // under its own, their costs added; when the producer runs in blocks its output ends in main
    // memory, so a whole first consumer loads it from there before it starts (evaluate alone
    // assumes a producer left it on chip). What evaluate_fused is compared with.
    OpCost evaluate_apart(const OpShape& producer, const MappingChoice& mapping,
                          const std::vector<OpShape>& consumers,
                          const std::vector<MappingChoice>& consumer_mappings) const;
    // The design point's own mapping: its tile and loop order, the op whole.
    MappingChoice default_choice() const;
    // The tile width every matmul mapping must have (the Gemmini template's array), or 0.
    int fixed_tile_y() const { return config_.gemmini() ? config_.systolic.dim : 0; }
    const AcceleratorConfig& config() const { return config_; }

private:
    // Adds to `cost` one load of `bytes` from main memory into the activation buffer that the
    // op waits for (in series): its bytes, port times, cycles and energy (evaluate_fused's stored-
    // along reloads, evaluate_apart's reload of a blocked producer's output).
    void add_serial_load(OpCost& cost, double bytes) const;
    // `transfers` DMA transfers of `bytes` in all on the one main-memory port, `dma.channels` at
    // a time, each paying the memory's and a buffer's latency (docs/mapping.md §6.4, D(N, B)).
    double transfer_cycles(double transfers, double bytes) const;
    // Joules per unit of each activity the energy model charges (it is linear in each):
    // docs/model-reference.md §9b, read from power::energy so the numbers live in one place.
    struct EnergyRates {
        double busy_cycle[workloads::kUnitClasses] = {0, 0, 0};  // incl. a lane's FIFO
        double pre_sparsity_tile = 0, post_sparsity_tile = 0;
        double buffer_byte[workloads::kBufferKinds] = {0, 0, 0};
        double buffer_busy_cycle[workloads::kBufferKinds] = {0, 0, 0};  // leakage under gating
        double memory_byte = 0;
        double cycle = 0;  // always-on parts (dataflow, DMA interfaces; leakage without gating)
    };

    AcceleratorConfig config_;
    EnergyRates rates_;
    double units_[workloads::kUnitClasses] = {0, 0, 0};
    double buffer_bytes_per_cycle_[workloads::kBufferKinds] = {0, 0, 0};
    double capacity_[workloads::kBufferKinds] = {0, 0, 0};
    double memory_bytes_per_cycle_ = 0;
    double memory_latency_cycles_ = 0;
    double transfer_latency_cycles_ = 0;  // per block transfer: main memory's and a buffer's latency
    double dma_channels_ = 2;
    int bits_ = 20;
    int macs_per_lane_ = 16;
    std::array<workloads::UnitClass, workloads::kOpKindCount> unit_of_kind_ = workloads::acceltran_units();
    bool masks_ = true;
    double gemmini_tile_cycles(const OpShape& op, std::int64_t bb, std::int64_t ii, std::int64_t jj, std::int64_t kk,
                               double new_weights, double drains) const;
};

}  // namespace acceltran::explore
