#include "modules/compute/compute_unit.h"

#include "modules/compute/job_plan.h"

namespace acceltran::compute {

ComputeUnit::ComputeUnit() = default;
ComputeUnit::~ComputeUnit() = default;

void ComputeUnit::begin_job(tlm::tlm_generic_payload* job, const OpContext* ctx,
                            const workloads::LaneTileSequence& tiles, double now) {
    begin_job(job, ctx, now);
    tiles_.emplace(tiles);
}

void ComputeUnit::begin_job(tlm::tlm_generic_payload* job, const OpContext* ctx, double now) {
    job_ = job;
    ctx_ = ctx;
    finishing = false;
    if (compute_free < now) compute_free = now;
    last_done = now;
    ++activity.jobs;
    for (auto& direction : job_bytes)
        for (auto& b : direction) b = 0;
}

bool ComputeUnit::take_tile(workloads::TileStep& step) { return tiles_->next(step); }

workloads::LaneTileSequence ComputeUnit::take_all_tiles() {
    workloads::LaneTileSequence all = std::move(*tiles_);
    tiles_.reset();
    return all;
}

void ComputeUnit::end_job() {
    job_ = nullptr;
    ctx_ = nullptr;
    tiles_.reset();
    finishing = false;
}

}  // namespace acceltran::compute
