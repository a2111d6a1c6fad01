// The sparsity sweep's console table (explore/sparsity_table.*): a failed point's error is printed
// whole, however long (rows were formatted into a fixed 256-byte buffer, which cut it).
#include <catch2/catch.hpp>

#include <string>

#include "explore/sparsity_table.h"

using namespace acceltran::explore;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;

TEST_CASE("sparsity table: a failed point's long error is printed whole", "[sparsity_table]") {
    SparsityPoint failed;
    failed.series = SparsitySeries::TopK;
    failed.k = 16;
    failed.exit_code = 3;
    failed.error = "weights.safetensors: " + std::string(600, 'x') + " (the end of a long error)";
    const std::string table = sparsity_table({&failed});
    CHECK_THAT(table, Contains("topk") && Contains("16") && Contains("failed (exit 3): ") &&
                          Contains(failed.error) && EndsWith("(the end of a long error)\n"));
}
