// libFuzzer target: the safetensors reader (workloads/functional/safetensors_file.*). Built by
// scripts/fuzz (-DACCELTRAN_FUZZ=ON); the entry point is shared with the replay test of the
// normal suite (fuzz_entry_points.h).
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    acceltran::fuzz::safetensors(acceltran::fuzz::bytes_text(data, size));
    return 0;
}
