// One accelerator design point, as read from configs/accelerators/*.yaml (with --set overrides
// applied). Plain C++ so that the compiler front end and tests can use it without SystemC.
// Every field is documented, with its unit, in docs/configuration.md.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/input_file.h"
#include "core/loop_order.h"
#include "core/model_parameters.h"
#include "core/sparsity_settings.h"

namespace acceltran {

struct BufferConfig {
    std::string name;              // "activation", "weight", "mask"
    std::string model = "sram";    // buffer model (core/model_registry.h); its parameters:
    ModelParameters model_parameters;  // every parameter the model declares (defaults filled in)
    double size_mb = 0;            // capacity in MiB (2^20 bytes)
    int banks = 64;                // independent banks, each `bank_width_bytes` wide per cycle
    int bank_width_bytes = 64;
    int latency_cycles = 1;        // access latency added to each transaction
    std::uint64_t capacity_bytes() const { return std::uint64_t(size_mb * 1024.0 * 1024.0); }
    double bytes_per_cycle() const { return double(banks) * bank_width_bytes; }
};

struct MainMemoryConfig {
    std::string model = "fixed_bandwidth";  // memory model (core/model_registry.h)
    ModelParameters model_parameters;
    std::string type = "lpddr3";   // lpddr3 | hbm2 | rram (technology, for energy tables)
    double bandwidth_gbps = 25.6;  // GB/s, 1 GB = 1e9 bytes
    double latency_ns = 50;        // first-byte latency of each transaction
    int banks = 32, ranks = 2, channels = 1;
};

struct DmaConfig {
    int channels = 2;              // transfers in flight at once
    int burst_bytes = 4096;        // bytes per main-memory transaction
};

// Compatibility options: each switches on one modelling choice of the original AccelTran Python
// simulator (github.com/jha-lab/acceltran, folder simulator/), to reconcile our results with its
// (docs/validation.md §7.5). For comparison only: all are off by default, and no default result
// depends on them. Set by a `compat:` block in the accelerator YAML or `acceltran run --compat`.
struct CompatConfig {
    // The original's main-memory units (`Buffer.load()` in its src/buffer.py divides its constant
    // `main_memory.bandwidth`, GB/s·2^30·bits/f, into bits): data moves at (2^30/1e9)·(bits/8) =
    // 2.684x the nominal bytes per cycle, and masks at that rate on a port of their own, as its
    // mask buffer's own `Buffer.load()` counts down beside the data's.
    bool bandwidth_units = false;
    // The original loads the whole (vocabulary + positions) x hidden embedding table into the
    // weight buffer before anything else and keeps it there (the `emb` load of `get_ops()` in
    // its src/dict2ops.py; `required_in_buffer` in `simulate()` of src/simulator.py); the rows
    // the tokens select then come from it on chip instead of from main memory.
    bool embedding_table = false;
    // Its attention and feed-forward weights are (batch, in, out) (`convert_to_fwd_base_ops()`
    // of `SelfAttentionOp` and `FeedForwardOp` in src/ops.py): each weight load moves and holds
    // batch x the bytes.
    bool batched_weights = false;
    // It stores results only into on-chip buffers (`Buffer.store()` in src/buffer.py): the final
    // hidden states are not written back to main memory.
    bool no_result_store = false;
    // Its memory stream is one op at a time in program order, and a store in it waits for the
    // op that produces the data (`simulate()`, `get_last_compute_op()` in src/simulator.py): a
    // load waits for the matmul and softmax results its consumer depends on.
    bool in_order_memory = false;
    // Its matmul tile takes ceil(MACs/M · (1 − s_a)) cycles (`MACLane.assign_op()` in
    // src/modules.py: only the activation sparsity), and every unit stays occupied one cycle after
    // each tile without drawing power (`Module.process_cycle()` frees it one call after its
    // countdown ends).
    bool mac_tile_cycles = false;
    // Its compute groups: outside attention, the op list is issued in groups of 9 consecutive
    // tiles that start every 8 (`get_op_list()`, `update_op_idx()` in src/simulator.py, with
    // config_tiny's `compute_ops.batch_size` 8), so every 8th tile of the FFN matmuls, their
    // activations and the layer-norms runs twice, and the last tile of the run once more.
    bool duplicate_issue = false;
    // A softmax tile takes every idle softmax unit of its PE (`ProcessingElement.assign_op()` in
    // src/pe.py has no `break` in its softmax loop), so each tile occupies and charges all of them.
    bool softmax_all_units = false;
    // Every (b, i, j, k) tile of a matmul is an op of its own that any free MAC lane takes
    // (`MatrixMultOp.tile_op()` in src/ops.py, assigned to free lanes by `simulate()`; the adds of
    // the k partial sums are not modelled): a matmul with fewer output tiles than lanes has its
    // outputs' k steps split over the lanes that would otherwise idle.
    bool spread_k_tiles = false;
    // Main-memory energy per load = E · elements · (1 − s_w) / 64, charged twice (the typed and
    // the mask buffer's `Buffer.load()` in src/buffer.py, both called per load by `simulate()`);
    // writes to main memory cost nothing (it has none: `Buffer.store()` stays on chip).
    bool main_memory_energy = false;
    // A buffer leaks for every cycle of a main-memory load into it (`Buffer.process_cycle()`
    // charges leakage while the load counts down), not only while its port is busy.
    bool buffer_leakage_while_loading = false;
    // Buffer access energy only for what the units store (`Buffer.store()`); none for operand
    // reads (its `FIFO.assign_op()` is never run) or for the DMA's side of loads and spills.
    bool no_operand_read_energy = false;
    // No dataflow, DMA-interface, FIFO or sparsity-unit energy: its cycle-level `simulate()`
    // never assigns the first two an op and never runs the lanes' sub-modules.
    bool control_modules_off = false;

