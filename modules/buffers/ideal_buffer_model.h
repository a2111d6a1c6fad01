// `ideal`: a buffer of unlimited bandwidth. Every access completes latency_cycles after it
// arrives, whatever else is in flight; the data path is never busy. An upper bound on what any
// buffer organisation can give (docs/model-reference.md §7).
#pragma once

#include "core/buffer_model.h"

namespace acceltran {

class IdealBufferModel : public BufferModel {
public:
    IdealBufferModel(const ModelContext& context, const ModelParameters& parameters);
    static ModelEntry entry();

    double access(const AccessRequest& request) override;
    ModelStats stats() const override;
    double peak_bytes_per_cycle() const override;

private:
    double latency_;
};

}  // namespace acceltran
