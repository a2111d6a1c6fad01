// Test support: every occupancy the control block would see, walking a compiled program in
// order with each residency freed after its last user, must stay within the buffers' capacity
// (the simulation checks the same at run time, in the order entries really run).
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "workloads/tiled_program.h"

namespace acceltran::testing {

inline void check_occupancy_in_program_order(const workloads::TiledProgram& p) {
    using workloads::BufferKind;
    std::vector<std::uint32_t> users_left(p.residencies.size());
    for (std::size_t r = 0; r < p.residencies.size(); ++r) users_left[r] = p.residencies[r].users;
    std::uint64_t held[workloads::kBufferKinds] = {};
    for (const workloads::ProgramEntry& e : p.entries) {
        for (std::uint32_t r : e.allocates) {
            held[int(p.residencies[r].buffer)] += p.residencies[r].allocated_data();
            held[int(BufferKind::Mask)] += p.residencies[r].allocated_mask();
        }
        for (int b = 0; b < workloads::kBufferKinds; ++b) REQUIRE(held[b] <= p.options.capacity[b]);
        for (std::uint32_t r : e.uses)
            if (--users_left[r] == 0) {
                held[int(p.residencies[r].buffer)] -= p.residencies[r].freed_data();
                held[int(BufferKind::Mask)] -= p.residencies[r].freed_mask();
            }
    }
}

}  // namespace acceltran::testing
