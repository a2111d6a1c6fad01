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

std::vector<int> entry_owner_ops(const TiledProgram& program) {
    const auto& entries = program.entries;
    const auto& g = *program.graph;
    std::vector<int> owner(entries.size(), -1);
    std::vector<char> computes(g.ops.size(), 0);
    int first = -1;
    for (std::size_t e = 0; e < entries.size(); ++e)
        if (entries[e].kind == EntryKind::Compute) {
            owner[e] = entries[e].op;
            computes[std::size_t(entries[e].op)] = 1;
            if (first < 0) first = entries[e].op;
        }
    if (first < 0) return owner;
    int next = -1;
    for (std::size_t e = entries.size(); e-- > 0;) {
        if (entries[e].kind == EntryKind::Compute)
            next = entries[e].op;
        else if (entries[e].kind != EntryKind::Store)
            owner[e] = next;
    }
    int previous = first;
    for (std::size_t e = 0; e < entries.size(); ++e) {
        const auto& entry = entries[e];
        if (entry.kind == EntryKind::Compute) previous = entry.op;
        if (entry.kind == EntryKind::Store) {
            const int producer = g.producer[std::size_t(entry.tensor)];
            owner[e] = producer >= 0 && computes[std::size_t(producer)] ? producer : previous;
        }
        if (owner[e] < 0) owner[e] = previous;
    }
    return owner;
}

}  // namespace acceltran::workloads
