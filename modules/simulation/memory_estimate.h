// What a generation run will hold in memory, predicted from the graph's dimensions before the
// graph is built, so that a run that cannot fit is refused up front instead of ending in an
// allocation failure (docs/robustness.md "Memory"; the constants' measurements are in
// docs/performance.md).
//
//   bytes = kBaseBytes + kBytesPerOp * ops + kBytesPerRead * cache_reads
//           + kBytesPerReload * reloaded_reads
//
// - ops: the ops of the prefill plus those of every decode step built (each op brings its
//   output tensor, its compute entry, the loads of its weights and the control block's state);
// - cache_reads: the KV-cache segments the attention ops of every built step list (a reference
//   in the op and in the segment's consumers): decode step t lists one per earlier step, so an
//   exact generation's grow as G^2 / 2 per layer and attention op;
// - reloaded_reads: those of steps whose cache no longer fits half the activation buffer, which
//   the planner turns into a Load entry each (the upper bound: every one of them).
#pragma once

#include <cstdint>

#include "workloads/generation.h"
#include "workloads/model_spec.h"
#include "workloads/target_description.h"

namespace acceltran {

struct MemoryEstimate {
    std::uint64_t ops = 0;
    std::uint64_t cache_reads = 0;
    std::uint64_t reloaded_reads = 0;
    std::uint64_t bytes = 0;

    static constexpr std::uint64_t kBaseBytes = 64ull << 20;
    static constexpr std::uint64_t kBytesPerOp = 2048;
    static constexpr std::uint64_t kBytesPerRead = 8;
    static constexpr std::uint64_t kBytesPerReload = 512;
};

// The estimate of a generation run (options.buffers set as the run sets them). Builds only the
// graphs of the prefill and of one decode step, whatever the generation's length.
MemoryEstimate estimate_generation_memory(const workloads::ModelSpec& model,
                                          const workloads::GenerationOptions& options);

// The limit a run's estimate is held to when none is given: half the machine's physical memory
// (sysconf _SC_PHYS_PAGES x _SC_PAGE_SIZE), or 4 GiB where the system does not say.
std::uint64_t default_memory_limit();

}  // namespace acceltran
