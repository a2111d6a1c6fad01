#include "modules/run_result.h"

namespace acceltran {

nlohmann::json RunResult::to_json() const {
    using nlohmann::json;
    json j;
    j["cycles"] = cycles;
    j["seconds"] = seconds;
    j["clock_mhz"] = clock_mhz;
    j["batch"] = batch;
    j["throughput_seq_per_s"] = throughput_seq_per_s;
    json util = json::object();
    json stalls = json::object();
    json units_j = json::object();
    for (int c = 0; c < workloads::kUnitClasses; ++c) {
        const auto& u = units[c];
        const char* name = workloads::to_string(workloads::UnitClass(c));
        util[name] = u.utilization;
        units_j[name] = {{"units", u.units},
                         {"busy_unit_cycles", u.busy_unit_cycles},
                         {"tiles", u.tiles}};
        stalls[name] = {{"memory_wait_unit_cycles", u.memory_wait_unit_cycles},
                        {"dependency_wait_unit_cycles", u.dependency_wait_unit_cycles}};
    }
    util["dma"] = dma_utilization;
    util["main_memory"] = memory_utilization;
    stalls["memory_bound_cycles"] = memory_bound_cycles;
    j["utilization"] = util;
    j["stalls"] = stalls;
    j["units"] = units_j;
    json bytes = json::object();
    bytes["main_memory"] = {{"read", memory_read_bytes}, {"write", memory_write_bytes}};
    for (int b = 0; b < workloads::kBufferKinds; ++b) {
        const auto& buf = buffers[b];
        bytes[std::string(workloads::to_string(workloads::BufferKind(b))) + "_buffer"] = {
            {"read", buf.read_bytes}, {"write", buf.write_bytes}};
    }
    j["bytes"] = bytes;
    json bufs = json::object();
    for (int b = 0; b < workloads::kBufferKinds; ++b) {
        const auto& buf = buffers[b];
        bufs[workloads::to_string(workloads::BufferKind(b))] = {
            {"capacity_bytes", buf.capacity},
            {"peak_occupancy_bytes", buf.peak_occupancy},
            {"busy_cycles", buf.busy_cycles},
            {"queued_cycles", buf.queued_cycles}};
        // A model's own figures (docs/plugins.md): present only when it reports any.
        json& out = bufs[workloads::to_string(workloads::BufferKind(b))];
        out["model"] = buf.model;
        for (const auto& kv : buf.model_counters) out["model_counters"][kv.first] = kv.second;
        if (buf.model_energy_j != 0) out["model_energy_j"] = buf.model_energy_j;
    }
    j["buffers"] = bufs;
    json memory = {{"model", memory_model}};
    for (const auto& kv : memory_model_counters) memory["model_counters"][kv.first] = kv.second;
    if (memory_model_energy_j != 0) memory["model_energy_j"] = memory_model_energy_j;
    j["main_memory"] = memory;
    j["dma"] = {{"channels", dma_channels},
                {"busy_channel_cycles", dma_busy_channel_cycles},
                {"transfers", dma_transfers}};
    j["program"] = {{"entries", entries},
                    {"entries_retired", entries_retired},
                    {"jobs", jobs},
                    {"tile_ops", tile_ops},
                    {"tiles_executed", tiles_executed},
                    {"loads", load_entries},
                    {"spills", spill_entries},
                    {"stores", store_entries}};
    j["macs"] = {{"total", macs}, {"effectual", effectual_macs}};
    return j;
}

}  // namespace acceltran
