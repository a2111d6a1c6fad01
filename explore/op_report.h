// The per-op table read back and summarised: ops grouped by name, layer or kind, ranked by the
// cycles they held the critical path (the console's "top ops" after a run, and
// `acceltran report DIR`; docs/outputs.md, ops.csv).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "modules/simulation/op_table.h"

namespace acceltran::explore {

enum class OpGrouping { Op, Layer, Kind };
// "op", "layer" or "kind"; UsageError naming `option` otherwise.
OpGrouping parse_op_grouping(const std::string& text, const std::string& option);

struct OpGroup {
    std::string name;
    std::string kind;  // the ops' kind when they share one, else "mixed"
    std::size_t ops = 0;
    double critical_cycles = 0;
    double busy_unit_cycles = 0;  // all unit classes
    std::uint64_t memory_bytes = 0;   // main memory read + written
    std::uint64_t compute_bytes = 0;  // buffers read + written by the units
    std::uint64_t macs = 0;
    double energy_j = 0;
};

// Groups in first-seen order, then ranked by critical cycles, most first (stable: ties keep
// program order).
std::vector<OpGroup> group_ops(const OpTable& table, OpGrouping by);

// A text table of the `top` largest groups (0: all) and a line for the rest, with each group's
// share of the total critical cycles.
std::string op_report_text(const OpTable& table, OpGrouping by, std::size_t top);

// DIR/ops.csv of a run directory; InputError naming the file when it is missing or malformed.
OpTable load_op_table(const std::string& directory);

}  // namespace acceltran::explore
