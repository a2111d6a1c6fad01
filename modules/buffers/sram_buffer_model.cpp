#include "modules/buffers/sram_buffer_model.h"

namespace acceltran {

ModelEntry SramBufferModel::entry() {
    return buffer_model_entry<SramBufferModel>(
        "sram", "SRAM behind one shared port (or one read and one write port): bytes / bandwidth cycles plus the latency",
        {ParameterSpec::integer("ports", 1, 1, 2, "1: one port shared by reads and writes; 2: a read port and a write port"),
         ParameterSpec::integer("block_bytes", 1, 1, 1 << 20, "access granularity: a transfer is rounded up to whole blocks (bytes)"),
         ParameterSpec::number("bytes_per_cycle", 0, 0, 1e12, "bandwidth per port in bytes/cycle; 0: banks x bank_width_bytes")});
}

SramBufferModel::SramBufferModel(const ModelContext& c, const ModelParameters& p)
    : ports_(int(p.integer("ports"))), block_bytes_(std::uint64_t(p.integer("block_bytes"))) {
    const double bw = p.number("bytes_per_cycle") > 0 ? p.number("bytes_per_cycle") : c.bytes_per_cycle;
    read_port_ = std::make_unique<BandwidthPort>(bw, c.latency_cycles);
    if (ports_ == 2) write_port_ = std::make_unique<BandwidthPort>(bw, c.latency_cycles);
    const double share = 1.0 / ports_;
    auto forward = [this, share](double start, double end, double bytes) {
        report_busy(start, start + (end - start) * share, bytes);
    };
    read_port_->set_listener(forward);
    if (write_port_) write_port_->set_listener(forward);
}

double SramBufferModel::access(const AccessRequest& r) {
    const std::uint64_t bytes = (r.bytes + block_bytes_ - 1) / block_bytes_ * block_bytes_;
    BandwidthPort& port = (r.write && write_port_) ? *write_port_ : *read_port_;
    return port.reserve(r.arrival, bytes, r.now);
}

ModelStats SramBufferModel::stats() const {
    ModelStats s;
    s.busy_cycles = read_port_->busy_cycles();
    s.queued_cycles = read_port_->queued_cycles();
    if (write_port_) {
        s.busy_cycles = (s.busy_cycles + write_port_->busy_cycles()) / 2;
        s.queued_cycles += write_port_->queued_cycles();
    }
    return s;
}

double SramBufferModel::peak_bytes_per_cycle() const { return read_port_->bytes_per_cycle() * ports_; }

}  // namespace acceltran
