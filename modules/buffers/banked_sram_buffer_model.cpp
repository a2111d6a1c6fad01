#include "modules/buffers/banked_sram_buffer_model.h"

#include <algorithm>

namespace acceltran {

namespace {
// Waits shorter than this (cycles) are rounding, not a conflict.
constexpr double kEpsilon = 1e-9;
}  // namespace

ModelEntry BankedSramBufferModel::entry() {
    return buffer_model_entry<BankedSramBufferModel>(
        "banked_sram",
        "banks x bank_width_bytes, interleaved by block; accesses to the same bank serialize (bank conflicts)",
        {ParameterSpec::integer("block_bytes", 64, 1, 1 << 20, "interleaving granularity: consecutive blocks go to consecutive banks (bytes)")});
}

BankedSramBufferModel::BankedSramBufferModel(const ModelContext& c, const ModelParameters& p)
    : block_bytes_(std::uint64_t(p.integer("block_bytes"))),
      bank_bytes_per_cycle_(double(c.bank_width_bytes)),
      latency_(c.latency_cycles),
      share_(std::size_t(c.banks), 0) {
    banks_.reserve(std::size_t(c.banks));
    const double share = 1.0 / c.banks;
    for (int b = 0; b < c.banks; ++b) {
        banks_.emplace_back(bank_bytes_per_cycle_, 0.0);
        banks_.back().set_listener([this, share](double start, double end, double bytes) {
            report_busy(start, start + (end - start) * share, bytes);
        });
    }
}

void BankedSramBufferModel::add(std::uint64_t bank, std::uint64_t bytes) {
    if (bytes == 0) return;
    if (share_[bank] == 0) touched_.push_back(bank);
    share_[bank] += bytes;
}

double BankedSramBufferModel::access(const AccessRequest& r) {
    const std::uint64_t n_banks = banks_.size();
    const std::uint64_t B = block_bytes_;
    touched_.clear();
    // Split [address, address + bytes) into a leading partial block, whole blocks, a trailing
    // partial block; whole blocks go round-robin over the banks.
    std::uint64_t block = r.address / B;
    std::uint64_t remaining = r.bytes;
    const std::uint64_t head = std::min(remaining, B - r.address % B);
    add(block % n_banks, head);
    remaining -= head;
    ++block;
    const std::uint64_t whole = remaining / B;
    if (whole >= n_banks) {
        const std::uint64_t each = whole / n_banks, extra = whole % n_banks;
        for (std::uint64_t i = 0; i < n_banks; ++i)
            add((block + i) % n_banks, (each + (i < extra ? 1 : 0)) * B);
    } else {
        for (std::uint64_t i = 0; i < whole; ++i) add((block + i) % n_banks, B);
    }
    block += whole;
    add(block % n_banks, remaining % B);

    double done = r.arrival, wait = 0;
    for (std::uint64_t bank : touched_) {
        const double end = banks_[bank].reserve(r.arrival, share_[bank], r.now);
        const double waited = end - r.arrival - double(share_[bank]) / bank_bytes_per_cycle_;
        if (waited > kEpsilon) {
            conflicts_ += 1;
            wait = std::max(wait, waited);
        }
        done = std::max(done, end);
        share_[bank] = 0;
    }
    queued_ += wait;
    return done + latency_;
}

ModelStats BankedSramBufferModel::stats() const {
    ModelStats s;
    for (const auto& b : banks_) s.busy_cycles += b.busy_cycles();
    s.busy_cycles /= double(banks_.size());
    s.queued_cycles = queued_;
    s.counters = {{"bank_conflicts", conflicts_}};
    return s;
}

double BankedSramBufferModel::peak_bytes_per_cycle() const { return bank_bytes_per_cycle_ * double(banks_.size()); }

}  // namespace acceltran
