// Everything the units need about one compute entry, prepared once when the accelerator is
// built (the equivalent of the op descriptor a control block hands its processing elements).
#pragma once

#include <cstdint>

#include "workloads/tiled_program.h"

namespace acceltran::compute {

class FunctionalEngine;

struct OperandPlace {
    const workloads::TensorLayout* layout = nullptr;
    int tensor = -1;
    std::uint64_t data_base = 0;  // global address of the tensor in its data buffer
    std::uint64_t mask_base = 0;  // global address of its mask in the mask buffer
};

struct OpContext {
    std::uint32_t entry = 0;
    const workloads::Op* op = nullptr;
    const workloads::TileGrid* grid = nullptr;
    workloads::LoopOrder loop_order;
    OperandPlace a, a2, b, out;  // a2: the second operand of a residual add
    FunctionalEngine* functional = nullptr;  // functional mode: computes and measures each tile
    // compat.duplicate_issue (OriginalIssueRules): the op is issued in the original's compute
    // groups, and the step of the program's last grouped tile (or ~0 when it is elsewhere).
    bool grouped = false;
    std::uint64_t last_issue_step = ~std::uint64_t(0);
};

}  // namespace acceltran::compute
