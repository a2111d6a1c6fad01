#include "modules/simulation/memory_estimate.h"

#include <unistd.h>

#include <algorithm>

namespace acceltran {

MemoryEstimate estimate_generation_memory(const workloads::ModelSpec& model,
                                          const workloads::GenerationOptions& options) {
    MemoryEstimate e;
    workloads::GenerationOptions o = options;
    o.decode_steps.clear();
    // Without a prompt the first token comes from decode step 1, so the smallest graph has it.
    const int first = options.prompt_len > 0 ? 0 : 1;
    o.gen_len = std::min(options.gen_len, first);
    const std::uint64_t base_ops = workloads::build_generation_graph(model, o).ops.size();
    std::uint64_t step_ops = 0;
    if (options.gen_len > first) {
        o.gen_len = first + 1;
        step_ops = workloads::build_generation_graph(model, o).ops.size() - base_ops;
    }

    // Bytes one cached position takes in the activation buffer, over every layer, K and V.
    const workloads::LayerSpec& layer = model.layers.front();
    const std::uint64_t row_values =
        std::uint64_t(options.batch) * std::uint64_t(layer.key_value_heads()) * std::uint64_t(layer.heads.front().width);
    const workloads::CompileOptions c = options.buffers.value_or(workloads::CompileOptions{});
    const double position_bytes = 2.0 * double(model.layers.size()) *
                                  double(workloads::compressed_bytes(row_values, c.activation_density, c.element_bits) +
                                         workloads::mask_bytes(row_values));
    const double resident_positions = double(c.capacity[int(workloads::BufferKind::Activation)]) / 2 / position_bytes;

    const std::uint64_t reads_per_segment = 2 * std::uint64_t(model.layers.size());  // scores and context
    const auto add_step = [&](int t, std::uint64_t segments) {
        e.ops += step_ops;
        e.cache_reads += reads_per_segment * segments;
        if (double(options.prompt_len + t) > resident_positions) e.reloaded_reads += reads_per_segment * segments;
    };
    e.ops = base_ops - (first == 1 ? step_ops : 0);
    const std::uint64_t prompt_segment = options.prompt_len > 0 ? 1 : 0;
    e.cache_reads = reads_per_segment * prompt_segment;  // the prefill's attention
    if (options.decode_steps.empty()) {
        for (int t = 1; t <= options.gen_len; ++t) add_step(t, prompt_segment + std::uint64_t(t));
    } else {
        // Each built step lists its own segment, those of the built steps before it, and one per
        // run of steps left out before it.
        std::uint64_t segments = prompt_segment;
        int previous = 0;
        for (int t : options.decode_steps) {
            segments += (t > previous + 1 ? 1 : 0) + 1;
            add_step(t, segments);
            previous = t;
        }
    }
    e.bytes = MemoryEstimate::kBaseBytes + MemoryEstimate::kBytesPerOp * e.ops +
              MemoryEstimate::kBytesPerRead * e.cache_reads + MemoryEstimate::kBytesPerReload * e.reloaded_reads;
    return e;
}

std::uint64_t default_memory_limit() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page <= 0) return 4ull << 30;
    return std::uint64_t(pages) * std::uint64_t(page) / 2;
}

}  // namespace acceltran