    bool any() const { return !enabled().empty(); }
    std::vector<std::string> enabled() const;  // names of the options on, in ladder order
};

// The compatibility options by name, in the order of the ladder (docs/validation.md §7.5).
const std::vector<std::pair<std::string, bool CompatConfig::*>>& compat_options();
// Their names, in the same order.
const std::vector<std::string>& compat_option_names();
// The set name that switches every option on.
inline constexpr const char* kCompatAll = "acceltran-py";
// Switches on the options of a comma-separated list of names (or kCompatAll); an unknown name is
// a UsageError that lists the known ones.
void enable_compat(CompatConfig& compat, const std::string& list);

// The Gemmini-style template (docs/gemmini.md): a W x W systolic array fed by a scratchpad
// (int8 inputs and weights) and writing 32-bit sums into an accumulator, beside a host CPU that
// runs what the array cannot, or integer-only I-BERT units that take those ops on chip.
struct SystolicConfig {
    int dim = 16;                  // W: the array is W x W processing elements, one int8 MAC each
    bool weight_stationary = true; // else output-stationary
};

// The host CPU (a Rocket-class in-order core sharing L2 with the array, as in the survey's
// Gemmini): cycles per element of each floating-point op it runs, plus converting each input
// element from the accumulator's int32 to float and each output element back to int8; data
// crosses the local-memory <-> L2 link both ways at `l2_bytes_per_cycle`.
struct HostCpuConfig {
    int cores = 1;
    double l2_bytes_per_cycle = 16;
    double softmax = 1, layernorm = 1, gelu = 1, add = 1;  // cycles per output element
    double dequantize = 1, quantize = 1;                   // cycles per converted element
};

// I-BERT integer units (survey Sec. 3.4): `activation_units` integer GELU/softmax/exp/add units,
// each `lanes` elements wide, and a normalization unit that reads the accumulator in
// `normalization_passes` passes (sums, sums of squares, then the scaling). With `fuse_gelu`, GELU
// is applied as the matmul's results leave the array and costs no pass of its own.
struct IntegerUnitsConfig {
    int activation_units = 0;      // 0: none, non-linear ops run on the host CPU
    int lanes = 1;                 // elements per cycle per activation unit
    bool normalization_unit = false;
    int normalization_passes = 3;
    int normalization_lanes = 16;  // elements per cycle per pass
    bool fuse_gelu = false;
    bool any() const { return activation_units > 0 || normalization_unit; }
};

struct AcceleratorConfig {
    std::string name;
    std::string source;            // file it came from
    // Accelerator template: "acceltran" (the PEs, MAC lanes, softmax and layer-norm units of the
    // paper) or "gemmini" (systolic array + host CPU, docs/gemmini.md). A gemmini design fills
    // the PE fields below from its own keys: one PE whose one "MAC lane" is the array, whose
    // softmax-class units are the host CPU cores (or the I-BERT activation units) and whose
    // layer-norm-class unit is the I-BERT normalization unit.
    std::string architecture = "acceltran";
    SystolicConfig systolic;
    HostCpuConfig host_cpu;
    IntegerUnitsConfig integer_units;
    double l2_kb = 2048;           // the L2 of the survey's analytic traffic rule (docs/gemmini.md §5)
    bool gemmini() const { return architecture == "gemmini"; }
    double clock_mhz = 700;
    int pes = 64;
    int lanes_per_pe = 16;
    int macs_per_lane = 16;
    int softmax_per_pe = 4;
    int layernorm_per_pe = 1;
    std::string nonlinearity = "gelu";  // gelu | relu
    int tile_b = 1, tile_x = 16, tile_y = 16;
    LoopOrder loop_order;  // b_i_j_k
    int int_bits = 4, frac_bits = 16;   // fixed-point word: IL + FL bits per value
    double activation_sparsity = 0.5;   // timing-only mode: fraction of zero activations
    double weight_sparsity = 0.5;       // fraction of zero weights (offline pruned)
    // Top-k baseline (functional mode): the selection unit beside each softmax unit handles this
    // many probabilities per cycle (docs/dynatran.md §4).
    double topk_elements_per_cycle = 1;
    // The functional mode's rule (sparsity.mode, threshold, k, weight_threshold): DynaTran with
    // τ = 0 (nothing pruned) unless configured. A rule that prunes (zero_skipping()) makes every
    // run of this design functional, since only values can decide its zeros; otherwise a run
    // without --functional is timing-only with the ratios above (docs/dynatran.md §1.1).
    sparsity::DynaTranConfig sparsity_rule{sparsity::SparsityMode::DynaTran};
    std::string rounding = "nearest";   // functional mode: nearest or stochastic
    BufferConfig activation_buffer, weight_buffer, mask_buffer;
    // The three buffers in workloads::BufferKind's order (activation, weight, mask).
    std::array<const BufferConfig*, 3> buffers() const { return {&activation_buffer, &weight_buffer, &mask_buffer}; }
    MainMemoryConfig main_memory;
    DmaConfig dma;
    std::string technology = "14nm";    // configs/technology/<name>.yaml
    bool power_gating = true;           // idle units and buffers draw no leakage (as the original)
    CompatConfig compat;                // the original simulator's choices, for comparison only
    YAML::Node resolved;                // the YAML as read, after --set overrides

