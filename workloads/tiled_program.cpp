#include "workloads/tiled_program.h"

namespace acceltran::workloads {

const char* to_string(EntryKind e) {
    switch (e) {
        case EntryKind::Compute: return "compute";
        case EntryKind::Load: return "load";
        case EntryKind::Spill: return "spill";
        case EntryKind::Store: return "store";
    }
    return "?";
}

}  // namespace acceltran::workloads
