#include "modules/compute/processing_element.h"

#include <algorithm>
#include <string>

#include "modules/tlm/address_map.h"
#include "modules/tlm/command_extension.h"
#include "core/errors.h"
#include "modules/compute/functional_engine.h"
#include "modules/compute/layer_norm_unit.h"
#include "modules/compute/mac_lane.h"
#include "modules/compute/softmax_unit.h"
#include "modules/compute/tile_density.h"

namespace acceltran::compute {

using workloads::BufferKind;
using workloads::UnitClass;

ProcessingElement::ProcessingElement(const sc_core::sc_module_name& name, int index,
                                     const Clock& clock, const AcceleratorConfig& config,
                                     const std::vector<OpContext>& contexts, const UnitFactory* factory)
    : sc_module(name),
      control_socket("control_socket"),
      buffer_socket("buffer_socket"),
      index_(index),
      clock_(clock),
      config_(config),
      contexts_(contexts),
      issue_rules_(config.compat) {
    control_socket.register_nb_transport_fw(this, &ProcessingElement::nb_transport_fw);
    build_units(factory);
    for (int c = 0; c < workloads::kUnitClasses; ++c)
        for (std::size_t i = 0; i < units_[c].size(); ++i) units_[c][i]->set_identity(UnitClass(c), int(i));
    capacity_[int(BufferKind::Activation)] = config.activation_buffer.capacity_bytes();
    capacity_[int(BufferKind::Weight)] = config.weight_buffer.capacity_bytes();
    capacity_[int(BufferKind::Mask)] = config.mask_buffer.capacity_bytes();
    // Pieces: a fast chunk can re-read more bytes than the buffer holds; 64 KiB bounds the
    // scratch area the payload points to (timing-only transfers never touch it).
    for (int k = 0; k < workloads::kBufferKinds; ++k)
        piece_limit_[k] = std::max<std::uint64_t>(1, std::min<std::uint64_t>(capacity_[k] / 2, 64u << 10));
    data_ext_ = new TileExtension;
    data_trans_.set_extension(data_ext_);
    data_trans_.set_streaming_width(0);
    SC_METHOD(on_wakeup);
    sensitive << wakeup_event_;
    dont_initialize();
}

// Counts from the design point; the executors from the template's factory, else AccelTran's.
void ProcessingElement::build_units(const UnitFactory* factory) {
    const AcceleratorConfig& c = config_;
    const int counts[workloads::kUnitClasses] = {c.lanes_per_pe, c.softmax_per_pe, c.layernorm_per_pe};
    for (int k = 0; k < workloads::kUnitClasses; ++k)
        for (int i = 0; i < counts[k]; ++i) {
            if (factory) {
                units_[k].push_back((*factory)(UnitClass(k)));
                continue;
            }
            switch (UnitClass(k)) {
                case UnitClass::MacLane: units_[k].push_back(std::make_unique<MacLane>(c.macs_per_lane, c.compat.mac_tile_cycles)); break;
                case UnitClass::Softmax: units_[k].push_back(std::make_unique<SoftmaxUnit>(c.topk_elements_per_cycle)); break;
                case UnitClass::LayerNorm: units_[k].push_back(std::make_unique<LayerNormUnit>()); break;
            }
        }
}

tlm::tlm_sync_enum ProcessingElement::nb_transport_fw(tlm::tlm_generic_payload& trans,
                                                      tlm::tlm_phase& phase, sc_core::sc_time&) {
    if (phase == tlm::END_RESP) return tlm::TLM_COMPLETED;
    if (phase != tlm::BEGIN_REQ) return tlm::TLM_ACCEPTED;
    CommandExtension* cmd = nullptr;
    trans.get_extension(cmd);
    if (cmd == nullptr) {
        trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        return tlm::TLM_COMPLETED;
    }
    const OpContext& ctx = contexts_[cmd->entry];
    const workloads::UnitClass c = cmd->program_entry->unit;
    auto& pool = units_[int(c)];
    const int group = cmd->group;
    auto refuse = [&](int u) {
        throw SimulationError(std::string(name()) + ": job for entry " + std::to_string(cmd->entry) + " sent to unit " +
                              std::to_string(u) + " which is absent or busy");
    };
    if (cmd->unit < 0 || cmd->unit >= int(pool.size())) refuse(cmd->unit);
    for_group_units(c, cmd->unit, group, [&](int m, ComputeUnit* unit) {
        if (unit == nullptr || unit->job() != nullptr) refuse(cmd->unit + m);
    });
    if (group > 1 && detail_ != DetailLevel::Fast)
        throw SimulationError(std::string(name()) + ": a group of " + std::to_string(group) +
                              " jobs at the full detail level, which runs jobs one by one");
    trans.acquire();
    const double now = clock_.now();
    ComputeUnit& leader = *pool[cmd->unit];
    const JobRange r = cmd->range(0);
    leader.begin_job(&trans, &ctx,
                     workloads::LaneTileSequence(*ctx.grid, ctx.loop_order, r.first_output, r.end_output, r.k_begin,
                                                 r.k_end),
                     now);
    leader.next_ordinal = first_ordinal(ctx, r);
    leader.group = group;
    // The group's other jobs are planned by the leader when it starts (run_chunks_fast).
    for_group_units(c, cmd->unit, group, [&](int m, ComputeUnit* unit) {
        if (m == 0) return;
        unit->begin_job(&trans, &ctx, now);
        unit->group = 0;
    });
    schedule(&leader, now);
    phase = tlm::END_REQ;
    return tlm::TLM_UPDATED;
}

bool ProcessingElement::plans_translate(const OpContext& ctx, const JobRange& r) const {
    const workloads::TileGrid& g = *ctx.grid;
    if (g.causal.on || issue_rules_.per_tile(ctx)) return false;
    if (!g.matmul) return true;  // one tile per output, every one reading its input
    // k innermost over all k steps (two or more): every tile reads both operands and an output's
    // last k step writes it, wherever the range starts (LaneTileSequence::next).
    const bool full_k = r.k_begin == 0 && (r.k_end < 0 || r.k_end == g.nk);
    return g.nk >= 2 && full_k && ctx.loop_order.letters()[3] == 'k';
}

std::uint64_t ProcessingElement::first_ordinal(const OpContext& ctx, const JobRange& r) {
    return r.first_output * std::uint64_t(ctx.grid->nk) + std::uint64_t(std::max<std::int64_t>(r.k_begin, 0));
}

void ProcessingElement::schedule(ComputeUnit* unit, double at) {
    const bool earlier = wakeups_.empty() || at < wakeups_.top().at;
    wakeups_.push(Wakeup{at, unit});
    if (earlier) wakeup_event_.notify(clock_.until(at));
}

void ProcessingElement::on_wakeup() {
    // Due means due in kernel time: fractional cycles round to the time resolution, and a
    // wakeup that rounds to now must run now or it would be rescheduled forever.
    const double now = clock_.now();
    while (!wakeups_.empty() && clock_.to_time(wakeups_.top().at) <= Clock::stamp()) {
        ComputeUnit* unit = wakeups_.top().unit;
        wakeups_.pop();
        if (unit->finishing)
            finish_job(*unit);
        else if (detail_ == DetailLevel::Fast)
            run_chunks_fast(*unit, now);
        else
            run_tile(*unit, now);
    }
    if (!wakeups_.empty()) wakeup_event_.notify(clock_.until(wakeups_.top().at));
}

double ProcessingElement::transfer(ComputeUnit& unit, tlm::tlm_command cmd, const OperandPlace& place, bool mask,
                                   std::uint64_t slot, std::uint64_t elements, double density,
                                   double at) {
    const std::uint64_t bytes = tile_transfer_bytes(*place.layout, mask, elements, density);
    return transfer_bytes(unit, cmd, place, mask, slot, bytes, elements, density, at);
}

double ProcessingElement::transfer_bytes(ComputeUnit& unit, tlm::tlm_command cmd, const OperandPlace& place, bool mask,
                                         std::uint64_t slot, std::uint64_t bytes, std::uint64_t elements,
                                         double density, double at) {
    if (bytes == 0) return at;
    const BufferKind kind = mask ? BufferKind::Mask : place.layout->buffer;
    const std::uint64_t base = mask ? place.mask_base : place.data_base;
    const std::uint64_t capacity = capacity_[int(kind)];
    unit.job_bytes[cmd == tlm::TLM_WRITE_COMMAND ? 1 : 0][int(kind)] += bytes;
    const std::uint64_t piece_limit = piece_limit_[int(kind)];
    // Nominal placement: tiles of a tensor follow each other from the tensor's base, wrapping
    // inside the buffer (addresses matter only to banked buffer models). The remainder only
    // when the offset wraps: the same value without a 64-bit division on most pieces.
    const std::uint64_t origin = base - AddressMap::base(kind);
    auto offset_of = [&](std::uint64_t n, std::uint64_t sent) {
        const std::uint64_t window = capacity > n ? capacity - n : 1;
        const std::uint64_t at_offset = origin + slot * n + sent;
        return at_offset < window ? at_offset : at_offset % window;
    };
    double done = at;
    if (MemoryTarget* target = direct_[int(kind)]) {
        // The direct timing path (set_direct_buffers): what b_transport through the
        // interconnect does for a timing-only access, without the payload. The target sees
        // the arrival a delay of until(at) lands on, and the completion is read back as the
        // returned delay would be.
        KernelCycles& k = kernel_cycles_;
        const sc_core::sc_time::value_type stamp = Clock::stamp().value();
        if (stamp != k.stamp) {
            k.stamp = stamp;
            k.now = clock_.now();
            k.has_at = false;
        }
        if (!k.has_at || at != k.at) {
            k.at = at;
            k.landing = clock_.landing(at);
            k.has_at = true;
        }
        AccessRequest request;
        request.write = cmd == tlm::TLM_WRITE_COMMAND;
        request.arrival = k.landing;
        request.now = k.now;
        for (std::uint64_t sent = 0; sent < bytes;) {
            const std::uint64_t n = std::min(piece_limit, bytes - sent);
            request.address = offset_of(n, sent);
            request.bytes = n;
            // b_transport's range check, which a placement inside the buffer always passes.
            if (request.address > target->capacity() || n > target->capacity() - request.address)
                throw SimulationError(std::string(name()) + ": buffer access outside " + target->name() + " at offset " +
                                      std::to_string(request.address));
            done = std::max(done, clock_.landing(target->timed_access(request, mask)));
            sent += n;
        }
        return done;
    }
    // One scratch area for every PE: all run in the kernel's one thread, and timing-only
    // transfers carry no values.
    static std::vector<unsigned char> scratch;
    for (std::uint64_t sent = 0; sent < bytes;) {
        const std::uint64_t n = std::min(piece_limit, bytes - sent);
        const std::uint64_t offset = offset_of(n, sent);
        if (scratch.size() < n) scratch.resize(n);
        data_trans_.set_command(cmd);
        data_trans_.set_address(AddressMap::base(kind) + offset);
        data_trans_.set_data_ptr(scratch.data());
        data_trans_.set_data_length(static_cast<unsigned int>(n));
        data_trans_.set_streaming_width(static_cast<unsigned int>(n));
        data_trans_.set_byte_enable_ptr(nullptr);
        data_trans_.set_dmi_allowed(false);
        data_trans_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        data_ext_->tensor = place.tensor;
        data_ext_->tile = slot;
        data_ext_->elements = n == bytes ? elements : std::uint64_t(double(elements) * double(n) / double(bytes));
        data_ext_->element_bits = std::uint32_t(place.layout->element_bits);
        data_ext_->nonzeros = std::uint64_t(double(data_ext_->elements) * density + 0.5);
        data_ext_->is_mask = mask;
        // Functional mode: the tensor's values ride along for models that inspect them; the
        // buffers account for bytes only, so nothing is copied through the data pointer.
        data_ext_->timing_only = true;
        data_ext_->values = functional_ && place.tensor >= 0
                                ? const_cast<std::int32_t*>(functional_->raw(place.tensor).data())
                                : nullptr;
        sc_core::sc_time delay = clock_.until(at);
        buffer_socket->b_transport(data_trans_, delay);
        if (data_trans_.is_response_error())
            throw SimulationError(std::string(name()) + ": buffer access failed (" +
                                  data_trans_.get_response_string() + ") at address " +
                                  std::to_string(data_trans_.get_address()));
        done = std::max(done, clock_.to_cycles(Clock::stamp() + delay));
        sent += n;
    }
    return done;
}

void ProcessingElement::set_burst_logs(BurstLog* logs, const std::array<BurstTiming, workloads::kBufferKinds>& timing) {
    burst_timing_ = timing;
    burst_logs_ = nullptr;
    for (const BurstTiming& t : timing)
        if (t.burst_cycles > 0) burst_logs_ = logs;
}

bool ProcessingElement::burst_stalls(const JobChunk& c, const OperandPlace* const* places, const bool* masks,
                                     double* per_burst) const {
    bool any = false;
    for (int k = 0; k < workloads::kBufferKinds; ++k) per_burst[k] = 0;
    if (!burst_logs_ || c.tiles < 2) return false;
    std::uint64_t bytes[workloads::kBufferKinds] = {0, 0, 0};
    for (int s = 0; s < kReadStreams; ++s)
        if (c.reads[s].bytes > 0)
            bytes[masks[s] ? int(BufferKind::Mask) : int(places[s]->layout->buffer)] += c.reads[s].bytes;
    const double tile = (c.cycles + c.idle_cycles) / double(c.tiles);
    for (int k = 0; k < workloads::kBufferKinds; ++k) {
        const BurstTiming& t = burst_timing_[std::size_t(k)];
        if (bytes[k] == 0 || t.burst_cycles <= 0) continue;
        const double read = double(bytes[k]) / double(c.tiles) / t.bytes_per_cycle;
        per_burst[k] = burst_stall_cycles(t.burst_cycles, read, t.latency, tile);
        any = any || per_burst[k] > 0;
    }
    return any;
}

double ProcessingElement::burst_stall(const double* per_burst, double from, double to) const {
    // The bursts that land while the chunk's tiles issue their reads, from its first tile's start
    // to its last's; each stall pushes the last tile later, into more bursts.
    double stall = 0;
    for (int round = 0; round < 64; ++round) {
        double next = 0;
        for (int k = 0; k < workloads::kBufferKinds; ++k)
            if (per_burst[k] > 0) next += double(burst_logs_[k].count(from, to + stall)) * per_burst[k];
        if (next <= stall) break;
        stall = next;
    }
    return stall;
}

void ProcessingElement::run_tile(ComputeUnit& unit, double now) {
    const OpContext& ctx = *unit.context();
    const workloads::TileGrid& g = *ctx.grid;
    workloads::TileStep step;
    for (;;) {
        if (!unit.take_tile(step)) {
            unit.finishing = true;
            schedule(&unit, std::max(unit.last_done, unit.compute_free));
            return;
        }
        const auto& t = step.index;
        const std::uint64_t out_slot = (std::uint64_t(t.b) * g.ni + t.i) * g.nj + t.j;
        // Element-wise inputs are laid out like the output; matmul A blocks by (b, i, k).
        const std::uint64_t a_slot = g.matmul ? (std::uint64_t(t.b) * g.ni + t.i) * g.nk + t.k : out_slot;
        const std::uint64_t b_slot = (g.b_batched ? std::uint64_t(t.b) * g.nk * g.nj : 0) +
                                     std::uint64_t(t.k) * g.nj + t.j;
        // Functional mode: the tile's values are computed now (its producers have finished, so
        // its operands exist) and their measured non-zeros replace the configured densities.
        TileMeasure measured;
        if (ctx.functional) measured = ctx.functional->run_tile(ctx, step);
        const TileDensity density = tile_density(ctx, step, ctx.functional ? &measured : nullptr);
        double ready = now;
        auto read = [&](const OperandPlace& p, std::uint64_t slot, std::uint64_t elements, double d) {
            ready = std::max(ready, transfer(unit, tlm::TLM_READ_COMMAND, p, false, slot, elements, d, now));
            ready = std::max(ready, transfer(unit, tlm::TLM_READ_COMMAND, p, true, slot, elements, d, now));
        };
        if (step.read_a) read(ctx.a, a_slot, g.a_elements(t), density.a);
        if (ctx.a2.layout) read(ctx.a2, a_slot, g.a_elements(t), density.a2);
        if (step.read_b && ctx.b.layout) read(ctx.b, b_slot, g.b_elements(t), density.b);
        // Partial sums are kept dense, without a mask.
        if (step.read_psum)
            ready = std::max(ready, transfer(unit, tlm::TLM_READ_COMMAND, ctx.out, false, out_slot,
                                             g.out_elements(t), 1.0, now));

        const TileWork work = issue_rules_.apply(ctx, unit.next_ordinal++, unit.execute(ctx, step, density));
        const double cycles = double(work.cycles);
        const double start = std::max(ready, unit.compute_free);
        unit.activity.memory_wait_cycles += std::max(0.0, ready - std::max(now, unit.compute_free));
        add_activity(unit, cycles, 1);
        const double end = start + cycles;
        unit.compute_free = end + double(work.idle_cycles);
        if (observer_)
            report_tile(unit, start, end, work.pre_sparsity_tiles, work.post_sparsity_tiles, double(work.conversion_cycles));
        double written = end;
        if (step.write_output) {
            const double d = density.out;
            written = std::max(written, transfer(unit, tlm::TLM_WRITE_COMMAND, ctx.out, false, out_slot, g.out_elements(t), d, end));
            written = std::max(written, transfer(unit, tlm::TLM_WRITE_COMMAND, ctx.out, true, out_slot, g.out_elements(t), d, end));
        } else if (step.write_psum) {
            written = std::max(written, transfer(unit, tlm::TLM_WRITE_COMMAND, ctx.out, false, out_slot,
                                                 g.out_elements(t), 1.0, end));
        }
        unit.last_done = std::max(unit.last_done, written);
        // The next tile's operands are fetched while this one computes.
        if (clock_.to_time(start) > Clock::stamp()) {
            schedule(&unit, start);
            return;
        }
    }
}

void ProcessingElement::report_tile(const ComputeUnit& unit, double start, double end, std::uint32_t pre,
                                    std::uint32_t post, double conversion, std::uint32_t tiles, std::uint32_t units,
                                    double group_busy) {
    activity::TileEvent ev;
    ev.unit_class = unit.unit_class();
    ev.pe = index_;
    ev.unit = unit.index();
    ev.entry = unit.context()->entry;
    ev.start = start;
    ev.end = end;
    ev.pre_sparsity_tiles = pre;
    ev.post_sparsity_tiles = post;
    ev.conversion_cycles = conversion;
    ev.tiles = tiles;
    ev.units = units;
    ev.group_busy = group_busy;
    observer_->on_tile(ev);
    const int extra = issue_rules_.extra_units(unit.unit_class(), config_.softmax_per_pe);
    ev.pre_sparsity_tiles = ev.post_sparsity_tiles = 0;
    ev.conversion_cycles = 0;
    for (int u = 1; u <= extra; ++u) {
        ev.unit = unit.index() + u;
        observer_->on_tile(ev);
    }
}

void ProcessingElement::add_activity(ComputeUnit& unit, double busy_cycles, std::uint64_t tiles) {
    const int extra = issue_rules_.extra_units(unit.unit_class(), config_.softmax_per_pe);
    auto& pool = units_[int(unit.unit_class())];
    for (int u = 0; u <= extra; ++u) {
        UnitActivity& a = pool[std::size_t(unit.index() + u)]->activity;
        a.busy_cycles += busy_cycles;
        a.tiles += tiles;
    }
}

// The fast detail level: a job from chunk sums (JobPlan), advanced chunk by chunk at the cycle
// each chunk's reads are issued, so that ports see reservations in time order as in the full
// path. Chunk q's reads are issued when the last tile of chunk q-1 starts (the full path reads a
// tile's operands while the tile before it computes); the operands stream in, so the chunk's
// first tile starts when its share has arrived and its last tile when all have; its writes are
// issued when its first tile ends (each tile writes as it ends), the last chunk's at the job's
// end. Streams bound for the same buffer go as one transfer. docs/model-reference.md §6a.
void ProcessingElement::run_chunks_fast(ComputeUnit& unit, double now) {
    const OpContext& ctx = *unit.context();
    const bool per_tile = observer_ && observer_->wants_tiles();
    const auto group = std::size_t(unit.group);
    if (!unit.fast) {
        if (group > 1 && per_tile)
            throw SimulationError(std::string(name()) + ": a job group with an observer that wants every tile");
        unit.fast = std::make_unique<FastJobState>(unit, ctx, unit.take_all_tiles(), kFastMiddleChunks, per_tile,
                                                   &issue_rules_, unit.next_ordinal);
        double free_at = std::max(now, unit.compute_free);
        if (group > 1) {
            // Each job planned on its own, in one reused plan, and added to the group's chunks.
            CommandExtension* cmd = nullptr;
            unit.job()->get_extension(cmd);
            unit.fast->start_group(kFastMiddleChunks);
            unit.fast->followers.reserve(group - 1);
            // A job whose tiles repeat the first job's tile for tile (same length, no short
            // tile in either, and step flags that do not depend on where the range starts)
            // has the plan built last for a job like it, and is not walked.
            const JobRange r0 = cmd->range(0);
            const bool translates = plans_translate(ctx, r0) &&
                                    !workloads::range_has_short_tile(*ctx.grid, ctx.loop_order, r0.first_output, r0.end_output);
            const std::uint64_t length = r0.end_output - r0.first_output;
            bool like_first = false;  // follower_plan_ holds a plan of a job like the first
            // A run of such jobs is charged at once, to the first of their units (the units'
            // counters are reported summed over units).
            std::uint64_t run = 0;
            ComputeUnit* run_unit = nullptr;
            auto close_run = [&] {
                if (run == 0) return;
                follower_plan_.charge(*run_unit, ctx, run);
                unit.fast->add_to_group(follower_plan_, run);
                run = 0;
            };
            for_group_units(unit.unit_class(), unit.index(), int(group), [&](int m, ComputeUnit* u) {
                free_at = std::max(free_at, u->compute_free);
                if (m == 0) return;
                const JobRange r = cmd->range(m);
                const bool like = translates && r.end_output - r.first_output == length && plans_translate(ctx, r) &&
                                  !workloads::range_has_short_tile(*ctx.grid, ctx.loop_order, r.first_output, r.end_output);
                if (like && like_first) {
                    if (run++ == 0) run_unit = u;
                    return;
                }
                close_run();
                follower_plan_.build(*u, ctx,
                                     workloads::LaneTileSequence(*ctx.grid, ctx.loop_order, r.first_output, r.end_output,
                                                                 r.k_begin, r.k_end),
                                     kFastMiddleChunks, nullptr, &issue_rules_, first_ordinal(ctx, r), true);
                like_first = like;
                unit.fast->add_to_group(follower_plan_);
            });
            close_run();
            unit.fast->finish_group();
        }
        unit.fast->free_at = free_at;
        unit.fast->chunk_end = unit.fast->free_at;
        unit.fast->done = now;
    }
    FastJobState& f = *unit.fast;
    const OperandPlace* read_place[kReadStreams] = {&ctx.a, &ctx.a, &ctx.a2, &ctx.a2, &ctx.b, &ctx.b, &ctx.out};
    const bool read_mask[kReadStreams] = {false, true, false, true, false, true, false};
    const OperandPlace* write_place[kWriteStreams] = {&ctx.out, &ctx.out, &ctx.out};
    const bool write_mask[kWriteStreams] = {false, true, false};
    // Sums the streams of one chunk per destination buffer and issues one transfer per buffer.
    auto issue = [&](tlm::tlm_command cmd, const StreamSum* sums, const OperandPlace* const* places,
                     const bool* masks, int streams, double at) {
        StreamSum by_kind[workloads::kBufferKinds];
        const OperandPlace* place[workloads::kBufferKinds] = {nullptr, nullptr, nullptr};
        for (int s = 0; s < streams; ++s) {
            if (sums[s].bytes == 0) continue;
            const int kind = masks[s] ? int(BufferKind::Mask) : int(places[s]->layout->buffer);
            if (!place[kind]) {
                place[kind] = places[s];
                by_kind[kind].first_slot = sums[s].first_slot;
                by_kind[kind].density = sums[s].density;
            }
            by_kind[kind].bytes += sums[s].bytes;
            by_kind[kind].elements += sums[s].elements;
        }
        double done = at;
        for (int k = 0; k < workloads::kBufferKinds; ++k)
            if (place[k])
                done = std::max(done, transfer_bytes(unit, cmd, *place[k], k == int(BufferKind::Mask), by_kind[k].first_slot,
                                                     by_kind[k].bytes, by_kind[k].elements, by_kind[k].density, at));
        return done;
    };
    const auto& chunks = f.chunks();
    double read_at = now;
    while (f.next_chunk < chunks.size()) {
        const std::size_t q = f.next_chunk++;
        const JobChunk& c = chunks[q];
        // The chunk before, whose last tile started now, waited behind the DMA bursts that landed
        // while its tiles read, including those of loads that began after its reads were issued.
        if (f.stall_pending) {
            f.chunk_end += burst_stall(f.stall_per_burst, f.stall_from, f.stall_to);
            f.stall_pending = false;
            for (int k = 0; k < workloads::kBufferKinds; ++k)
                if (f.stall_per_burst[k] > 0) burst_logs_[k].release(f.stall_from);
        }
        const double ready = issue(tlm::TLM_READ_COMMAND, c.reads, read_place, read_mask, kReadStreams, read_at);
        const double first_ready = read_at + (ready - read_at) / double(c.tiles);
        const double start = std::max(first_ready, f.chunk_end);
        // Occupancy: each tile's cycles and the idle cycles after it (TileWork::idle_cycles).
        const double last_occupied = c.last_cycles + c.last_idle_cycles;
        const double unstalled_last_start = start + c.cycles + c.idle_cycles - last_occupied;
        // Its stall behind DMA bursts is charged before the next chunk, when the bursts landing up
        // to its last tile are known; a job's last chunk is charged with those known now.
        double stall = 0;
        if (burst_stalls(c, read_place, read_mask, f.stall_per_burst)) {
            if (q + 1 == chunks.size()) {
                stall = burst_stall(f.stall_per_burst, start, unstalled_last_start);
            } else {
                f.stall_pending = true;
                f.stall_from = start;
                f.stall_to = unstalled_last_start;
                for (int k = 0; k < workloads::kBufferKinds; ++k)
                    if (f.stall_per_burst[k] > 0) burst_logs_[k].hold(start);
            }
        }
        const double last_start = std::max(unstalled_last_start + stall, ready);
        f.chunk_end = last_start + last_occupied;
        const bool last = f.next_chunk == chunks.size();
        const double write_at = last ? last_start + c.last_cycles : start + c.first_cycles;
        f.done = std::max(f.done, issue(tlm::TLM_WRITE_COMMAND, c.writes, write_place, write_mask, kWriteStreams, write_at));
        if (observer_) {
            if (per_tile) {
                double t = start;
                for (std::uint64_t i = 0; i < c.tiles; ++i) {
                    const TileRecord& r = f.records[f.next_record++];
                    if (i + 1 == c.tiles) t = last_start;
                    report_tile(unit, t, t + r.cycles, r.pre_sparsity, r.post_sparsity, r.conversion_cycles);
                    t += r.cycles + r.idle_cycles;
                }
            } else if (group == 1) {
                // Back to back up to the last tile, which may wait for the rest of the operands.
                // The chunk's conversion cycles go with its first event, like its pre-sparsity count
                // (observers only add them up).
                if (c.tiles > 1)
                    report_tile(unit, start, start + c.cycles - c.last_cycles, c.pre_sparsity_tiles, 0, c.conversion_cycles,
                                std::uint32_t(c.tiles - 1));
                report_tile(unit, last_start, last_start + c.last_cycles, c.tiles > 1 ? 0 : c.pre_sparsity_tiles,
                            c.post_sparsity_tiles, c.tiles > 1 ? 0 : c.conversion_cycles, 1);
            } else {
                // The group's units in one event: their busy cycles in all, over the chunk's span.
                const JobChunk& t = f.group_totals[q];
                report_tile(unit, start, last_start + c.last_cycles, t.pre_sparsity_tiles, t.post_sparsity_tiles,
                            t.conversion_cycles, std::uint32_t(t.tiles), std::uint32_t(group), t.cycles);
            }
        }
        // The next chunk's reads go out when this chunk's last tile starts.
        read_at = last_start;
        if (f.next_chunk < chunks.size() && clock_.to_time(read_at) > Clock::stamp()) {
            schedule(&unit, read_at);
            return;
        }
    }
    const double last_done = std::max(unit.last_done, std::max(f.done, f.chunk_end));
    for_group_units(unit.unit_class(), unit.index(), int(group), [&](int m, ComputeUnit* member) {
        ComputeUnit& u = *member;
        const FastJobState::JobTotals p = m == 0 ? FastJobState::JobTotals{f.plan.cycles(), f.plan.idle_cycles(), f.plan.tiles()}
                                                 : f.followers[std::size_t(m) - 1];
        if (group == 1) {
            add_activity(u, p.cycles, p.tiles);
        } else {  // a group's units occupy no others (ControlBlock groups only one-unit jobs)
            u.activity.busy_cycles += p.cycles;
            u.activity.tiles += p.tiles;
        }
        u.activity.memory_wait_cycles += std::max(0.0, f.chunk_end - f.free_at - p.cycles - p.idle_cycles);
        u.compute_free = f.chunk_end;
        u.last_done = last_done;
    });
    unit.fast.reset();
    unit.finishing = true;
    schedule(&unit, unit.last_done);
}

void ProcessingElement::finish_job(ComputeUnit& unit) {
    tlm::tlm_generic_payload* trans = unit.job();
    if (observer_)
        for (int direction = 0; direction < 2; ++direction)
            for (int b = 0; b < workloads::kBufferKinds; ++b)
                if (unit.job_bytes[direction][b] > 0)
                    observer_->on_buffer_bytes(unit.context()->entry, BufferKind(b), direction == 1,
                                               unit.job_bytes[direction][b]);
    // A group's other units end with it (their bytes went through this unit's transfers).
    for_group_units(unit.unit_class(), unit.index(), unit.group, [](int m, ComputeUnit* u) {
        if (m > 0) u->end_job();
    });
    unit.end_job();
    unit.group = 1;
    trans->set_response_status(tlm::TLM_OK_RESPONSE);
    tlm::tlm_phase phase = tlm::BEGIN_RESP;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    control_socket->nb_transport_bw(*trans, phase, delay);
    trans->release();
}

}  // namespace acceltran::compute
