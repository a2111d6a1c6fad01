// Memory sizes as people write them on a command line (`--max-memory 512M`, `2G`, `1.5GiB`,
// `4096`), and back as text for messages. Suffixes are binary: K = 1024 bytes, M = 1024^2,
// G = 1024^3, T = 1024^4, each optionally followed by `i` and/or `B`, in any case; a plain
// number is bytes.
#pragma once

#include <cstdint>
#include <string>

namespace acceltran {

// The size `text` gives, in whole bytes (a fraction of a byte is dropped); UsageError naming
// `option` and the accepted forms for anything else (empty, negative, zero, not finite, an
// unknown suffix, more than 2^63 bytes).
std::uint64_t parse_byte_size(const std::string& text, const std::string& option);

// "512 MiB", "1.50 GiB", "900 bytes": the largest binary unit that keeps the value at least 1,
// three significant figures.
std::string byte_size_text(std::uint64_t bytes);

}  // namespace acceltran
