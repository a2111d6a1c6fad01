#include "throttled_sram_buffer_model.h"

#include "core/plugin_api.h"

namespace example {

using namespace acceltran;

ModelEntry ThrottledSramBufferModel::entry() {
    return buffer_model_entry<ThrottledSramBufferModel>(
        "throttled_sram", "example plug-in: an SRAM port at a fraction of banks x bank_width_bytes",
        {ParameterSpec::number("efficiency", 0.5, 0.01, 1, "fraction of banks x bank_width_bytes the port delivers"),
         ParameterSpec::integer("extra_latency_cycles", 0, 0, 1000000, "cycles added to every access")});
}

ThrottledSramBufferModel::ThrottledSramBufferModel(const ModelContext& c, const ModelParameters& p)
    : port_(c.bytes_per_cycle * p.number("efficiency"), c.latency_cycles + double(p.integer("extra_latency_cycles"))) {
    // Busy stretches go to the power timeline and the traces.
    port_.set_listener([this](double start, double end, double bytes) { report_busy(start, end, bytes); });
}

double ThrottledSramBufferModel::access(const AccessRequest& r) { return port_.reserve(r.arrival, r.bytes, r.now); }

ModelStats ThrottledSramBufferModel::stats() const {
    ModelStats s;
    s.busy_cycles = port_.busy_cycles();
    s.queued_cycles = port_.queued_cycles();
    s.counters = {{"accesses", double(port_.accesses())}};
    return s;
}

}  // namespace example

namespace {
void register_models(acceltran::ModelRegistry& registry) {
    registry.add(example::ThrottledSramBufferModel::entry());
}
}  // namespace

// Exports acceltran_plugin_abi_version and acceltran_plugin_register.
ACCELTRAN_PLUGIN(register_models)
