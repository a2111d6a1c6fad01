// What the original simulator's energy accounting needs beyond our own activity figures, for
// the compatibility options that mirror it (core/accelerator_config.h, CompatConfig; docs/
// validation.md §7.5): the elements loaded from main memory (compat.main_memory_energy), the
// cycles a load into a buffer was in flight while the buffer's port was idle
// (compat.buffer_leakage_while_loading) and the bytes the units wrote into each buffer
// (compat.no_operand_read_energy). An observer of the run; Simulation attaches it only when one
// of those options is on.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "modules/activity/activity_observer.h"
#include "modules/power/energy_model.h"
#include "workloads/tiled_program.h"

namespace acceltran {

class CompatEnergyCounters : public activity::ActivityObserver {
public:
    explicit CompatEnergyCounters(const workloads::TiledProgram& program) : program_(program) {}

    void on_port_busy(activity::Port port, double start, double end, double bytes) override;
    void on_buffer_bytes(std::uint32_t entry, workloads::BufferKind buffer, bool write, std::uint64_t bytes) override;
    void on_dma_transfer(int channel, std::uint32_t entry, double start, double end) override;
    // Retirements come in time order, and the port and DMA intervals reported later start at or
    // after them (both are reported when reserved), so the intervals before a retirement can be
    // settled and dropped (bounds the memory held).
    void on_retire(std::uint32_t entry, double at, std::uint64_t retired, std::uint64_t total) override;

    // Adds the run's figures to `a` (power::RunActivity's compat fields).
    void add_to(power::RunActivity& a) const;
    // Adds a part of them, for a part of the run (a timeline period, an op): the load figures in
    // proportion to its share of the main-memory bytes, a buffer's figures to its share of that
    // buffer's bytes, so that the parts add up to the run.
    void add_share_to(power::RunActivity& a, double memory_share, const double buffer_share[3]) const;

private:
    using Intervals = std::vector<std::pair<double, double>>;
    // Length of the union of `intervals`.
    static double covered(Intervals intervals);
    // Adds to loading_idle_ the part of [.., until) where a load was in flight and the port idle,
    // and keeps only the parts of the intervals after `until`.
    void settle(double until) const;
    // Intervals held before settle() runs at a retirement.
    static constexpr std::size_t kSettleIntervals = 1 << 16;

    // The run's figures, computed once on first use (after the run).
    const power::RunActivity& totals() const;

    const workloads::TiledProgram& program_;
    mutable std::optional<power::RunActivity> totals_;
    double load_elements_ = 0;
    double unit_write_bytes_[workloads::kBufferKinds] = {0, 0, 0};
    // Held only until settled (settle() runs on a const object from totals()).
    mutable Intervals port_busy_[workloads::kBufferKinds];
    mutable Intervals loading_[workloads::kBufferKinds];
    mutable double loading_idle_[workloads::kBufferKinds] = {0, 0, 0};
    std::size_t held_ = 0;
    mutable double settled_until_ = -std::numeric_limits<double>::infinity();
};

}  // namespace acceltran
