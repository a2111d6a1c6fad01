// Sizes on the command line (core/byte_size.h): binary suffixes, plain bytes, and the refusals
// that name the option.
#include <catch2/catch.hpp>

#include "core/byte_size.h"
#include "core/errors.h"

using namespace acceltran;
using Catch::Matchers::Contains;

TEST_CASE("sizes parse with binary suffixes, or as plain bytes", "[byte_size]") {
    CHECK(parse_byte_size("4096", "--max-memory") == 4096);
    CHECK(parse_byte_size("1K", "--max-memory") == 1024);
    CHECK(parse_byte_size("512M", "--max-memory") == 512ull << 20);
    CHECK(parse_byte_size("512m", "--max-memory") == 512ull << 20);
    CHECK(parse_byte_size("2G", "--max-memory") == 2ull << 30);
    CHECK(parse_byte_size("2GiB", "--max-memory") == 2ull << 30);
    CHECK(parse_byte_size("2GB", "--max-memory") == 2ull << 30);
    CHECK(parse_byte_size("1.5G", "--max-memory") == 3ull << 29);
    CHECK(parse_byte_size("1T", "--max-memory") == 1ull << 40);
    CHECK(parse_byte_size("100B", "--max-memory") == 100);
}

TEST_CASE("a size that is not one is a usage error naming the option and the forms", "[byte_size]") {
    for (const char* bad : {"", "abc", "0", "-5", "1X", "G", "1iB", "2 G", "nan", "inf", "0.0001", "1e30G", "1GG"}) {
        INFO(bad);
        CHECK_THROWS_MATCHES(parse_byte_size(bad, "--max-memory"), UsageError,
                             Catch::Matchers::Predicate<UsageError>([](const UsageError& e) {
                                 const std::string m = e.what();
                                 return m.find("--max-memory expects a size") != std::string::npos &&
                                        m.find("512M") != std::string::npos;
                             }));
    }
}

TEST_CASE("sizes print in the largest binary unit", "[byte_size]") {
    CHECK(byte_size_text(900) == "900 bytes");
    CHECK(byte_size_text(1024) == "1.00 KiB");
    CHECK(byte_size_text(512ull << 20) == "512 MiB");
    CHECK(byte_size_text(3ull << 29) == "1.50 GiB");
    CHECK(byte_size_text(20ull << 30) == "20.0 GiB");
}
