// Where the compute units' time went, by op kind (matmul, softmax, layernorm, gelu, add, ...):
// the busy unit-cycles of every tile, summed per kind of the op it belongs to, and how many ops
// of each kind the program has. summary.json's `op_kinds` (docs/outputs.md); the goldens compare
// it, so a change that moves time from one kind to another shows even when the total does not.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "modules/activity/activity_observer.h"
#include "workloads/tiled_program.h"

namespace acceltran {

class OpKindBreakdown : public activity::ActivityObserver {
public:
    explicit OpKindBreakdown(const workloads::TiledProgram& program);

    // Back-to-back tiles of one job may arrive as one event (the fast detail level): the same
    // busy time, so no need to see every tile.
    void on_tile(const activity::TileEvent& t) override;

    // {kind: {"ops": n, "busy_unit_cycles": c}} for every kind the program has.
    nlohmann::json to_json() const;

private:
    const workloads::TiledProgram& program_;
    std::vector<double> busy_;         // per OpKind
    std::vector<std::uint64_t> ops_;   // per OpKind
    // Per program entry, its op's kind: on_tile (every tile at the full level) reads this
    // instead of the entry and the op, two large records apart in memory.
    std::vector<workloads::OpKind> kind_of_entry_;
};

}  // namespace acceltran
