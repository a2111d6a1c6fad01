// The DMA bursts that land in one buffer, at the cycles the full detail level would write them,
// kept at the fast detail level so that a chunk of tiles can be charged for the reads the full
// level's tiles would have waited behind those bursts (docs/model-reference.md §6a, "Bursts
// behind the tiles' reads"). The fast level reserves a chunk's operand reads at once, ahead of
// the bursts or in their gaps; at the full level a tile's small read issued while a burst is
// being written waits for it.
#pragma once

#include <cstdint>
#include <deque>
#include <set>

namespace acceltran {

class BurstLog {
public:
    // `count` bursts, the first written from cycle `first`, the next ones `spacing` cycles apart.
    void add(double first, double spacing, std::uint64_t count);
    // Bursts whose write starts in [from, to).
    std::uint64_t count(double from, double to) const;
    // Drops bursts written before cycle `t`, except those a held window may still ask for.
    void forget_before(double t);
    // A window from cycle `from` that will be asked about later: bursts from `from` on are kept
    // until it is released (once per hold).
    void hold(double from) { held_.insert(from); }
    void release(double from);
    std::size_t records() const { return runs_.size(); }

private:
    struct Run {
        double first, spacing;
        std::uint64_t count;
        double last() const { return first + spacing * double(count - 1); }
    };
    std::deque<Run> runs_;
    std::multiset<double> held_;
};

// Expected stall of a tile pipeline per burst holding a buffer's port for `burst_cycles`: tiles
// `tile_cycles` apart, each reading its operand on that port (`read_cycles` of port time, then
// `latency`) when the tile before it starts, the burst reserved before the reads (the DMA issues
// a transfer's bursts at its start). Let X = burst + read + latency − tile and u the time from
// the burst's start to the first read issued after it, over one tile period taken as
// (−read, tile − read]: a read issued before the burst (u < 0) moves its remaining bytes behind
// it and stalls the pipeline by X; one issued during it by max(0, X − u). The mean over u
// uniform is (read·max(0, X) + ∫₀^{tile−read} max(0, X − u) du) / tile.
double burst_stall_cycles(double burst_cycles, double read_cycles, double latency, double tile_cycles);

}  // namespace acceltran
