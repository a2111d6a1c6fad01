#include "core/sha256.h"

#include <fstream>

#include <nettle/sha2.h>

#include "core/errors.h"

namespace acceltran {

namespace {

// GNU Nettle's SHA-256 keeps its state in a plain struct and needs no library start-up: the
// first digest through OpenSSL 3's EVP interface loaded its configuration and providers, about
// 1.5 ms of every run's start-up (docs/performance.md, "Start-up: SHA-256 without OpenSSL").
class Sha256 {
public:
    Sha256() { sha256_init(&context_); }
    void update(const char* data, std::size_t n) {
        sha256_update(&context_, n, reinterpret_cast<const std::uint8_t*>(data));
    }
    std::string hex() {
        std::uint8_t digest[SHA256_DIGEST_SIZE];
        sha256_digest(&context_, sizeof digest, digest);
        static const char digits[] = "0123456789abcdef";
        std::string text;
        for (std::uint8_t byte : digest) {
            text += digits[byte >> 4];
            text += digits[byte & 15];
        }
        return text;
    }

private:
    sha256_ctx context_;
};

}  // namespace

std::string sha256_hex(const std::string& bytes) {
    Sha256 digest;
    digest.update(bytes.data(), bytes.size());
    return digest.hex();
}

std::string sha256_file_hex(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path + ": cannot open file to compute its SHA-256");
    Sha256 digest;
    char chunk[1 << 16];
    while (in.read(chunk, sizeof chunk).gcount() > 0) digest.update(chunk, std::size_t(in.gcount()));
    if (in.bad()) throw InputError(path + ": read error while computing its SHA-256");
    return digest.hex();
}

}  // namespace acceltran
