#include "modules/trace/vcd_trace.h"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace acceltran::trace {

namespace {

const char* const kUnitScope[workloads::kUnitClasses] = {"lane", "softmax", "layernorm"};

enum class VarType { Wire, Integer, Real };

struct Signal {
    std::string scope;  // path, e.g. "pe0/lane3"
    std::string name;
    VarType type;
    std::string id;
};

struct Change {
    std::uint64_t t;  // ps
    std::uint32_t signal;
    double value;       // NaN: x
};

std::string vcd_id(std::size_t n) {
    std::string s;
    do {
        s += char('!' + n % 94);
        n /= 94;
    } while (n > 0);
    return s;
}

// Writes one value change line; called for every change, so it formats into a stack buffer.
void write_value(std::ostream& out, VarType type, double v, const std::string& id) {
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
            n = std::snprintf(buf, sizeof buf - 1, "r%.9g ", v);
            break;
    }
    out.write(buf, n);
    out.write(id.data(), std::streamsize(id.size()));
    out.put('\n');
}

// Stable sort by time, as an LSD radix sort on 16-bit digits: the trace holds hundreds of
// thousands of changes and a comparison sort was the largest cost of writing it. Stability keeps
// each signal's changes in the order they were generated, which is their order in time.
void sort_by_time(std::vector<Change>& changes) {
    std::uint64_t max_t = 0;
    for (const Change& c : changes) max_t = std::max(max_t, c.t);
    std::vector<Change> tmp(changes.size());
    for (int shift = 0; shift < 64 && (max_t >> shift) != 0; shift += 16) {
        std::vector<std::size_t> count(65537, 0);
        for (const Change& c : changes) ++count[((c.t >> shift) & 0xffff) + 1];
        for (std::size_t d = 1; d < count.size(); ++d) count[d] += count[d - 1];
        for (const Change& c : changes) tmp[count[(c.t >> shift) & 0xffff]++] = c;
        changes.swap(tmp);
    }
}

bool same_value(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

}  // namespace

VcdTrace::VcdTrace(const AcceleratorConfig& config, const power::Technology& tech,
                   const workloads::TiledProgram& program, VcdOptions options)
    : config_(config), program_(program), options_(std::move(options)), period_ps_(1e6 / config.clock_mhz) {
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

    const int per_pe[workloads::kUnitClasses] = {config.lanes_per_pe, config.softmax_per_pe, config.layernorm_per_pe};
    for (int c = 0; c < workloads::kUnitClasses; ++c) {
        units_[c].resize(std::size_t(config.pes) * std::size_t(per_pe[c]));
        for (int p = 0; p < config.pes; ++p)
            for (int u = 0; u < per_pe[c]; ++u) {
                Track& t = units_[c][std::size_t(p) * per_pe[c] + u];
                t.path = "pe" + std::to_string(p) + "/" + kUnitScope[c] + std::to_string(u);
                t.kept = matches(options_.filters, t.path);
            }
    }
    channels_.resize(std::size_t(config.dma.channels));
    for (int c = 0; c < config.dma.channels; ++c) {
        channels_[c].path = "dma/channel" + std::to_string(c);
        channels_[c].kept = matches(options_.filters, channels_[c].path);
    }
    for (int p = 0; p < kPorts; ++p) {
        ports_[p].path = to_string(Port(p));
        ports_[p].kept = matches(options_.filters, ports_[p].path);
    }
    keep_dma_ = matches(options_.filters, "dma");
    keep_total_ = matches(options_.filters, "total");
}

bool VcdTrace::matches(const std::vector<std::string>& filters, const std::string& path) {
    if (filters.empty()) return true;
    for (const auto& f : filters) {
        // The path itself, then each ancestor: "pe0/lane3", "pe0".
        for (std::string p = path;;) {
            if (fnmatch(f.c_str(), p.c_str(), 0) == 0) return true;
            const auto slash = p.find_last_of('/');
            if (slash == std::string::npos) break;
            p.erase(slash);
        }
    }
    return false;
}

