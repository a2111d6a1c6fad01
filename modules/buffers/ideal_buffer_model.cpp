#include "modules/buffers/ideal_buffer_model.h"

#include <limits>

namespace acceltran {

ModelEntry IdealBufferModel::entry() {
    return buffer_model_entry<IdealBufferModel>(
        "ideal", "unlimited bandwidth: every access completes latency_cycles after it arrives", {});
}

IdealBufferModel::IdealBufferModel(const ModelContext& c, const ModelParameters&) : latency_(c.latency_cycles) {}

double IdealBufferModel::access(const AccessRequest& r) { return r.arrival + latency_; }

ModelStats IdealBufferModel::stats() const { return ModelStats{}; }

double IdealBufferModel::peak_bytes_per_cycle() const { return std::numeric_limits<double>::infinity(); }

}  // namespace acceltran