    int element_bits() const { return int_bits + frac_bits; }
    double clock_hz() const { return clock_mhz * 1e6; }
    std::int64_t mac_lanes() const { return std::int64_t(pes) * lanes_per_pe; }
    std::int64_t softmax_units() const { return std::int64_t(pes) * softmax_per_pe; }
    std::int64_t layernorm_units() const { return std::int64_t(pes) * layernorm_per_pe; }
    // The off-chip device's bandwidth in bytes per clock cycle: (GB/s * 1e9) / (clock in Hz).
    double device_bytes_per_cycle() const { return main_memory.bandwidth_gbps * 1e9 / clock_hz(); }
    // What the accelerator's memories exchange with main memory per cycle at best: the device's
    // bandwidth, or with the l2_cache model (an L2 in front of DRAM) the link to the L2.
    double memory_bytes_per_cycle() const {
        return main_memory.model == "l2_cache" ? main_memory.model_parameters.number("link_gbps") * 1e9 / clock_hz()
                                               : device_bytes_per_cycle();
    }
    // The original's unit factor (2^30/1e9)·(bits/8) under compat.bandwidth_units, else 1.
    double compat_bandwidth_factor() const {
        return compat.bandwidth_units ? double(std::uint64_t(1) << 30) / 1e9 * element_bits() / 8.0 : 1.0;
    }
    // What main memory moves per cycle as the model runs it: memory_bytes_per_cycle() times the
    // compat factor.
    double memory_port_bytes_per_cycle() const { return memory_bytes_per_cycle() * compat_bandwidth_factor(); }
};

// Loads and validates a design point. `name_or_path` is a shipped name (configs/accelerators/
// <name>.yaml under `configs_dir`) or a file path. `overrides` are "key.path=value" strings
// applied before validation. Any problem is an InputError (UsageError for a bad override) with
// file:line:column, the key path and what was expected.
AcceleratorConfig load_accelerator(const std::string& name_or_path, const std::string& configs_dir,
                                   const std::vector<std::string>& overrides = {});
AcceleratorConfig parse_accelerator(const YAML::Node& root, const std::string& source);
// How an accelerator argument is named in messages (core/input_file.h).
InputKind accelerator_input_kind();
std::vector<std::string> shipped_accelerators(const std::string& configs_dir);

// Directory holding workloads/ and configs/: $ACCELTRAN_DATA_DIR, else the installation's
// share/acceltran beside an installed binary (core/install_layout.h), else the source tree the
// binary was built from.
std::string data_dir();

}  // namespace acceltran
