#include "modules/compute/job_plan.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "modules/compute/tile_density.h"

namespace acceltran::compute {

std::uint64_t tile_transfer_bytes(const workloads::TensorLayout& layout, bool mask, std::uint64_t elements,
                                  double density) {
    if (mask) return layout.masked ? workloads::mask_bytes(elements) : 0;
    return workloads::compressed_bytes(elements, density, layout.element_bits);
}

namespace {

constexpr int kStreams = kReadStreams + kWriteStreams;  // reads first, then writes

// A distinct tile of a job: everything the per-tile rules read from a tile (its extents, its
// step flags, the densities that follow from them, and under a causal mask its unmasked pairs)
// is the same for every tile of the class, so the rules run once per class.
struct TileClass {
    workloads::TileStep step;  // the first tile of the class, standing for all
    TileDensity density;
    std::uint64_t bytes[kStreams] = {}, elements[kStreams] = {};
    double stream_density[kStreams] = {};
    unsigned streams = 0;  // bit s: stream s moves bytes
    std::uint64_t count = 0;
    TileWork work;
    int bits = -1;  // its entry in JobPlanScratch::by_bits (-1: a diagonal class)
};

// The key of a tile's class: which of its extents are at the op's edge (the only extents that
// differ), its five step flags, and whether it is the job's first tile (a unit may price that
// one differently: SystolicArray). Under a causal mask a tile on the diagonal has its own
// count of unmasked pairs, kept beside the key.
unsigned class_bits(const workloads::TileGrid& g, const workloads::TileStep& s, bool first) {
    const auto& t = s.index;
    return unsigned(t.b == g.nb - 1) | unsigned(t.i == g.ni - 1) << 1 | unsigned(t.j == g.nj - 1) << 2 |
           unsigned(t.k == g.nk - 1) << 3 | unsigned(s.read_a) << 4 | unsigned(s.read_b) << 5 |
           unsigned(s.read_psum) << 6 | unsigned(s.write_psum) << 7 | unsigned(s.write_output) << 8 |
           unsigned(first) << 9;
}

// The per-tile rules of the full path (ProcessingElement::run_tile) for one class.
TileClass make_class(const OpContext& ctx, const workloads::TileStep& step) {
    const workloads::TileGrid& g = *ctx.grid;
    const auto& t = step.index;
    TileClass c;
    c.step = step;
    // The fast level is timing-only: the configured densities.
    c.density = tile_density(ctx, step, nullptr);
    auto stream = [&](int s, const workloads::TensorLayout& layout, bool mask, std::uint64_t elements, double d) {
        const std::uint64_t bytes = tile_transfer_bytes(layout, mask, elements, d);
        if (bytes == 0) return;
        c.bytes[s] = bytes;
        c.elements[s] = elements;
        c.stream_density[s] = d;
        c.streams |= 1u << s;
    };
    auto read = [&](ReadStream data, const OperandPlace& p, std::uint64_t elements, double d) {
        stream(data, *p.layout, false, elements, d);
        stream(data + 1, *p.layout, true, elements, d);
    };
    if (step.read_a) read(kReadA, ctx.a, g.a_elements(t), c.density.a);
    if (ctx.a2.layout) read(kReadA2, ctx.a2, g.a_elements(t), c.density.a2);
    if (step.read_b && ctx.b.layout) read(kReadB, ctx.b, g.b_elements(t), c.density.b);
    const workloads::TensorLayout& out = *ctx.out.layout;
    const std::uint64_t out_elements = g.out_elements(t);
    // Partial sums are kept dense, without a mask.
    if (step.read_psum) stream(kReadPsum, out, false, out_elements, 1.0);
    if (step.write_output) {
        stream(kReadStreams + kWriteOut, out, false, out_elements, c.density.out);
        stream(kReadStreams + kWriteOutMask, out, true, out_elements, c.density.out);
    } else if (step.write_psum) {
        stream(kReadStreams + kWritePsum, out, false, out_elements, 1.0);
    }
    return c;
}

constexpr unsigned kClassBits = 1u << 10;  // (visible pairs fit in the 54 bits above)

// The walk's working storage, kept from job to job: a decode step runs hundreds of thousands of
// jobs of a few distinct tiles each, and allocating it per job cost more than using it.
struct JobPlanScratch {
    std::vector<std::uint64_t> ends;
    std::vector<TileClass> classes;
    std::array<std::int32_t, kClassBits> by_bits;
    std::unordered_map<std::uint64_t, std::size_t> diagonal;  // visible pairs << 10 | bits -> class
    std::vector<std::uint64_t> counts;  // [class * chunks + chunk]
    std::vector<std::size_t> first_class, last_class;
    std::vector<unsigned> started;
    std::vector<std::uint32_t> tile_classes;  // per tile, when records are kept
    std::vector<std::uint32_t> row;
    std::vector<std::uint32_t> used;  // the classes the job has, in the order its tiles bring them
    JobPlanScratch() { by_bits.fill(-1); }
    // Clears what the previous job left (also after one that threw). With `keep_classes` (the
    // previous job was of the same op), its classes stay, with their counts cleared: a class's
    // figures depend only on the op and the class's key.
    void reset(std::size_t chunks, bool keep_classes) {
        if (keep_classes) {
            for (TileClass& c : classes) c.count = 0;
        } else {
            for (const TileClass& c : classes)
                if (c.bits >= 0) by_bits[std::size_t(c.bits)] = -1;
            classes.clear();
            diagonal.clear();
        }
        counts.assign(classes.size() * chunks, 0);
        used.clear();
        first_class.assign(chunks, 0);
        last_class.assign(chunks, 0);
        started.assign(chunks, 0);
        tile_classes.clear();
        row.clear();
    }
};

JobPlanScratch& job_plan_scratch() {
    thread_local JobPlanScratch scratch;
    return scratch;
}

}  // namespace

void JobPlan::build(TileExecutor& unit, const OpContext& ctx, workloads::LaneTileSequence tiles, int middle_chunks,
                    std::vector<TileRecord>* records, const OriginalIssueRules* rules, std::uint64_t first_ordinal,
                    bool same_op) {
    chunks_.clear();
    cycles_ = idle_cycles_ = 0;
    tiles_ = 0;
    const workloads::TileGrid& g = *ctx.grid;
    const std::uint64_t n = tiles.size();
    // Chunk boundaries: [0,1), the middle [1, n-1) in up to `middle_chunks` near-equal pieces, [n-1, n).
    JobPlanScratch& scratch = job_plan_scratch();
    std::vector<std::uint64_t>& ends = scratch.ends;
    ends.clear();
    if (n >= 1) ends.push_back(1);
    if (n > 2) {
        const std::uint64_t middle = n - 2;
        const std::uint64_t pieces = std::min<std::uint64_t>(middle, std::uint64_t(std::max(1, middle_chunks)));
        for (std::uint64_t p = 1; p <= pieces; ++p) ends.push_back(1 + p * middle / pieces);
    }
    if (n >= 2) ends.push_back(n);
    const std::size_t n_chunks = ends.size();
    chunks_.resize(n_chunks);

    // The walk only sorts tiles into classes and counts them per chunk; the per-tile rules run
    // once per class below. Per chunk it keeps what depends on a tile's place rather than its
    // class: the first and last tile's class, and the slot of the first tile moving each stream.
    scratch.reset(n_chunks, same_op);
    std::vector<std::uint32_t>& used = scratch.used;
    std::vector<TileClass>& classes = scratch.classes;
    auto& by_bits = scratch.by_bits;
    auto& diagonal = scratch.diagonal;
    std::vector<std::uint64_t>& counts = scratch.counts;
    std::vector<std::size_t>& first_class = scratch.first_class;
    std::vector<std::size_t>& last_class = scratch.last_class;
    std::vector<unsigned>& started = scratch.started;
    std::vector<std::uint32_t>& tile_classes = scratch.tile_classes;
    const bool causal = g.causal.on;
    const bool per_tile_rules = rules != nullptr && rules->per_tile(ctx);
    // The current row (the tiles of one k step, LaneTileSequence::identical_rows_ahead): its
    // tiles' classes and its first tile's ordinal. Rows repeat only with 4 or more k steps.
    const bool rows_repeat = g.matmul && g.nk >= 4;
    std::vector<std::uint32_t>& row = scratch.row;
    std::uint64_t row_first = 0;
    std::int64_t row_k = -1;

    std::size_t chunk = 0;
    workloads::TileStep step;
    for (std::uint64_t i = 0; tiles.next(step); ++i) {
        while (i >= ends[chunk]) ++chunk;
        const auto& t = step.index;
        if (rows_repeat && t.k != row_k) {
            row.clear();
            row_first = i;
            row_k = t.k;
        }
        const unsigned bits = class_bits(g, step, i == 0);
        std::size_t id = classes.size();
        bool diagonal_tile = false;
        std::uint64_t visible = 0;
        if (causal) {
            // A tile with every pair unmasked is priced by its extents alone.
            visible = g.visible(t);
            const std::uint64_t all = std::uint64_t(g.rows_b(t.b)) * std::uint64_t(g.rows_i(t.i)) *
                                      std::uint64_t(g.keys_on_depth ? g.depth_k(t.k) : g.cols_j(t.j));
            diagonal_tile = visible != all;
        }
        const std::uint64_t diagonal_key = visible << 10 | bits;
        if (diagonal_tile) {
            const auto found = diagonal.find(diagonal_key);
            if (found != diagonal.end()) id = found->second;
        } else if (by_bits[bits] >= 0) {
            id = std::size_t(by_bits[bits]);
        }
        if (id == classes.size()) {
            classes.push_back(make_class(ctx, step));
            counts.resize(counts.size() + n_chunks, 0);
            if (diagonal_tile) {
                diagonal.emplace(diagonal_key, id);
            } else {
                by_bits[bits] = std::int32_t(id);
                classes.back().bits = int(bits);
            }
        }
        TileClass& cls = classes[id];
        if (cls.count++ == 0) used.push_back(std::uint32_t(id));
        counts[id * n_chunks + chunk]++;
        if (chunks_[chunk].tiles == 0) first_class[chunk] = id;
        chunks_[chunk].tiles++;
        last_class[chunk] = id;
        if (records || per_tile_rules) tile_classes.push_back(std::uint32_t(id));
        if (const unsigned fresh = cls.streams & ~started[chunk]) {
            // Slots as in the full path (ProcessingElement::run_tile): the chunk's transfer is
            // addressed at its first tile's.
            const std::uint64_t out_slot = (std::uint64_t(t.b) * g.ni + t.i) * g.nj + t.j;
            const std::uint64_t a_slot = g.matmul ? (std::uint64_t(t.b) * g.ni + t.i) * g.nk + t.k : out_slot;
            const std::uint64_t b_slot =
                (g.b_batched ? std::uint64_t(t.b) * g.nk * g.nj : 0) + std::uint64_t(t.k) * g.nj + t.j;
            for (int s = 0; s < kStreams; ++s) {
                if (!(fresh >> s & 1u)) continue;
                StreamSum& sum = s < kReadStreams ? chunks_[chunk].reads[s] : chunks_[chunk].writes[s - kReadStreams];
                sum.first_slot = s <= kReadA2Mask ? a_slot : s <= kReadBMask ? b_slot : out_slot;
                sum.density = cls.stream_density[s];
            }
            started[chunk] |= fresh;
        }
        if (!rows_repeat) continue;
        row.push_back(std::uint32_t(id));
        // Rows after this one that repeat it tile for tile are counted, not walked, as far as
        // the chunk reaches (when this row lies in it whole). They start no stream the row has
        // not started and end on the row's last class.
        const std::uint64_t ahead = tiles.identical_rows_ahead();
        if (ahead == 0 || (chunk > 0 && row_first < ends[chunk - 1])) continue;
        const std::uint64_t length = row.size();
        const std::uint64_t repeats = std::min(ahead, (ends[chunk] - (i + 1)) / length);
        if (repeats == 0) continue;
        for (const std::uint32_t r : row) {
            counts[r * n_chunks + chunk] += repeats;
            classes[r].count += repeats;
        }
        chunks_[chunk].tiles += repeats * length;
        if (records || per_tile_rules)
            for (std::uint64_t r = 0; r < repeats; ++r) tile_classes.insert(tile_classes.end(), row.begin(), row.end());
        tiles.skip_rows(repeats);
        i += repeats * length;
    }

    // The unit runs each class once, with its count, in the order the classes first appeared
    // (the job's first tile first).
    for (const std::uint32_t id : used) {
        TileClass& cls = classes[id];
        cls.work = unit.execute_repeated(ctx, cls.step, cls.density, cls.count);
    }

    for (std::size_t q = 0; q < n_chunks; ++q) {
        JobChunk& c = chunks_[q];
        if (c.tiles == 0) continue;
        c.first_cycles = double(classes[first_class[q]].work.cycles);
        c.last_cycles = double(classes[last_class[q]].work.cycles);
        for (const std::uint32_t id : used) {
            const std::uint64_t count = counts[id * n_chunks + q];
            if (count == 0) continue;
            const TileClass& cls = classes[id];
            // Integer-valued sums: the same as adding tile by tile.
            c.cycles += double(cls.work.cycles) * double(count);
            c.pre_sparsity_tiles += std::uint32_t(std::uint8_t(cls.work.pre_sparsity_tiles) * count);
            c.post_sparsity_tiles += std::uint32_t(std::uint8_t(cls.work.post_sparsity_tiles) * count);
            c.conversion_cycles += double(cls.work.conversion_cycles) * double(count);
            for (int s = 0; s < kStreams; ++s) {
                if (!(cls.streams >> s & 1u)) continue;
                StreamSum& sum = s < kReadStreams ? c.reads[s] : c.writes[s - kReadStreams];
                sum.bytes += cls.bytes[s] * count;
                sum.elements += cls.elements[s] * count;
            }
        }
    }
    // The original's issue rules (compat options) depend on a tile's place among the op's tile
    // steps, not only on its class: the times redone, once tile by tile.
    if (per_tile_rules) {
        std::size_t q = 0;
        for (std::uint64_t i = 0; i < tile_classes.size(); ++i) {
            while (i >= ends[q]) ++q;
            const TileWork& w = classes[tile_classes[i]].work;
            const TileWork issued = rules->apply(ctx, first_ordinal + i, w);
            JobChunk& c = chunks_[q];
            c.cycles += double(issued.cycles) - double(w.cycles);
            c.conversion_cycles += double(issued.conversion_cycles) - double(w.conversion_cycles);
            c.idle_cycles += double(issued.idle_cycles);
            if (i + 1 == ends[q] || i + 1 == tile_classes.size()) {
                c.last_cycles = double(issued.cycles);
                c.last_idle_cycles = double(issued.idle_cycles);
            }
            if (i == (q == 0 ? 0 : ends[q - 1])) c.first_cycles = double(issued.cycles);
            idle_cycles_ += double(issued.idle_cycles);
        }
    }
    for (const JobChunk& c : chunks_) {
        cycles_ += c.cycles;
        tiles_ += c.tiles;
    }
    if (records) {
        records->reserve(records->size() + tile_classes.size());
        for (std::uint64_t i = 0; i < tile_classes.size(); ++i) {
            TileWork w = classes[tile_classes[i]].work;
            if (per_tile_rules) w = rules->apply(ctx, first_ordinal + i, w);
            records->push_back(TileRecord{std::uint32_t(w.cycles), std::uint8_t(w.pre_sparsity_tiles),
                                          std::uint8_t(w.post_sparsity_tiles), std::uint32_t(w.conversion_cycles),
                                          std::uint32_t(w.idle_cycles)});
        }
    }
    // size() counts every (output, k) pair; a causal op skips its masked tiles, which leaves the
    // chunks planned for them empty.
    chunks_.erase(std::remove_if(chunks_.begin(), chunks_.end(), [](const JobChunk& c) { return c.tiles == 0; }),
                  chunks_.end());
}

void JobPlan::charge(TileExecutor& unit, const OpContext& ctx, std::uint64_t copies) const {
    JobPlanScratch& scratch = job_plan_scratch();
    for (const std::uint32_t id : scratch.used) {
        const TileClass& cls = scratch.classes[id];
        unit.execute_repeated(ctx, cls.step, cls.density, cls.count * copies);
    }
}

void FastJobState::start_group(int middle_chunks) {
    grouped = true;
    group_chunks.assign(std::size_t(middle_chunks) + 2, JobChunk{});
    group_totals.assign(group_chunks.size(), JobChunk{});
    followers.clear();
    add_to_group(plan);
}

void FastJobState::add_to_group(const JobPlan& p, std::uint64_t copies) {
    const auto n = double(copies);
    const auto& chunks = p.chunks();
    const std::size_t slots = group_chunks.size();
    for (std::size_t j = 0; j < chunks.size(); ++j) {
        const JobChunk& c = chunks[j];
        // First with first, last with last, the middle ones in between.
        const std::size_t q = j == 0 ? 0 : j + 1 == chunks.size() ? slots - 1 : j;
        JobChunk& g = group_chunks[q];
        // Tiles per unit, not in all: the chunk's first tile waits for its share of the reads
        // of one job (the full level's units stream their reads side by side).
        g.tiles = std::max(g.tiles, c.tiles);
        g.cycles = std::max(g.cycles, c.cycles);
        g.first_cycles = std::max(g.first_cycles, c.first_cycles);
        g.last_cycles = std::max(g.last_cycles, c.last_cycles);
        g.idle_cycles = std::max(g.idle_cycles, c.idle_cycles);
        g.last_idle_cycles = std::max(g.last_idle_cycles, c.last_idle_cycles);
        auto sum = [copies](StreamSum* to, const StreamSum* from, int streams) {
            for (int s = 0; s < streams; ++s) {
                if (from[s].bytes == 0) continue;
                if (to[s].bytes == 0) {
                    to[s].first_slot = from[s].first_slot;
                    to[s].density = from[s].density;
                }
                to[s].bytes += from[s].bytes * copies;
                to[s].elements += from[s].elements * copies;
            }
        };
        sum(g.reads, c.reads, kReadStreams);
        sum(g.writes, c.writes, kWriteStreams);
        JobChunk& t = group_totals[q];
        t.tiles += c.tiles * copies;
        t.cycles += c.cycles * n;
        t.pre_sparsity_tiles += std::uint32_t(c.pre_sparsity_tiles * copies);
        t.post_sparsity_tiles += std::uint32_t(c.post_sparsity_tiles * copies);
        t.conversion_cycles += c.conversion_cycles * n;
    }
    if (&p != &plan) followers.insert(followers.end(), copies, JobTotals{p.cycles(), p.idle_cycles(), p.tiles()});
}

void FastJobState::finish_group() {
    std::size_t kept = 0;
    for (std::size_t q = 0; q < group_chunks.size(); ++q) {
        if (group_chunks[q].tiles == 0) continue;
        group_chunks[kept] = group_chunks[q];
        group_totals[kept] = group_totals[q];
        ++kept;
    }
    group_chunks.resize(kept);
    group_totals.resize(kept);
}

}  // namespace acceltran::compute
