// The per-op table of a run: one row per op of the graph that the program computes, with what
// the run spent on it (time on the critical path, unit busy time, bytes per level, energy).
// OpAccounting (op_accounting.h) fills it as the run goes; ops.csv is its text form, written
// and read here so that the column list lives in one place (docs/outputs.md, ops.csv).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "workloads/target_description.h"

namespace acceltran {

struct OpRow {
    std::string op;          // the op's unique name (decoders: with its phase prefix)
    int layer = -1;          // -1: embedding-level and head ops
    std::string phase;       // prefill or decode
    int step = 0;            // 0 for the prefill, t for decode step t
    std::string kind;        // matmul, softmax, ...
    std::string category;    // the survey's categories (op_graph.h)
    std::string shape;       // batch x m x n (x k for a matmul)
    std::string unit;        // unit class that computes it
    double start_cycle = 0;  // its first transfer or tile started
    double end_cycle = 0;    // its last program entry retired
    double critical_cycles = 0;  // cycles it was the oldest unfinished op (docs/outputs.md)
    double busy_unit_cycles[workloads::kUnitClasses] = {0, 0, 0};
    double dma_busy_channel_cycles = 0;
    std::uint64_t memory_read_bytes = 0, memory_write_bytes = 0;    // main memory <-> buffers
    std::uint64_t compute_read_bytes = 0, compute_write_bytes = 0;  // buffers <-> units
    std::uint64_t buffer_read_bytes[workloads::kBufferKinds] = {0, 0, 0};  // both sides, per buffer
    std::uint64_t buffer_write_bytes[workloads::kBufferKinds] = {0, 0, 0};
    std::uint64_t pre_sparsity_tiles = 0, post_sparsity_tiles = 0;
    std::uint64_t macs = 0;   // dense (unmasked under a causal mask)
    double energy_j = 0;
    double utilization = 0;   // busy unit-cycles / (units of its class x (end - start))
    double a_density = 1, b_density = 1, out_density = 1;  // planned non-zero fractions; 1 if absent
};

class OpTable {
public:
    std::vector<OpRow> rows;  // program order
    // Whether the rows cover the whole run or only its simulated steps and layers (a sampled
    // run, whose totals summary.json extrapolates; docs/decoders.md §9, model-reference.md §6b).
    bool sampled = false;

    // ops.csv: a header, then one line per row; cycles and energies with 17 significant digits
    // so that the file reads back to the same doubles.
    void write_csv(std::ostream& out) const;
    // Reads what write_csv wrote; InputError naming `path`, the line and the column for
    // anything else.
    static OpTable read_csv(const std::string& text, const std::string& path);
};

}  // namespace acceltran
