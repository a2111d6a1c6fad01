// How finely the processing elements simulate a job (`acceltran run --detail`). Full: every
// tile's operand reads, compute and writes as their own TLM transactions and events. Fast: a
// job's tiles summed into a few chunks with aggregated transactions (modules/compute/job_plan.h),
// the same bytes and nearly the same cycles; the tolerance is stated and tested in
// tests/integration/test_detail_levels.cpp.
#pragma once

#include <string>

#include "core/errors.h"

namespace acceltran {

enum class DetailLevel { Full, Fast };

inline const char* to_string(DetailLevel d) { return d == DetailLevel::Full ? "full" : "fast"; }

inline DetailLevel parse_detail_level(const std::string& s) {
    if (s == "full") return DetailLevel::Full;
    if (s == "fast") return DetailLevel::Fast;
    throw UsageError("--detail must be 'full' or 'fast', got '" + s + "'");
}

}  // namespace acceltran
