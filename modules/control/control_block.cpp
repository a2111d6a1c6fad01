#include "modules/control/control_block.h"

#include <algorithm>
#include <sstream>

#include "modules/tlm/address_map.h"
#include "modules/tlm/command_extension.h"
#include "core/errors.h"

namespace acceltran {

using workloads::BufferKind;
using workloads::EntryKind;
using workloads::UnitClass;

ControlBlock::ControlBlock(const sc_core::sc_module_name& name, const Clock& clock,
                           const AcceleratorConfig& config, const workloads::TiledProgram& program)
    : sc_module(name),
      pe_socket("pe_socket"),
      dma_socket("dma_socket"),
      clock_(clock),
      config_(config),
      program_(program) {
    pe_socket.register_nb_transport_bw(this, &ControlBlock::pe_bw);
    dma_socket.register_nb_transport_bw(this, &ControlBlock::dma_bw);

    const std::size_t n = program.entries.size();
    deps_left_.resize(n);
    dependents_.resize(n);
    jobs_left_.assign(n, 0);
    for (std::uint32_t e = 0; e < n; ++e) {
        const auto& entry = program.entries[e];
        deps_left_[e] = std::uint32_t(entry.deps.size());
        for (std::uint32_t d : entry.deps) dependents_[d].push_back(e);
        if (entry.kind == EntryKind::Compute) remaining_compute_[int(entry.unit)]++;
        if (entry.deps.empty()) make_ready(e);
    }
    users_left_.resize(program.residencies.size());
    for (std::size_t r = 0; r < program.residencies.size(); ++r) users_left_[r] = program.residencies[r].users;

    units_per_pe_[int(UnitClass::MacLane)] = config.lanes_per_pe;
    units_per_pe_[int(UnitClass::Softmax)] = config.softmax_per_pe;
    units_per_pe_[int(UnitClass::LayerNorm)] = config.layernorm_per_pe;
    // compat.softmax_all_units: a softmax job goes to each PE's first softmax unit, which takes
    // the PE's other softmax units with it (OriginalIssueRules::extra_units), so only the first
    // units are offered.
    for (int c = 0; c < workloads::kUnitClasses; ++c) {
        units_per_job_[c] = config.compat.softmax_all_units && UnitClass(c) == UnitClass::Softmax ? units_per_pe_[c] : 1;
        for (std::uint32_t g = 0; g < std::uint32_t(units_per_pe_[c]) * std::uint32_t(config.pes); ++g)
            if (g % std::uint32_t(units_per_job_[c]) == 0) free_units_[c].push_back(g);
    }
    capacity_[int(BufferKind::Activation)] = config.activation_buffer.capacity_bytes();
    capacity_[int(BufferKind::Weight)] = config.weight_buffer.capacity_bytes();
    capacity_[int(BufferKind::Mask)] = config.mask_buffer.capacity_bytes();

    for (int c = 0; c < workloads::kUnitClasses; ++c)
        unit_entry_[c].assign(std::size_t(units_per_pe_[c]) * std::size_t(config.pes), -1);
    started_.assign(n, 0);
    retired_.assign(n, 0);
    // SystemC time is a 64-bit count of picoseconds. A run whose upper bound does not fit (a
    // clock of 1e-9 MHz, a bandwidth of bytes per day, a latency of days) would be clamped and
    // come out wrong without a word, so it is refused; the watchdog is clamped to what fits.
    const double serial = serial_bound_cycles();
    const double max_cycles = kMaxSimulatedPicoseconds * config.clock_mhz / 1e6;
    if (!(serial < max_cycles)) {
        std::ostringstream m;
        m << "this design point cannot be simulated: clock_mhz " << config.clock_mhz << ", main_memory.bandwidth_gbps "
          << config.main_memory.bandwidth_gbps << " and main_memory.latency_ns " << config.main_memory.latency_ns
          << " give the run an upper bound of " << serial << " cycles (" << serial / config.clock_hz()
          << " s), past the " << kMaxSimulatedPicoseconds * 1e-12
          << " s of simulated time SystemC's 64-bit picosecond clock holds; raise the clock or the bandwidths, or "
             "lower the latencies";
        throw InputError(m.str());
    }
    watchdog_cycles_ = std::min(10 * serial + 1e6, max_cycles);

    SC_METHOD(schedule);
    sensitive << wake_;
    SC_METHOD(watchdog);
    sensitive << watchdog_event_;
    dont_initialize();
}

void ControlBlock::end_of_elaboration() {
    if (!finished()) watchdog_event_.notify(clock_.to_time(watchdog_cycles_));
}

void ControlBlock::account(double now) {
    const double dt = now - last_account_;
    if (dt <= 0) return;
    for (int c = 0; c < workloads::kUnitClasses; ++c)
        if (remaining_compute_[c] > 0)
            activity_.dependency_wait_unit_cycles[c] += double(free_units_[c].size()) * units_per_job_[c] * dt;
    if (busy_units_ == 0 && dma_in_flight_ > 0) activity_.memory_bound_cycles += dt;
    last_account_ = now;
}

void ControlBlock::start_entry(std::uint32_t e) {
    started_[e] = 1;
    for (std::uint32_t r : program_.entries[e].allocates) {
        const auto& res = program_.residencies[r];
        occupancy_[int(res.buffer)] += res.allocated_data();
        occupancy_[int(BufferKind::Mask)] += res.allocated_mask();
        for (int b = 0; b < workloads::kBufferKinds; ++b) {
            if (occupancy_[b] > capacity_[b])
                throw SimulationError("control block: the " + std::string(to_string(BufferKind(b))) +
                                      " buffer would hold " + std::to_string(occupancy_[b]) +
                                      " bytes, above its capacity " + std::to_string(capacity_[b]) +
                                      " (program entry " + std::to_string(e) + ")");
            activity_.peak_occupancy[b] = std::max(activity_.peak_occupancy[b], occupancy_[b]);
        }
        report_occupancy(res.buffer);
    }
}

void ControlBlock::report_occupancy(BufferKind b) {
    if (!observer_) return;
    const double now = clock_.now();
    observer_->on_occupancy(b, now, occupancy_[int(b)]);
    if (b != BufferKind::Mask) observer_->on_occupancy(BufferKind::Mask, now, occupancy_[int(BufferKind::Mask)]);
}

void ControlBlock::complete_entry(std::uint32_t e) {
    const auto& entry = program_.entries[e];
    activity_.retired++;
    retired_[e] = 1;
    if (entry.kind == EntryKind::Compute) remaining_compute_[int(entry.unit)]--;
    for (std::uint32_t r : entry.uses) {
        if (--users_left_[r] == 0) {
            const auto& res = program_.residencies[r];
            occupancy_[int(res.buffer)] -= res.freed_data();
            occupancy_[int(BufferKind::Mask)] -= res.freed_mask();
            report_occupancy(res.buffer);
        }
    }
    for (std::uint32_t d : dependents_[e])
        if (--deps_left_[d] == 0) make_ready(d);
    if (finished()) {
        activity_.finish_cycle = clock_.now();
        watchdog_event_.cancel();  // nothing left to watch: let sc_start() return
    }
    if (observer_) observer_->on_retire(e, clock_.now(), activity_.retired, program_.entries.size());
}

void ControlBlock::make_ready(std::uint32_t e) {
    const auto& entry = program_.entries[e];
    if (entry.repeated)
        ready_repeated_.push(e);
    else if (entry.kind == EntryKind::Compute)
        ready_compute_[int(entry.unit)].push(e);
    else
        ready_memory_.push(e);
}

CommandExtension* ControlBlock::command_of(tlm::tlm_generic_payload& trans) {
    // Pooled payloads keep their extension between uses; a fresh one gets it attached once.
    CommandExtension* cmd = nullptr;
    trans.get_extension(cmd);
    if (cmd == nullptr) {
        cmd = new CommandExtension;
        trans.set_extension(cmd);
    }
    trans.set_command(tlm::TLM_IGNORE_COMMAND);
    trans.set_data_length(0);
    return cmd;
}

void ControlBlock::issue_memory(std::uint32_t e) {
    const auto& entry = program_.entries[e];
    const auto& layout = program_.layouts[entry.tensor];
    start_entry(e);
    tlm::tlm_generic_payload* trans = pool_.acquire();
    CommandExtension* cmd = command_of(*trans);
    cmd->entry = e;
    cmd->program_entry = &entry;
    cmd->to_buffer = entry.kind == EntryKind::Load;
    cmd->memory_address = layout.memory_address + entry.memory_offset;
    cmd->buffer_address = AddressMap::place(layout.buffer, layout.memory_address, layout.data_bytes,
                                            capacity_[int(layout.buffer)]);
    cmd->mask_address = AddressMap::place(BufferKind::Mask, layout.memory_address / 8, layout.mask_bytes,
                                          capacity_[int(BufferKind::Mask)]);
    cmd->data_bytes = entry.data_bytes;
    cmd->mask_bytes = entry.mask_bytes;
    tlm::tlm_phase phase = tlm::BEGIN_REQ;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    dma_in_flight_++;
    dma_socket->nb_transport_fw(*trans, phase, delay);
}

void ControlBlock::dispatch_job(UnitClass c) {
    PendingJobs& p = jobs_[int(c)].front();
    auto& free = free_units_[int(c)];
    const std::uint32_t unit = free.front();
    const auto per_pe = std::uint32_t(units_per_pe_[int(c)]);
    // A group: the free units queued right behind the first that follow it in unit order, in
    // its PE and on into the next PEs (units go back to the queue in order when a group
    // completes, so runs stay together).
    std::uint64_t group = 1;
    if (group_jobs_ && units_per_job_[int(c)] == 1) {
        const std::uint64_t left = p.split.jobs - p.next;
        while (group < left && group < kMaxGroupJobs && group < free.size() && free[group] == unit + group) ++group;
    }
    const std::uint32_t entry = p.entry;
    tlm::tlm_generic_payload* trans = pool_.acquire();
    CommandExtension* cmd = command_of(*trans);
    cmd->entry = entry;
    cmd->program_entry = &program_.entries[entry];
    cmd->unit = int(unit % per_pe);
    cmd->group = int(group);
    cmd->split = p.split;
    cmd->first_job = p.next;
    p.next += group;
    if (p.next == p.split.jobs) jobs_[int(c)].pop_front();
    for (std::uint64_t m = 0; m < group; ++m) {
        unit_entry_[int(c)][free.front()] = entry;
        free.pop_front();
    }
    busy_units_ += int(group);
    activity_.jobs += group;
    tlm::tlm_phase phase = tlm::BEGIN_REQ;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    pe_socket[int(unit / per_pe)]->nb_transport_fw(*trans, phase, delay);
}

void ControlBlock::schedule() {
    account(clock_.now());
    // A repeated layer's entries (layer sampling) retire as soon as they are ready, in program
    // order, before anything is issued: what they make ready may go out at once.
    while (!ready_repeated_.empty()) {
        const std::uint32_t e = ready_repeated_.top();
        ready_repeated_.pop();
        start_entry(e);
        complete_entry(e);
    }
    while (dma_in_flight_ < config_.dma.channels && !ready_memory_.empty()) {
        std::uint32_t e = ready_memory_.top();
        ready_memory_.pop();
        issue_memory(e);
    }
    for (int c = 0; c < workloads::kUnitClasses; ++c) {
        while (!free_units_[c].empty()) {
            if (jobs_[c].empty()) {
                if (ready_compute_[c].empty()) break;
                std::uint32_t e = ready_compute_[c].top();
                ready_compute_[c].pop();
                start_entry(e);
                const auto& grid = program_.entries[e].grid;
                const std::uint64_t outputs = grid.output_tiles();
                const std::uint64_t units =
                    std::uint64_t(units_per_pe_[c] / units_per_job_[c]) * std::uint64_t(config_.pes);
                PendingJobs pending{e, JobSplit{outputs, std::min(outputs, units)}};
                // The original's independent k tiles: lanes a matmul's outputs leave idle take
                // parts of their k steps.
                if (config_.compat.spread_k_tiles && grid.matmul && outputs > 0 && outputs < units && grid.nk > 1) {
                    pending.split.k_steps = grid.nk;
                    pending.split.k_parts = std::min<std::int64_t>(grid.nk, std::int64_t(units / outputs));
                    pending.split.jobs = outputs * std::uint64_t(pending.split.k_parts);
                }
                // A mapping's k split across units (docs/mapping.md §1.2): groups of outputs x
                // k parts, as many groups as leave a unit per job (at least one group).
                if (grid.k_parts > 1 && outputs > 0) {
                    const auto parts = std::uint64_t(grid.k_parts);
                    pending.split.k_steps = grid.nk;
                    pending.split.k_parts = grid.k_parts;
                    pending.split.jobs = std::min(outputs, std::max<std::uint64_t>(1, units / parts)) * parts;
                }
                const std::uint64_t jobs = pending.split.jobs;
                jobs_left_[e] = jobs;
                if (jobs == 0) {
                    complete_entry(e);
                    continue;
                }
                jobs_[c].push_back(pending);
            }
            dispatch_job(UnitClass(c));
        }
    }
    // An entry without jobs, retired above, may have made repeated ones ready.
    if (!ready_repeated_.empty()) wake_.notify(sc_core::SC_ZERO_TIME);
}

tlm::tlm_sync_enum ControlBlock::pe_bw(int id, tlm::tlm_generic_payload& trans, tlm::tlm_phase& phase,
                                       sc_core::sc_time&) {
    if (phase != tlm::BEGIN_RESP) return tlm::TLM_ACCEPTED;
    account(clock_.now());
    CommandExtension* cmd = nullptr;
    trans.get_extension(cmd);
    const UnitClass c = cmd->program_entry->unit;
    const std::uint32_t unit = std::uint32_t(id) * std::uint32_t(units_per_pe_[int(c)]) + std::uint32_t(cmd->unit);
    for (std::uint32_t m = 0; m < std::uint32_t(cmd->group); ++m) {
        free_units_[int(c)].push_back(unit + m);
        unit_entry_[int(c)][unit + m] = -1;
    }
    busy_units_ -= cmd->group;
    jobs_left_[cmd->entry] -= std::uint64_t(cmd->group);
    if (jobs_left_[cmd->entry] == 0) complete_entry(cmd->entry);
    trans.release();
    wake_.notify(sc_core::SC_ZERO_TIME);
    return tlm::TLM_COMPLETED;
}

tlm::tlm_sync_enum ControlBlock::dma_bw(tlm::tlm_generic_payload& trans, tlm::tlm_phase& phase,
                                        sc_core::sc_time&) {
    if (phase != tlm::BEGIN_RESP) return tlm::TLM_ACCEPTED;
    account(clock_.now());
    CommandExtension* cmd = nullptr;
    trans.get_extension(cmd);
    dma_in_flight_--;
    complete_entry(cmd->entry);
    trans.release();
    wake_.notify(sc_core::SC_ZERO_TIME);
    return tlm::TLM_COMPLETED;
}

double ControlBlock::serial_bound_cycles() const {
    const AcceleratorConfig& c = config_;
    const double tile = double(c.tile_b) * c.tile_x * c.tile_y;
    // Per tile, dense: a matmul tile's MACs (k depth up to the tile's y) on one lane, or the
    // element-wise units' elements plus the layer-norm's rows and columns.
    const double tile_cycles = tile * c.tile_y / c.macs_per_lane + tile + double(c.tile_b) * (c.tile_x + c.tile_y) + 1;
    // Per tile: A, B, output and a partial sum in and out, dense, with their masks, through the
    // slowest buffer, each transfer paying its latency.
    double slowest = 1e300, latency = 0;
    for (const BufferConfig* b : c.buffers()) {
        slowest = std::min(slowest, b->bytes_per_cycle());
        latency = std::max(latency, double(b->latency_cycles));
    }
    const double tile_bytes = 5 * (tile * c.element_bits() / 8 + tile / 8);
    const double per_tile = tile_cycles + tile_bytes / slowest + 8 * latency;
    const double memory_latency = c.main_memory.latency_ns * 1e-9 * c.clock_hz();
    double bound = 0;
    for (const auto& e : program_.entries) {
        if (e.kind == EntryKind::Compute)
            bound += double(e.grid.tiles()) * per_tile;
        else
            bound += double(e.data_bytes + e.mask_bytes) * (1 / c.memory_bytes_per_cycle() + 1 / slowest) +
                     memory_latency + latency;
    }
    return bound;
}

void ControlBlock::watchdog() {
    if (finished()) return;
    if (activity_.retired == watchdog_retired_) {
        // With nothing else scheduled the model is stuck for good (a deadlock); otherwise it is
        // busy without progress (a livelock, or a model far slower than the bound allows).
        const bool idle = !sc_core::sc_pending_activity();
        throw SimulationError(std::string("watchdog: ") + (idle ? "deadlock, nothing left to simulate and " : "") +
                              "no program entry retired in " + std::to_string(watchdog_cycles_) +
                              " cycles (up to cycle " + std::to_string(clock_.now()) + "): " + pending_report());
    }
    watchdog_retired_ = activity_.retired;
    watchdog_event_.notify(clock_.to_time(watchdog_cycles_));
}

std::string ControlBlock::pending_report() const {
    const auto& g = *program_.graph;
    auto describe = [&](std::uint32_t e) {
        const auto& entry = program_.entries[e];
        std::ostringstream d;
        d << "entry " << e << " (" << to_string(entry.kind);
        if (entry.kind == EntryKind::Compute) {
            d << " of op '" << g.ops[entry.op].name << "' on " << to_string(entry.unit) << " units";
            std::ostringstream units;
            int held = 0;
            const int per_pe = units_per_pe_[int(entry.unit)];
            for (std::size_t u = 0; u < unit_entry_[int(entry.unit)].size(); ++u) {
                if (unit_entry_[int(entry.unit)][u] != std::int64_t(e)) continue;
                if (held++ < 4) units << (held > 1 ? ", " : "") << "pe" << u / std::size_t(per_pe) << "/"
                                      << to_string(entry.unit) << u % std::size_t(per_pe);
            }
            if (held > 0) d << ", jobs held by " << units.str() << (held > 4 ? ", ..." : "");
        } else {
            const auto& layout = program_.layouts[entry.tensor];
            d << " of tensor '" << g.tensors[entry.tensor].name << "' "
              << (entry.kind == EntryKind::Load ? "into" : "out of") << " the " << to_string(layout.buffer)
              << " buffer, " << entry.data_bytes + entry.mask_bytes << " bytes";
        }
        d << ")";
        return d.str();
    };
    std::ostringstream s;
    s << activity_.retired << " of " << program_.entries.size() << " program entries retired";
    int shown = 0;
    for (std::uint32_t e = 0; e < program_.entries.size() && shown < 3; ++e) {
        if (!started_[e] || retired_[e]) continue;
        s << "; started, not finished: " << describe(e);
        ++shown;
    }
    for (std::uint32_t e = 0; e < program_.entries.size(); ++e) {
        if (deps_left_[e] == 0) continue;
        s << "; first blocked: " << describe(e) << " waits for " << deps_left_[e] << " entries";
        for (std::uint32_t d : program_.entries[e].deps)
            if (!retired_[d]) {
                s << ", e.g. " << describe(d);
                break;
            }
        break;
    }
    s << "; buffer occupancy (bytes): activation " << occupancy_[0] << ", weight " << occupancy_[1] << ", mask "
      << occupancy_[2];
    return s.str();
}

}  // namespace acceltran
