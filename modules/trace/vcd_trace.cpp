#include "modules/trace/vcd_trace.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <utility>

#include "core/errors.h"
#include "core/number_text.h"

namespace acceltran::trace {

namespace {


std::string vcd_id(std::size_t n) {
    std::string s;
    do {
        s += char('!' + n % 94);
        n /= 94;
    } while (n > 0);
    return s;
}

bool same_value(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

}  // namespace


VcdTrace::VcdTrace(const AcceleratorConfig& config, const power::Technology& tech,
                   const workloads::TiledProgram& program, VcdOptions options)
    : config_(config), program_(program), options_(std::move(options)), period_ps_(1e6 / config.clock_mhz),
      events_(options_.spill_directory, "trace.vcd.events", options_.chunk_records, options_.merge_fan_in),
      stretches_(options_.spill_directory, "trace.vcd.ports", options_.chunk_records, options_.merge_fan_in) {
    // A unit's power while busy and while idle (zero when power-gated), from the same table as
    // the energy model; a lane includes its FIFO and, ungated, its sparsity units' leakage.
    const power::ModulePower& lane = tech.mac_lane(config.nonlinearity, config.macs_per_lane);
    const double sparsity_leak = tech.pre_sparsity().leakage_mw + tech.post_sparsity().leakage_mw;
    const bool gated = config.power_gating;
    const double lane_leak = lane.leakage_mw + tech.fifo().leakage_mw + sparsity_leak;
    busy_mw_[0] = lane.dynamic_mw + tech.fifo().dynamic_mw + lane.leakage_mw + tech.fifo().leakage_mw +
                  (gated ? 0 : sparsity_leak);
    idle_mw_[0] = gated ? 0 : lane_leak;
    const power::ModulePower* others[2] = {&tech.softmax(config.tile_x), &tech.layernorm(config.tile_x)};
    for (int c = 1; c < workloads::kUnitClasses; ++c) {
        busy_mw_[c] = others[c - 1]->dynamic_mw + others[c - 1]->leakage_mw;
        idle_mw_[c] = gated ? 0 : others[c - 1]->leakage_mw;
    }

    // Signals and blocks in the order they are declared and their changes ordered: PE by PE
    // (each PE's scope is declared once), the DMA channels, DMA power, each port (busy, then a
    // buffer's occupancy, then its sampled power), total power.
    const double x = std::nan("");
    const int per_pe[workloads::kUnitClasses] = {config.lanes_per_pe, config.softmax_per_pe, config.layernorm_per_pe};
    for (int c = 0; c < workloads::kUnitClasses; ++c) units_[c].resize(std::size_t(config.pes) * std::size_t(per_pe[c]));
    for (int p = 0; p < config.pes; ++p)
        for (int c = 0; c < workloads::kUnitClasses; ++c)
            for (int u = 0; u < per_pe[c]; ++u) {
                Track& t = units_[c][std::size_t(p) * per_pe[c] + u];
                t.path = TraceSelection::unit_path(p, c, u);
                t.kept = keep(t.path);
                if (!t.kept) continue;
                t.block = add_block(Block{BlockKind::Unit, Source::Recorded, std::uint8_t(c), 0});
                add_signal(t.path, "busy", VarType::Wire, 0);
                add_signal(t.path, "op", VarType::Integer, x);
                add_signal(t.path, "power_w", VarType::Real, idle_mw_[c] * 1e-3);
            }
    channels_.resize(std::size_t(config.dma.channels));
    for (int c = 0; c < config.dma.channels; ++c) {
        Track& t = channels_[c];
        t.path = "dma/channel" + std::to_string(c);
        t.kept = keep(t.path);
        if (!t.kept) continue;
        t.block = add_block(Block{BlockKind::Channel, Source::Recorded, 0, 0});
        add_signal(t.path, "busy", VarType::Wire, 0);
        add_signal(t.path, "tensor", VarType::Integer, x);
    }
    auto sampled = [&](const std::string& scope, Source source, int index) {
        add_block(Block{BlockKind::Value, source, std::uint8_t(index), 0});
        add_signal(scope, "power_w", VarType::Real, 0);
    };
    if (keep("dma")) sampled("dma", Source::Dma, 0);
    for (int p = 0; p < kPorts; ++p) {
        Track& t = ports_[p];
        t.path = to_string(Port(p));
        t.kept = keep(t.path);
        t.port = p;
        if (!t.kept) continue;
        t.block = add_block(Block{BlockKind::PortBusy, Source::Recorded, 0, 0});
        add_signal(t.path, "busy", VarType::Wire, 0);
        if (p < workloads::kBufferKinds) {
            occupancy_block_[p] = add_block(Block{BlockKind::Value, Source::Recorded, 0, 0});
            add_signal(t.path, "occupancy_bytes", VarType::Real, 0);
            sampled(t.path, Source::Buffer, p);
        } else {
            sampled(t.path, Source::MainMemory, 0);
        }
    }
    if (keep("total")) sampled("total", Source::Total, 0);
}

std::uint32_t VcdTrace::add_block(Block b) {
    if (blocks_.size() >= (std::size_t(1) << (64 - kSeqBits)))
        throw SimulationError("trace.vcd: too many traced instances (" + std::to_string(blocks_.size()) + ")");
    b.first_signal = std::uint32_t(signals_.size());
    blocks_.push_back(b);
    return std::uint32_t(blocks_.size() - 1);
}

void VcdTrace::add_signal(const std::string& scope, const std::string& name, VarType type, double initial) {
    signals_.push_back(Signal{scope, name, type, vcd_id(signals_.size()), initial});
}

bool VcdTrace::keep(const std::string& path) { return options_.keep(path, filter_used_); }

std::vector<std::string> VcdTrace::unmatched_filters() const { return options_.unmatched(filter_used_); }

std::string VcdTrace::scopes(const AcceleratorConfig& config) {
    std::string s = TraceSelection::unit_and_channel_scopes(config);
    for (int p = 0; p < kPorts; ++p) s += std::string("; ") + to_string(Port(p));
    return s + "; total";
}

// Observers are called from inside SystemC processes, which would turn an exception into an
// "unknown error" report; so a spill error is kept, recording stops, and write() throws it.
void VcdTrace::push(std::uint32_t block, std::uint64_t seq, std::uint64_t t, double value) {
    if (error_) return;
    try {
        events_.push(Event{t, (std::uint64_t(block) << kSeqBits) | seq, value});
    } catch (...) {
        error_ = std::current_exception();
    }
}

void VcdTrace::add(Track& track, double start, double end, std::int64_t value, bool coalesce) {
    if (!track.kept || !options_.in_window(start, end)) return;
    // Back-to-back tiles of one op make one busy stretch: same waveform, far fewer changes.
    if (coalesce && track.pending) {
        Interval& last = track.last;
        if (last.value == value && start <= last.end + 1e-9 && start >= last.start) {
            last.end = std::max(last.end, end);
            return;
        }
    }
    if (track.pending) record(track, track.last);
    track.last = Interval{start, end, value};
    track.pending = coalesce;
    if (!coalesce) record(track, track.last);
}

// An interval that no later report can extend any more.
void VcdTrace::record(Track& track, const Interval& i) {
    if (track.port >= 0) {
        if (error_) return;
        try {
            stretches_.push(Stretch{i.start, i.end, std::uint64_t(track.port)});
        } catch (...) {
            error_ = std::current_exception();
        }
    } else {
        const std::uint64_t j = track.emitted++;
        push(track.block, 2 * j, ps(i.start), double(i.value));
        push(track.block, 2 * j + 1, ps(i.end), 0);
    }
}

void VcdTrace::on_tile(const TileEvent& t) {
    const int per_pe = int(units_[int(t.unit_class)].size()) / std::max(1, config_.pes);
    // A job group's event: each of its units busy over the group's interval.
    for (std::uint32_t u = 0; u < t.units; ++u)
        add(units_[int(t.unit_class)][std::size_t(t.pe) * per_pe + t.unit + u], t.start, t.end,
            program_.entries[t.entry].op, true);
}

void VcdTrace::on_port_busy(Port p, double start, double end, double) {
    add(ports_[int(p)], start, end, 1, true);
}

void VcdTrace::on_dma_transfer(int channel, std::uint32_t entry, double start, double end) {
    add(channels_[channel], start, end, program_.entries[entry].tensor, false);
}

void VcdTrace::on_occupancy(workloads::BufferKind b, double at, std::uint64_t bytes) {
    if (ports_[int(b)].kept) push(occupancy_block_[int(b)], occupancy_seq_[int(b)]++, ps(at), double(bytes));
}

// Writes one value change line; called for every change, so it formats into a stack buffer.
void VcdTrace::write_value(std::ostream& out, VarType type, double v, const std::string& id) {
    char buf[96];
    int n = 0;
    switch (type) {
        case VarType::Wire:
            buf[n++] = v != 0 ? '1' : '0';
            break;
        case VarType::Integer: {
            buf[n++] = 'b';
            if (std::isnan(v)) {
                buf[n++] = 'x';
            } else {
                std::uint64_t x = std::uint64_t(std::llround(v));
                int bits = 1;
                while (bits < 64 && (x >> bits) != 0) ++bits;
                for (int b = bits - 1; b >= 0; --b) buf[n++] = char('0' + ((x >> b) & 1));
            }
            buf[n++] = ' ';
            break;
        }
        case VarType::Real:
            buf[0] = 'r';
            n = int(write_general(buf + 1, buf + sizeof buf - 2, v, 9) - buf);
            buf[n++] = ' ';
            break;
    }
    out.write(buf, n);
    out.write(id.data(), std::streamsize(id.size()));
    out.put('\n');
}

void VcdTrace::write_header(std::ostream& out) const {
    // Scopes nest along the paths (depth two at most: "pe0/lane3").
    out << "$version AccelTran-SC " << ACCELTRAN_VERSION << " $end\n";
    out << "$comment op ids:";
    for (const auto& op : program_.graph->ops) out << ' ' << op.id << '=' << op.name;
    out << " $end\n$comment tensor ids:";
    for (const auto& t : program_.graph->tensors) out << ' ' << t.id << '=' << t.name;
    out << " $end\n$timescale 1ps $end\n$scope module acceltran $end\n";
    std::string open_outer;  // the first path component whose scope is open
    bool inner_open = false;
    std::string open_inner;
    for (const Signal& s : signals_) {
        const auto slash = s.scope.find('/');
        const std::string outer = s.scope.substr(0, slash);
        const std::string inner = slash == std::string::npos ? "" : s.scope.substr(slash + 1);
        if (outer != open_outer) {
            if (inner_open) out << "$upscope $end\n";
            if (!open_outer.empty()) out << "$upscope $end\n";
            out << "$scope module " << outer << " $end\n";
            open_outer = outer;
            inner_open = false;
            open_inner.clear();
        }
        if (inner != open_inner || (!inner.empty() && !inner_open)) {
            if (inner_open) out << "$upscope $end\n";
            inner_open = !inner.empty();
            if (inner_open) out << "$scope module " << inner << " $end\n";
            open_inner = inner;
        }
        const char* type = s.type == VarType::Wire ? "wire 1" : s.type == VarType::Integer ? "integer 32" : "real 64";
        out << "$var " << type << ' ' << s.id << ' ' << s.name << " $end\n";
    }
    if (inner_open) out << "$upscope $end\n";
    if (!open_outer.empty()) out << "$upscope $end\n";
    out << "$upscope $end\n$enddefinitions $end\n";
}

void VcdTrace::write(std::ostream& out, double end_cycle, const TimelineReport& timeline) {
    if (error_) std::rethrow_exception(error_);
    for (auto& tracks : units_)
        for (Track& t : tracks)
            if (t.pending) record(t, t.last), t.pending = false;
    for (Track& t : ports_)
        if (t.pending) record(t, t.last), t.pending = false;

    if (error_) std::rethrow_exception(error_);

    // Port intervals arrive out of order: sorted by start, what overlaps or touches is merged.
    stretches_.finish();
    Stretch open{0, 0, kPorts};
    std::uint64_t merged = 0;
    auto close = [&] {
        if (open.port == std::uint64_t(kPorts)) return;
        push(ports_[open.port].block, 2 * merged, ps(open.start), 1);
        push(ports_[open.port].block, 2 * merged + 1, ps(open.end), 0);
        ++merged;
    };
    for (Stretch s; stretches_.next(s);) {
        if (s.port == open.port && s.start <= open.end + 1e-9) {
            open.end = std::max(open.end, s.end);
            continue;
        }
        close();
        if (s.port != open.port) merged = 0;
        open = s;
    }
    close();
    stretches_.clear();  // its disk space, before the trace takes more

    // Sampled power: one change per sample period.
    const auto& samples = timeline.samples();
    for (std::uint32_t b = 0; b < blocks_.size(); ++b) {
        const Block& block = blocks_[b];
        if (block.kind != BlockKind::Value || block.source == Source::Recorded) continue;
        for (std::size_t i = 0; i < samples.size(); ++i) {
            if (samples[i].cycles <= 0) continue;
            const power::EnergyBreakdown& e = timeline.energies()[i];
            const double joules = block.source == Source::Dma      ? e.dma.total()
                                  : block.source == Source::Buffer ? e.buffers[block.index].total()
                                  : block.source == Source::MainMemory ? e.main_memory.total()
                                                                       : e.total();
            push(b, i, ps(samples[i].start), joules / timeline.seconds(i));
        }
    }
    if (error_) std::rethrow_exception(error_);
    events_.finish();

    write_header(out);

    // Each event stands for the changes of its block's signals, in signal order.
    struct Change {
        std::uint64_t t;
        std::uint32_t signal;
        double value;  // NaN: x
    };
    const double x = std::nan("");
    Change expanded[3];
    int expanded_n = 0, expanded_at = 0;
    auto next = [&](Change& c) {
        if (expanded_at == expanded_n) {
            Event e;
            if (!events_.next(e)) return false;
            const Block& block = blocks_[e.order >> kSeqBits];
            const bool start = (e.order & 1) == 0;
            const std::uint32_t s = block.first_signal;
            expanded_at = 0;
            switch (block.kind) {
                case BlockKind::Unit:
                    expanded[0] = Change{e.t, s, start ? 1.0 : 0.0};
                    expanded[1] = Change{e.t, s + 1, start ? e.value : x};
                    expanded[2] = Change{e.t, s + 2, (start ? busy_mw_[block.index] : idle_mw_[block.index]) * 1e-3};
                    expanded_n = 3;
                    break;
                case BlockKind::Channel:
                    expanded[0] = Change{e.t, s, start ? 1.0 : 0.0};
                    expanded[1] = Change{e.t, s + 1, start ? e.value : x};
                    expanded_n = 2;
                    break;
                case BlockKind::PortBusy:
                    expanded[0] = Change{e.t, s, start ? 1.0 : 0.0};
                    expanded_n = 1;
                    break;
                case BlockKind::Value:
                    expanded[0] = Change{e.t, s, e.value};
                    expanded_n = 1;
                    break;
            }
        }
        c = expanded[expanded_at++];
        return true;
    };

    // Values: the state at the window's start, then the changes inside it.
    const std::uint64_t t_lo = ps(options_.window_start);
    const std::uint64_t t_hi = ps(std::min(options_.window_end, end_cycle));
    std::vector<double> value(signals_.size());
    for (std::size_t s = 0; s < signals_.size(); ++s) value[s] = signals_[s].initial;
    Change c{};
    bool more = next(c);
    for (; more && c.t <= t_lo; more = next(c)) value[c.signal] = c.value;
    out << '#' << t_lo << "\n$dumpvars\n";
    for (std::size_t s = 0; s < signals_.size(); ++s) write_value(out, signals_[s].type, value[s], signals_[s].id);
    out << "$end\n";
    std::uint64_t written_t = t_lo;
    // Changes at one time form a group; only the last change of a signal in a group counts.
    std::vector<double> pending(signals_.size());
    std::vector<std::uint64_t> touched_in(signals_.size(), UINT64_MAX);
    std::vector<std::uint32_t> touched;
    while (more && c.t <= t_hi) {
        const std::uint64_t t = c.t;
        touched.clear();
        for (; more && c.t == t; more = next(c)) {
            if (touched_in[c.signal] != t) {
                touched_in[c.signal] = t;
                touched.push_back(c.signal);
            }
            pending[c.signal] = c.value;
        }
        for (std::uint32_t s : touched) {
            if (same_value(value[s], pending[s])) continue;
            value[s] = pending[s];
            if (t != written_t) {
                out << '#' << t << '\n';
                written_t = t;
            }
            write_value(out, signals_[s].type, value[s], signals_[s].id);
        }
    }
    if (t_hi > written_t) out << '#' << t_hi << '\n';
}

}  // namespace acceltran::trace
