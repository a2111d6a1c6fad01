// The whole accelerator: control block, DMA, main memory, the three buffers behind their
// interconnect, and the processing elements, wired through TLM-2.0 sockets as in
// docs/architecture.md. Construct it (elaboration), call sc_start(), then result().
#pragma once

#include <array>
#include <memory>
#include <vector>

#include <systemc>

#include "modules/buffers/buffer_interconnect.h"
#include "modules/buffers/tile_buffer.h"
#include "core/accelerator_config.h"
#include "core/burst_log.h"
#include "modules/tlm/clock.h"
#include "core/detail_level.h"
#include "modules/compute/op_context.h"
#include "modules/compute/processing_element.h"
#include "modules/control/control_block.h"
#include "modules/control/dma.h"
#include "modules/memory/main_memory.h"
#include "modules/run_result.h"
#include "modules/activity/activity_observer.h"
#include "workloads/tiled_program.h"

namespace acceltran {

// CompileOptions for a design point (tile shape, loop order, densities, buffer capacities).
workloads::CompileOptions compile_options(const AcceleratorConfig& config);

class Accelerator : public sc_core::sc_module {
public:
    // `observer`, when given, hears every module's activity (traces, timeline, progress);
    // `detail` chooses how finely the PEs simulate a job (core/detail_level.h).
    Accelerator(const sc_core::sc_module_name& name, const AcceleratorConfig& config,
                const workloads::TiledProgram& program, activity::ActivityObserver* observer = nullptr,
                DetailLevel detail = DetailLevel::Full);

    // Functional mode: every compute entry's tiles are computed by `engine` (before sc_start;
    // full detail level only).
    void attach_functional(compute::FunctionalEngine* engine);

    // At the fast level, the DMA moves a buffer's transfers burst by burst instead of in 64 KiB
    // pieces where a burst holds the buffer's port for at least this many cycles, so that a piece
    // held in one stretch does not stall tiles the full level runs between its bursts
    // (docs/model-reference.md §6a, "Bursts behind the tiles' reads"). Our choice: one steady-state
    // tile of the 16×16 systolic array; the Gemmini buffers' bursts (32-64 cycles) go one by one,
    // AccelTran's (at most 4 cycles) keep the pieces and their speed.
    static constexpr double kBurstByBurstCycles = 16;

    // Throws SimulationError when the program did not run to completion (no progress possible).
    RunResult result() const;
    // What the modules have counted so far, as if the run ended at `cycles` (a sampled
    // generation's per-step figures: modules/simulation/decode_extrapolation.h).
    RunResult counters(double cycles) const;

    const ControlBlock& control() const { return *control_; }
    const TileBuffer& buffer(workloads::BufferKind b) const { return *buffers_[int(b)]; }
    const MainMemory& memory() const { return *memory_; }
    const Dma& dma() const { return *dma_; }
    const std::vector<std::unique_ptr<compute::ProcessingElement>>& pes() const { return pes_; }

private:
    void build_contexts();

    const AcceleratorConfig& config_;
    const workloads::TiledProgram& program_;
    Clock clock_;
    std::vector<compute::OpContext> contexts_;  // indexed by program entry
    std::unique_ptr<ControlBlock> control_;
    std::unique_ptr<Dma> dma_;
    std::unique_ptr<MainMemory> memory_;
    std::unique_ptr<BufferInterconnect> interconnect_;
    std::unique_ptr<TileBuffer> buffers_[workloads::kBufferKinds];
    std::vector<std::unique_ptr<compute::ProcessingElement>> pes_;
    // Fast detail level: the DMA's bursts into each buffer, read by the PEs (§6a).
    std::array<BurstLog, workloads::kBufferKinds> burst_logs_;
};

}  // namespace acceltran
