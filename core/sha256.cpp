#include "core/sha256.h"

#include <fstream>
#include <memory>

#include <openssl/evp.h>

#include "core/errors.h"

namespace acceltran {

namespace {

// One EVP digest context: OpenSSL 3 deprecates the SHA256_* functions in favour of EVP.
class Sha256 {
public:
    Sha256() : context_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
        if (!context_ || EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) != 1)
            throw std::runtime_error("OpenSSL cannot start a SHA-256 digest");
    }
    void update(const char* data, std::size_t n) {
        if (EVP_DigestUpdate(context_.get(), data, n) != 1) throw std::runtime_error("OpenSSL SHA-256 update failed");
    }
    std::string hex() {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        if (EVP_DigestFinal_ex(context_.get(), digest, &length) != 1)
            throw std::runtime_error("OpenSSL SHA-256 final failed");
        static const char digits[] = "0123456789abcdef";
        std::string text;
        for (unsigned int i = 0; i < length; ++i) {
            text += digits[digest[i] >> 4];
            text += digits[digest[i] & 15];
        }
        return text;
    }

private:
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context_;
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
