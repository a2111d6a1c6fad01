// The program the control block executes: the op graph's compute ops in order, interleaved with
// the memory ops (weight and input loads, activation spills and reloads, final write-back) that a
// static buffer plan needs, each with the entries it must wait for.
//
// The plan is computed at compile time, as a compiler for a software-managed scratchpad would:
// it walks the ops in order, keeps every operand resident while its op runs, frees a tensor
// after its last use, and when a buffer is full evicts the resident tensor whose next use is
// furthest away (spilling it to main memory first when it is a live activation). Free space is a
// FIFO of released chunks; an allocation that takes a chunk must wait for every entry that used
// the tensor the chunk came from. Loads therefore run as early as space allows (prefetch) and
// never overwrite data still in use. Addresses inside a buffer are nominal (fragmentation is
// not modelled: a real compiler would compact); capacities are exact.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "workloads/op_graph.h"
#include "workloads/target_description.h"
#include "workloads/tiling.h"

namespace acceltran::workloads {

enum class EntryKind : std::uint8_t { Compute, Load, Spill, Store };
const char* to_string(EntryKind e);

// How a tensor is stored: compressed data (non-zeros only) in its data buffer plus a one-bit-
// per-element mask in the mask buffer, in main memory as on chip.
struct TensorLayout {
    BufferKind buffer = BufferKind::Activation;
    double density = 1;
    std::uint64_t data_bytes = 0;
    std::uint64_t mask_bytes = 0;
    std::uint64_t memory_address = 0;  // main-memory home (weights, inputs, spill slots)
    int element_bits = 20;             // bits per stored non-zero value (CompileOptions::element_bits)
    bool masked = true;                // carries a mask (CompileOptions::masks)
    std::uint64_t copies = 1;          // copies held (CompileOptions::batched_weights: one per batch entry)
};


struct ProgramEntry {
    EntryKind kind = EntryKind::Compute;
    int op = -1;       // compute: op id
    int tensor = -1;   // memory: tensor moved
    UnitClass unit = UnitClass::MacLane;  // compute only
    TileGrid grid;     // compute only
    LoopOrder loop_order;  // compute only: the op's (its mapping's, else the design point's)
    std::uint64_t data_bytes = 0;  // memory: data bytes moved (mask bytes separately)
    std::uint64_t memory_offset = 0;  // memory: a block's slice starts this far into the tensor's home
    std::uint64_t mask_bytes = 0;
    std::vector<std::uint32_t> deps;   // entries that must complete first (all earlier)
    // Residencies this entry allocates (when it starts) and uses (released after their last user).
    std::vector<std::uint32_t> allocates;
    std::vector<std::uint32_t> uses;
    // A repeated layer the run does not simulate (docs/model-reference.md §6b, layer sampling):
    // it retires as soon as its dependencies have, taking and freeing its buffer space but no
    // time, no unit and no transfer.
    bool repeated = false;
};

// One stay of a tensor in the buffers, from the entry that allocates it to its last user.
// An element-wise op whose input dies with it runs in place: its output's residency inherits
// the input's space (allocating nothing) and the input's residency hands it over (freeing
// nothing), so the pair costs the buffer one tensor, not two.
struct Residency {
    int tensor = -1;
    BufferKind buffer = BufferKind::Activation;
    std::uint64_t data_bytes = 0;
    std::uint64_t mask_bytes = 0;
    std::uint32_t users = 0;  // entries listing it in `uses`; released when all have completed
    bool inherited = false;   // space taken over from the in-place op's input
    bool handed_over = false; // space passed on to the in-place op's output
    bool slice = false;       // one main-memory block's part of the tensor (op_blocking.h), not a copy of it
    bool pinned = false;      // held to the end of the run, never freed (the embedding table, OpGraph::embedding_table)

    std::uint64_t allocated_data() const { return inherited ? 0 : data_bytes; }
    std::uint64_t allocated_mask() const { return inherited ? 0 : mask_bytes; }
    std::uint64_t freed_data() const { return handed_over || pinned ? 0 : data_bytes; }
    std::uint64_t freed_mask() const { return handed_over || pinned ? 0 : mask_bytes; }
};

struct ProgramTotals {
    std::uint64_t compute_entries = 0, load_entries = 0, spill_entries = 0, store_entries = 0;
    std::uint64_t tile_ops = 0;          // compute tiles over all ops
    std::uint64_t macs = 0;              // dense MACs
    std::uint64_t load_bytes = 0;        // main memory -> buffers (data + mask)
    std::uint64_t store_bytes = 0;       // buffers -> main memory (spills and final outputs)
};

// How the planner blocked an op between main memory and the buffers (op_blocking.h).
struct BlockedOp {
    MemoryBlock block;             // every size filled in
    bool weight_whole = false;     // a weight B loaded whole once and kept for every block
    bool double_buffered = false;  // two blocks' slices fit: the next loads while one runs
};

struct TiledProgram {
    const OpGraph* graph = nullptr;
    CompileOptions options;
    std::vector<TensorLayout> layouts;  // per tensor
    std::vector<ProgramEntry> entries;
    std::vector<Residency> residencies;
    ProgramTotals totals;
    // Per op id: how it was blocked, or nothing when it ran whole.
    std::vector<std::optional<BlockedOp>> blocked;
};

// The op each entry is charged to: a compute entry's own; a load or spill, the op of the compute
// entry that follows it (the one it fetches operands or makes room for; after the last compute
// entry, the one before); a store, the op that produced the stored tensor when that op has a
// compute entry, else the op of the compute entry before it. -1 for every entry of a program
// without compute entries. The rule of ops.csv (docs/outputs.md) and of layer sampling.
std::vector<int> entry_owner_ops(const TiledProgram& program);


}  // namespace acceltran::workloads
