#include "modules/accelerator.h"

#include <string>

#include "core/buffer_model.h"
#include "modules/tlm/address_map.h"
#include "core/errors.h"
#include "modules/compute/mac_lane.h"
#include "modules/compute/original_issue_rules.h"
#include "modules/template_units.h"

namespace acceltran {

using workloads::BufferKind;
using workloads::UnitClass;

// Whether a DMA burst written into the buffer holds up reads of it: its model says
// (BufferModel::writes_hold_up_reads; docs/model-reference.md §6a).
namespace {
bool writes_hold_up_reads(const TileBuffer& buffer) {
    const auto* model = dynamic_cast<const BufferModel*>(&buffer.model());
    return model != nullptr && model->writes_hold_up_reads();
}
}  // namespace

workloads::CompileOptions compile_options(const AcceleratorConfig& config) {
    workloads::CompileOptions o;
    o.tile = workloads::TileShape{config.tile_b, config.tile_x, config.tile_y};
    o.loop_order = config.loop_order;
    o.element_bits = config.element_bits();
    o.activation_density = 1.0 - config.activation_sparsity;
    o.weight_density = 1.0 - config.weight_sparsity;
    o.capacity[int(BufferKind::Activation)] = config.activation_buffer.capacity_bytes();
    o.capacity[int(BufferKind::Weight)] = config.weight_buffer.capacity_bytes();
    o.capacity[int(BufferKind::Mask)] = config.mask_buffer.capacity_bytes();
    o.embedding_table = config.compat.embedding_table;
    o.batched_weights = config.compat.batched_weights;
    o.store_outputs = !config.compat.no_result_store;
    o.in_order_memory = config.compat.in_order_memory;
    if (config.gemmini()) {
        // docs/gemmini.md: int8 values in both memories (the array's sums are scaled back to
        // int8 as they leave the accumulator), no masks; the array runs matmuls, the host CPU (or
        // the I-BERT units) everything else.
        o.masks = false;
        o.in_place_elementwise = true;
        o.buffer_names = {"accumulator", "scratchpad", "mask"};
        o.fuse_gelu = config.integer_units.fuse_gelu;
        o.split_weights = false;
        o.default_k_blocks = false;
        o.size_key = "size_kb";
        const bool ibert = config.integer_units.any();
        for (int k = 0; k < workloads::kOpKindCount; ++k) {
            const auto kind = workloads::OpKind(k);
            const bool norm = kind == workloads::OpKind::LayerNorm || kind == workloads::OpKind::RmsNorm;
            o.units[std::size_t(k)] = kind == workloads::OpKind::MatMul ? UnitClass::MacLane
                                      : ibert && norm                  ? UnitClass::LayerNorm
                                                                       : UnitClass::Softmax;
        }
    }
    return o;
}

Accelerator::Accelerator(const sc_core::sc_module_name& name, const AcceleratorConfig& config,
                         const workloads::TiledProgram& program, activity::ActivityObserver* observer,
                         DetailLevel detail)
    : sc_module(name), config_(config), program_(program), clock_(config.clock_mhz) {
    build_contexts();
    control_ = std::make_unique<ControlBlock>("control", clock_, config, program);
    dma_ = std::make_unique<Dma>("dma", clock_, config.dma);
    memory_ = std::make_unique<MainMemory>("main_memory", clock_, config);
    interconnect_ = std::make_unique<BufferInterconnect>("interconnect");
    buffers_[int(BufferKind::Activation)] =
        std::make_unique<TileBuffer>("activation_buffer", clock_, config.activation_buffer);
    buffers_[int(BufferKind::Weight)] = std::make_unique<TileBuffer>("weight_buffer", clock_, config.weight_buffer);
    buffers_[int(BufferKind::Mask)] = std::make_unique<TileBuffer>("mask_buffer", clock_, config.mask_buffer);

    control_->dma_socket.bind(dma_->control_socket);
    dma_->memory_socket.bind(memory_->socket);
    dma_->buffer_socket.bind(interconnect_->requesters);
    for (int b = 0; b < workloads::kBufferKinds; ++b) interconnect_->buffers.bind(buffers_[b]->socket);
    const auto units = template_units(config);
    for (int p = 0; p < config.pes; ++p) {
        pes_.push_back(std::make_unique<compute::ProcessingElement>(
            ("pe" + std::to_string(p)).c_str(), p, clock_, config, contexts_, units ? &*units : nullptr));
        control_->pe_socket.bind(pes_.back()->control_socket);
        pes_.back()->buffer_socket.bind(interconnect_->requesters);
        // The buffers the socket reaches through the interconnect, for the PE's direct timing
        // path (the same model calls as b_transport, without the TLM layers per access).
        pes_.back()->set_direct_buffers(buffers_[int(BufferKind::Activation)].get(), buffers_[int(BufferKind::Weight)].get(),
                                        buffers_[int(BufferKind::Mask)].get());
        pes_.back()->set_detail(detail);
    }
    // Job groups at the fast level, unless an observer asks for every tile (`--perfetto=tiles`):
    // a group's chunk is one event for all its units, its tiles summed per job.
    control_->set_group_jobs(detail == DetailLevel::Fast && !(observer && observer->wants_tiles()));
    // The DMA moves 64 KiB pieces at the fast level (the PE's largest fast transfer), bursts at
    // the full level.
    if (detail == DetailLevel::Fast) {
        dma_->set_bursts_per_piece(std::max(1, int((64u << 10) / std::uint64_t(std::max(1, config.dma.burst_bytes)))));
        // ... but burst by burst into and out of a buffer whose port a burst holds for a tile's
        // time or longer, and logged, so that the PEs' chunks wait behind the bursts as the full
        // level's tiles would (docs/model-reference.md §6a, "Bursts behind the tiles' reads").
        const double burst = double(config.dma.burst_bytes);
        std::array<compute::ProcessingElement::BurstTiming, workloads::kBufferKinds> timing;
        for (int k = 0; k < workloads::kBufferKinds; ++k) {
            const auto kind = workloads::BufferKind(k);
            // The bandwidth the buffer's model runs at (an `sram` may set its own bytes_per_cycle).
            const double bytes_per_cycle = buffers_[k]->model().peak_bytes_per_cycle();
            if (burst >= kBurstByBurstCycles * bytes_per_cycle) dma_->set_burst_by_burst(kind);
            if (!writes_hold_up_reads(*buffers_[k])) continue;
            timing[std::size_t(k)] = {burst / bytes_per_cycle, bytes_per_cycle,
                                      double(buffers_[k]->config().latency_cycles)};
            dma_->set_burst_log(kind, &burst_logs_[std::size_t(k)]);
        }
        for (auto& pe : pes_) pe->set_burst_logs(burst_logs_.data(), timing);
    }
    std::vector<compute::ProcessingElement*> peers;
    for (auto& pe : pes_) peers.push_back(pe.get());
    for (auto& pe : pes_) pe->set_peers(peers);
    if (observer) {
        control_->set_observer(observer);
        dma_->set_observer(observer);
        memory_->set_observer(observer, activity::Port::MainMemory);
        for (int b = 0; b < workloads::kBufferKinds; ++b) buffers_[b]->set_observer(observer, activity::Port(b));
        for (auto& pe : pes_) pe->set_observer(observer);
    }
}

void Accelerator::build_contexts() {
    const workloads::OpGraph& g = *program_.graph;
    auto place = [&](int tensor) {
        compute::OperandPlace p;
        if (tensor < 0) return p;
        const auto& l = program_.layouts[tensor];
        p.layout = &l;
        p.tensor = tensor;
        p.data_base = AddressMap::place(l.buffer, l.memory_address, l.data_bytes,
                                        program_.options.capacity[int(l.buffer)]);
        p.mask_base = AddressMap::place(BufferKind::Mask, l.memory_address / 8, l.mask_bytes,
                                        program_.options.capacity[int(BufferKind::Mask)]);
        return p;
    };
    contexts_.resize(program_.entries.size());
    for (std::uint32_t e = 0; e < program_.entries.size(); ++e) {
        const auto& entry = program_.entries[e];
        if (entry.kind != workloads::EntryKind::Compute) continue;
        compute::OpContext& c = contexts_[e];
        const workloads::Op& op = g.ops[entry.op];
        c.entry = e;
        c.op = &op;
        c.grid = &entry.grid;
        c.loop_order = entry.loop_order;
        c.a = place(op.a_inputs.empty() ? -1 : op.a_inputs[0]);
        // Element-wise ops with a second input (residual add, SwiGLU's up projection, rotary's
        // cos/sin rows) read it tile by tile like the first.
        if (op.kind != workloads::OpKind::MatMul && op.a_inputs.size() > 1) c.a2 = place(op.a_inputs[1]);
        c.b = place(op.b_input);
        c.out = place(op.output);
        c.grouped = config_.compat.duplicate_issue && compute::OriginalIssueRules::grouped(op);
    }
    // The original issues the last tile of its op list twice (OriginalIssueRules::issues).
    for (std::uint32_t e = std::uint32_t(contexts_.size()); e-- > 0;)
        if (contexts_[e].grouped) {
            const workloads::TileGrid& grid = *contexts_[e].grid;
            contexts_[e].last_issue_step = grid.output_tiles() * std::uint64_t(grid.nk) - 1;
            break;
        }
}

void Accelerator::attach_functional(compute::FunctionalEngine* engine) {
    for (auto& c : contexts_)
        if (c.op) c.functional = engine;
    for (auto& pe : pes_) pe->set_functional(engine);
}

RunResult Accelerator::result() const {
    if (!control_->finished())
        throw SimulationError("simulation stopped before the program finished: " + control_->pending_report());
    return counters(control_->activity().finish_cycle);
}

RunResult Accelerator::counters(double cycles) const {
    RunResult r;
    const ControlActivity& ca = control_->activity();
    r.cycles = cycles;
    r.clock_mhz = config_.clock_mhz;
    r.seconds = r.cycles / clock_.hz();
    r.batch = program_.graph->batch;
    r.throughput_seq_per_s = r.seconds > 0 ? r.batch / r.seconds : 0;
    for (const auto& pe : pes_) {
        for (int c = 0; c < workloads::kUnitClasses; ++c) {
            for (int i = 0; i < pe->units(UnitClass(c)); ++i) {
                const auto& u = pe->unit(UnitClass(c), i);
                r.units[c].units++;
                r.units[c].busy_unit_cycles += u.activity.busy_cycles;
                r.units[c].memory_wait_unit_cycles += u.activity.memory_wait_cycles;
                r.units[c].tiles += u.activity.tiles;
                r.effectual_macs += u.effectual_macs();
                // Only AccelTran's lanes have sparsity units (a template's array has none).
                if (const auto* lane = dynamic_cast<const compute::MacLane*>(&u)) {
                    r.pre_sparsity_tiles += lane->pre_sparsity().tiles();
                    r.post_sparsity_tiles += lane->post_sparsity().tiles();
                }
            }
        }
    }
    for (int c = 0; c < workloads::kUnitClasses; ++c) {
        r.units[c].dependency_wait_unit_cycles = ca.dependency_wait_unit_cycles[c];
        r.units[c].utilization =
            r.cycles > 0 && r.units[c].units > 0 ? r.units[c].busy_unit_cycles / (double(r.units[c].units) * r.cycles) : 0;
        r.tiles_executed += r.units[c].tiles;
    }
    r.dma_channels = dma_->channels();
    r.dma_busy_channel_cycles = dma_->activity().busy_channel_cycles;
    r.dma_transfers = dma_->activity().transfers;
    r.dma_utilization = r.cycles > 0 ? r.dma_busy_channel_cycles / (r.dma_channels * r.cycles) : 0;
    const MemoryTraffic mt = memory_->traffic();
    r.memory_read_bytes = mt.read_bytes;
    r.memory_write_bytes = mt.write_bytes;
    r.memory_busy_cycles = mt.busy_cycles;
    r.memory_utilization = r.cycles > 0 ? mt.busy_cycles / r.cycles : 0;
    const ModelStats ms = memory_->model().stats();
    r.memory_model = config_.main_memory.model;
    r.memory_model_energy_j = ms.energy_j;
    r.memory_device_bytes = ms.device_bytes >= 0 ? ms.device_bytes : double(mt.read_bytes + mt.write_bytes);
    r.memory_model_counters = ms.counters;
    for (int b = 0; b < workloads::kBufferKinds; ++b) {
        const MemoryTraffic bt = buffers_[b]->traffic();
        r.buffers[b].capacity = buffers_[b]->capacity();
        r.buffers[b].read_bytes = bt.read_bytes;
        r.buffers[b].write_bytes = bt.write_bytes;
        r.buffers[b].busy_cycles = bt.busy_cycles;
        r.buffers[b].queued_cycles = bt.queued_cycles;
        r.buffers[b].peak_occupancy = ca.peak_occupancy[b];
        const ModelStats bs = buffers_[b]->model().stats();
        r.buffers[b].model = buffers_[b]->config().model;
        r.buffers[b].model_energy_j = bs.energy_j;
        r.buffers[b].model_counters = bs.counters;
    }
    r.memory_bound_cycles = ca.memory_bound_cycles;
    r.entries = program_.entries.size();
    r.entries_retired = ca.retired;
    r.jobs = ca.jobs;
    r.tile_ops = program_.totals.tile_ops;
    r.macs = program_.totals.macs;
    r.load_entries = program_.totals.load_entries;
    r.spill_entries = program_.totals.spill_entries;
    r.store_entries = program_.totals.store_entries;
    return r;
}

}  // namespace acceltran