void VcdTrace::add(Track& track, double start, double end, std::int64_t value, bool coalesce) {
    if (!track.kept || !in_window(start, end)) return;
    // Back-to-back tiles of one op make one busy stretch: same waveform, far fewer changes.
    if (coalesce && !track.busy.empty()) {
        Interval& last = track.busy.back();
        if (last.value == value && start <= last.end + 1e-9 && start >= last.start) {
            last.end = std::max(last.end, end);
            return;
        }
    }
    track.busy.push_back(Interval{start, end, value});
}

void VcdTrace::on_tile(const TileEvent& t) {
    const int per_pe = int(units_[int(t.unit_class)].size()) / std::max(1, config_.pes);
    add(units_[int(t.unit_class)][std::size_t(t.pe) * per_pe + t.unit], t.start, t.end,
        program_.entries[t.entry].op, true);
}

void VcdTrace::on_port_busy(Port p, double start, double end, double) {
    add(ports_[int(p)], start, end, 1, true);
}

void VcdTrace::on_dma_transfer(int channel, std::uint32_t entry, double start, double end) {
    add(channels_[channel], start, end, program_.entries[entry].tensor, false);
}

void VcdTrace::on_occupancy(workloads::BufferKind b, double at, std::uint64_t bytes) {
    if (ports_[int(b)].kept) occupancy_[int(b)].emplace_back(at, bytes);
}

