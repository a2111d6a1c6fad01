// How the control block cuts a compute entry into jobs, one per unit: near-equal contiguous
// ranges of the entry's output tiles in loop order, and with the original's independent k tiles
// (CompatConfig::spread_k_tiles) or a k split across units (TileGrid::k_parts) each group's k
// steps in parts. Shared by the control block,
// which hands out job indices, and the processing element, which turns them into tile ranges.
#pragma once

#include <cstdint>

namespace acceltran {

// One job's output tiles [first_output, end_output) and their k steps [k_begin, k_end)
// (k_end -1: to the last).
struct JobRange {
    std::uint64_t first_output = 0, end_output = 0;
    std::int64_t k_begin = 0, k_end = -1;
};

struct JobSplit {
    std::uint64_t outputs = 0;
    std::uint64_t jobs = 1;
    // > 1: job i covers group i / k_parts of the outputs (jobs / k_parts near-equal contiguous
    // groups; one output each under spread_k_tiles) and part i % k_parts of their k steps.
    std::int64_t k_parts = 1;
    std::int64_t k_steps = 1;

    // Job i covers outputs [i * outputs / jobs, (i + 1) * outputs / jobs).
    JobRange range(std::uint64_t job) const {
        JobRange r;
        if (k_parts > 1) {
            const std::uint64_t groups = jobs / std::uint64_t(k_parts), group = job / std::uint64_t(k_parts);
            r.first_output = group * outputs / groups;
            r.end_output = (group + 1) * outputs / groups;
            const auto part = std::int64_t(job % std::uint64_t(k_parts));
            r.k_begin = part * k_steps / k_parts;
            r.k_end = (part + 1) * k_steps / k_parts;
            return r;
        }
        r.first_output = job * outputs / jobs;
        r.end_output = (job + 1) * outputs / jobs;
        return r;
    }
};

}  // namespace acceltran
