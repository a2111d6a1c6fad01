#include "modules/compute/job_plan.h"

#include <algorithm>

#include "modules/compute/tile_density.h"

namespace acceltran::compute {

std::uint64_t tile_transfer_bytes(const workloads::TensorLayout& layout, bool mask, std::uint64_t elements,
                                  double density) {
    if (mask) return layout.masked ? workloads::mask_bytes(elements) : 0;
    return workloads::compressed_bytes(elements, density, layout.element_bits);
}

namespace {
void add(StreamSum& s, std::uint64_t slot, std::uint64_t bytes, std::uint64_t elements, double density) {
    if (bytes == 0) return;
    if (s.bytes == 0) {
        s.first_slot = slot;
        s.density = density;
    }
    s.bytes += bytes;
    s.elements += elements;
}
}  // namespace

JobPlan::JobPlan(TileExecutor& unit, const OpContext& ctx, workloads::LaneTileSequence tiles, int middle_chunks,
                 std::vector<TileRecord>* records, const OriginalIssueRules* rules, std::uint64_t first_ordinal) {
    const workloads::TileGrid& g = *ctx.grid;
    const std::uint64_t n = tiles.size();
    // Chunk boundaries: [0,1), the middle [1, n-1) in up to `middle_chunks` near-equal pieces, [n-1, n).
    std::vector<std::uint64_t> ends;
    if (n >= 1) ends.push_back(1);
    if (n > 2) {
        const std::uint64_t middle = n - 2;
        const std::uint64_t pieces = std::min<std::uint64_t>(middle, std::uint64_t(std::max(1, middle_chunks)));
        for (std::uint64_t p = 1; p <= pieces; ++p) ends.push_back(1 + p * middle / pieces);
    }
    if (n >= 2) ends.push_back(n);
    chunks_.resize(ends.size());

    std::size_t chunk = 0;
    workloads::TileStep step;
    for (std::uint64_t i = 0; tiles.next(step); ++i) {
        while (i >= ends[chunk]) ++chunk;
        JobChunk& c = chunks_[chunk];
        const auto& t = step.index;
        // Slots as in the full path (ProcessingElement::run_tile).
        const std::uint64_t out_slot = (std::uint64_t(t.b) * g.ni + t.i) * g.nj + t.j;
        const std::uint64_t a_slot = g.matmul ? (std::uint64_t(t.b) * g.ni + t.i) * g.nk + t.k : out_slot;
        const std::uint64_t b_slot =
            (g.b_batched ? std::uint64_t(t.b) * g.nk * g.nj : 0) + std::uint64_t(t.k) * g.nj + t.j;
        // The fast level is timing-only: the configured densities.
        const TileDensity density = tile_density(ctx, step, nullptr);
        auto read = [&](ReadStream data, const OperandPlace& p, std::uint64_t slot, std::uint64_t elements, double d) {
            add(c.reads[data], slot, tile_transfer_bytes(*p.layout, false, elements, d), elements, d);
            add(c.reads[data + 1], slot, tile_transfer_bytes(*p.layout, true, elements, d), elements, d);
        };
        if (step.read_a) read(kReadA, ctx.a, a_slot, g.a_elements(t), density.a);
        if (ctx.a2.layout) read(kReadA2, ctx.a2, a_slot, g.a_elements(t), density.a2);
        if (step.read_b && ctx.b.layout) read(kReadB, ctx.b, b_slot, g.b_elements(t), density.b);
        const workloads::TensorLayout& out = *ctx.out.layout;
        const std::uint64_t out_elements = g.out_elements(t);
        if (step.read_psum)
            add(c.reads[kReadPsum], out_slot, tile_transfer_bytes(out, false, out_elements, 1.0), out_elements, 1.0);

        TileWork work = unit.execute(ctx, step, density);
        if (rules) work = rules->apply(ctx, first_ordinal + i, work);
        const double cycles = double(work.cycles);
        const double idle = double(work.idle_cycles);
        if (c.tiles == 0) c.first_cycles = cycles;
        c.last_cycles = cycles;
        c.last_idle_cycles = idle;
        c.cycles += cycles;
        c.idle_cycles += idle;
        idle_cycles_ += idle;
        c.tiles++;
        cycles_ += cycles;
        tiles_++;
        const auto pre = std::uint8_t(work.pre_sparsity_tiles);
        const auto post = std::uint8_t(work.post_sparsity_tiles);
        c.pre_sparsity_tiles += pre;
        c.post_sparsity_tiles += post;
        c.conversion_cycles += double(work.conversion_cycles);
        if (records) records->push_back(TileRecord{std::uint32_t(cycles), pre, post, std::uint32_t(work.conversion_cycles),
                                                     std::uint32_t(work.idle_cycles)});

        if (step.write_output) {
            const double d = density.out;
            add(c.writes[kWriteOut], out_slot, tile_transfer_bytes(out, false, out_elements, d), out_elements, d);
            add(c.writes[kWriteOutMask], out_slot, tile_transfer_bytes(out, true, out_elements, d), out_elements, d);
        } else if (step.write_psum) {
            add(c.writes[kWritePsum], out_slot, tile_transfer_bytes(out, false, out_elements, 1.0), out_elements, 1.0);
        }
    }
    // size() counts every (output, k) pair; a causal op skips its masked tiles, which leaves the
    // chunks planned for them empty.
    chunks_.erase(std::remove_if(chunks_.begin(), chunks_.end(), [](const JobChunk& c) { return c.tiles == 0; }),
                  chunks_.end());
}

}  // namespace acceltran::compute