void VcdTrace::write(std::ostream& out, double end_cycle, const TimelineReport& timeline) const {
    std::vector<Signal> signals;
    std::vector<double> initial;
    auto signal = [&](const std::string& scope, const std::string& name, VarType type, double init) {
        signals.push_back(Signal{scope, name, type, vcd_id(signals.size())});
        initial.push_back(init);
        return std::uint32_t(signals.size() - 1);
    };
    std::vector<Change> changes;
    auto ps = [&](double cycle) { return std::uint64_t(std::llround(cycle * period_ps_)); };
    auto change = [&](double cycle, std::uint32_t s, double v) {
        changes.push_back(Change{ps(cycle), s, v});
    };
    const double x = std::nan("");

    auto unit_signals = [&](const Track& t, int c) {
        const auto busy = signal(t.path, "busy", VarType::Wire, 0);
        const auto op = signal(t.path, "op", VarType::Integer, x);
        const auto power = signal(t.path, "power_w", VarType::Real, idle_mw_[c] * 1e-3);
        for (const Interval& i : t.busy) {
            change(i.start, busy, 1), change(i.start, op, double(i.value)), change(i.start, power, busy_mw_[c] * 1e-3);
            change(i.end, busy, 0), change(i.end, op, x), change(i.end, power, idle_mw_[c] * 1e-3);
        }
    };
    // PE by PE, so that each PE's scope is declared once.
    for (int pe = 0; pe < config_.pes; ++pe)
        for (int c = 0; c < workloads::kUnitClasses; ++c) {
            const std::size_t per_pe = units_[c].size() / std::size_t(config_.pes);
            for (std::size_t u = 0; u < per_pe; ++u)
                if (units_[c][std::size_t(pe) * per_pe + u].kept) unit_signals(units_[c][std::size_t(pe) * per_pe + u], c);
        }
    for (const Track& t : channels_) {
        if (!t.kept) continue;
        const auto busy = signal(t.path, "busy", VarType::Wire, 0);
        const auto tensor = signal(t.path, "tensor", VarType::Integer, x);
        for (const Interval& i : t.busy) {
            change(i.start, busy, 1), change(i.start, tensor, double(i.value));
            change(i.end, busy, 0), change(i.end, tensor, x);
        }
    }
    // Sampled power: one change per sample period.
    auto sampled = [&](const std::string& scope, auto part) {
        const auto s = signal(scope, "power_w", VarType::Real, 0);
        const auto& samples = timeline.samples();
        for (std::size_t i = 0; i < samples.size(); ++i)
            if (samples[i].cycles > 0) change(samples[i].start, s, part(timeline.energies()[i]) / timeline.seconds(i));
    };
    if (keep_dma_) sampled("dma", [](const power::EnergyBreakdown& e) { return e.dma.total(); });
    for (int p = 0; p < kPorts; ++p) {
        const Track& t = ports_[p];
        if (!t.kept) continue;
        // Port stretches arrive out of order: sort, then merge what overlaps or touches.
        std::vector<Interval> busy = t.busy;
        std::sort(busy.begin(), busy.end(), [](const Interval& a, const Interval& b) { return a.start < b.start; });
        std::vector<Interval> merged;
        for (const Interval& i : busy) {
            if (!merged.empty() && i.start <= merged.back().end + 1e-9)
                merged.back().end = std::max(merged.back().end, i.end);
            else
                merged.push_back(i);
        }
        const auto b = signal(t.path, "busy", VarType::Wire, 0);
        for (const Interval& i : merged) change(i.start, b, 1), change(i.end, b, 0);
        if (p < workloads::kBufferKinds) {
            const auto occ = signal(t.path, "occupancy_bytes", VarType::Real, 0);
            for (const auto& [at, bytes] : occupancy_[p]) change(at, occ, double(bytes));
            sampled(t.path, [p](const power::EnergyBreakdown& e) { return e.buffers[p].total(); });
        } else {
            sampled(t.path, [](const power::EnergyBreakdown& e) { return e.main_memory.total(); });
        }
    }
    if (keep_total_) sampled("total", [](const power::EnergyBreakdown& e) { return e.total(); });

    sort_by_time(changes);

    // Header: scopes nest along the paths (depth two at most: "pe0/lane3").
    out << "$version AccelTran-SC " << ACCELTRAN_VERSION << " $end\n";
    out << "$comment op ids:";
    for (const auto& op : program_.graph->ops) out << ' ' << op.id << '=' << op.name;
    out << " $end\n$comment tensor ids:";
    for (const auto& t : program_.graph->tensors) out << ' ' << t.id << '=' << t.name;
    out << " $end\n$timescale 1ps $end\n$scope module acceltran $end\n";
    std::string open_outer;  // the first path component whose scope is open
    bool inner_open = false;
    std::string open_inner;
    for (const Signal& s : signals) {
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

    // Values: the state at the window's start, then the changes inside it.
    const std::uint64_t t_lo = ps(options_.window_start);
    const std::uint64_t t_hi = ps(std::min(options_.window_end, end_cycle));
    std::vector<double> value = initial;
    std::size_t i = 0;
    for (; i < changes.size() && changes[i].t <= t_lo; ++i) value[changes[i].signal] = changes[i].value;
    out << '#' << t_lo << "\n$dumpvars\n";
    for (std::size_t s = 0; s < signals.size(); ++s) write_value(out, signals[s].type, value[s], signals[s].id);
    out << "$end\n";
    std::uint64_t written_t = t_lo;
    // Changes at one time form a group; only the last change of a signal in a group counts.
    std::vector<double> pending(signals.size());
    std::vector<std::size_t> touched_in(signals.size(), SIZE_MAX);
    std::vector<std::uint32_t> touched;
    while (i < changes.size() && changes[i].t <= t_hi) {
        const std::uint64_t t = changes[i].t;
        touched.clear();
        for (; i < changes.size() && changes[i].t == t; ++i) {
            const std::uint32_t s = changes[i].signal;
            if (touched_in[s] != t) {
                touched_in[s] = t;
                touched.push_back(s);
            }
            pending[s] = changes[i].value;
        }
        for (std::uint32_t s : touched) {
            if (same_value(value[s], pending[s])) continue;
            value[s] = pending[s];
            if (t != written_t) {
                out << '#' << t << '\n';
                written_t = t;
            }
            write_value(out, signals[s].type, value[s], signals[s].id);
        }
    }
    if (t_hi > written_t) out << '#' << t_hi << '\n';
}

}  // namespace acceltran::trace
