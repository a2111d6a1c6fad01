// SHA-256 digests of input files for a run's provenance (summary.json's provenance.inputs), so
// that `acceltran rerun` can tell whether a file changed since the run. GNU Nettle (Debian's
// nettle-dev) computes them: a maintained implementation, not one of our own.
#pragma once

#include <string>

namespace acceltran {

// The digest of `bytes` as 64 lowercase hexadecimal digits.
std::string sha256_hex(const std::string& bytes);

// The digest of the file at `path`, read in chunks (a weights file may be gigabytes). InputError
// naming the file when it cannot be opened or read.
std::string sha256_file_hex(const std::string& path);

}  // namespace acceltran
