// The console table of a sparsity sweep (`acceltran sparsity`, docs/dynatran.md): one line per
// point with its series, threshold or k, activation sparsity, share of MACs skipped, cycles,
// energy per sequence and output error, or why it failed.
#pragma once

#include <string>
#include <vector>

#include "explore/sparsity_sweep.h"

namespace acceltran::explore {

std::string sparsity_table(const std::vector<const SparsityPoint*>& rows);

}  // namespace acceltran::explore
