// A technology table: the area and power of every synthesized AccelTran module, and the access
// energies of the on-chip buffers and of main memory, as read from configs/technology/<name>.yaml.
// Plain C++ (no SystemC) so that the area model, the energy accounting and tests share it.
// Units: area µm², power mW, energy nJ. Every lookup that the table cannot answer is an InputError
// that names the technology file, what was asked and what the table has.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/accelerator_config.h"

namespace acceltran::power {

// One synthesized module: its area and its power while busy (dynamic) and while powered (leakage).
struct ModulePower {
    double area_um2 = 0;
    double dynamic_mw = 0;
    double leakage_mw = 0;
};

// One SRAM buffer kind (CACTI figures).
struct BufferTechnology {
    double area_um2_per_mb = 0;    // µm² per MiB of capacity
    double access_energy_nj = 0;   // per block access, for a 1 MiB buffer
    double leakage_mw_per_mb = 0;  // mW per MiB of capacity
    // The original scales the per-block access energy with sqrt(capacity in MiB).
    double access_energy_nj_for(double size_mb) const;
};

struct Technology {
    std::string name;              // `name:` in the file, e.g. "14nm"
    std::string source;            // the file it was read from
    double clock_mhz = 0;          // the clock the power figures were synthesized at

    std::map<std::string, std::map<int, ModulePower>> mac_lanes;  // [nonlinearity][MACs per lane]
    std::map<int, ModulePower> softmax_units;                     // [tile size]
    std::map<int, ModulePower> layernorm_units;                   // [tile size]
    ModulePower pre_sparsity_unit, post_sparsity_unit, fifo_unit, stochastic_rounding_unit,
        dataflow_unit, dma_unit;
    std::map<std::string, BufferTechnology> buffers;  // "activation", "weight", "mask"
    int buffer_block_bytes = 64;
    // nJ per main-memory block access, keyed "<dram|hbm|rram>_<banks>_<ranks>_<channels>".
    std::map<std::string, double> main_memory_energy_nj;
    int main_memory_block_bytes = 64;

    // Lookups; each throws InputError naming `source`, the request and the available entries.
    const ModulePower& mac_lane(const std::string& nonlinearity, int macs_per_lane) const;
    const ModulePower& softmax(int tile) const;
    const ModulePower& layernorm(int tile) const;
    const ModulePower& pre_sparsity() const { return pre_sparsity_unit; }
    const ModulePower& post_sparsity() const { return post_sparsity_unit; }
    const ModulePower& fifo() const { return fifo_unit; }
    const ModulePower& stochastic_rounding() const { return stochastic_rounding_unit; }
    const ModulePower& dataflow() const { return dataflow_unit; }
    const ModulePower& dma() const { return dma_unit; }
    const BufferTechnology& buffer(const std::string& kind) const;
    // `type` is an accelerator config's main_memory.type (lpddr3 | hbm2 | rram), looked up as
    // dram | hbm | rram; energy in nJ per `main_memory_block_bytes` access.
    double main_memory_access_nj(const std::string& type, int banks, int ranks, int channels) const;

    // Makes every lookup a run of `config` will make (its MAC lane, softmax and layer-norm at its
    // tile width, the three buffers, its main memory), so that a table that cannot answer fails
    // before simulating: the energy lookups otherwise happen only after the run.
    void check_covers(const AcceleratorConfig& config) const;
};

// The table key for an accelerator's main memory, e.g. ("lpddr3", 32, 2, 1) -> "dram_32_2_1".
// Throws InputError for a type other than lpddr3 | hbm2 | rram.
std::string main_memory_key(const std::string& type, int banks, int ranks, int channels);

// Parses and validates a technology file's text (`origin` names it in messages).
Technology parse_technology(const std::string& yaml_text, const std::string& origin);
// `name_or_path` is a shipped name (<configs_dir>/technology/<name>.yaml) or a file path; an
// unknown name is an InputError listing the shipped ones.
Technology load_technology(const std::string& name_or_path, const std::string& configs_dir);
std::vector<std::string> shipped_technologies(const std::string& configs_dir);

}  // namespace acceltran::power
