// GELU fused into the matmul before it (workloads/op_fusion.h): what the graph looks like after.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/source_tree.h"
#include "workloads/graph_builder.h"
#include "workloads/model_spec.h"
#include "workloads/op_fusion.h"

using namespace acceltran::workloads;
using acceltran::testing::kModelsDir;

TEST_CASE("fuse_gelu_into_matmuls: each FFN's GELU disappears into its first matmul", "[workloads][fusion]") {
    const OpGraph original = build_op_graph(load_model("bert-tiny", kModelsDir), 32, 2);
    OpGraph g = original;
    const auto gelus = std::count_if(original.ops.begin(), original.ops.end(), [](const Op& o) { return o.kind == OpKind::Gelu; });
    REQUIRE(gelus == 2);  // one per layer
    CHECK(fuse_gelu_into_matmuls(g) == 2);
    CHECK(g.ops.size() == original.ops.size() - 2);
    CHECK(std::none_of(g.ops.begin(), g.ops.end(), [](const Op& o) { return o.kind == OpKind::Gelu; }));
    // The FFN's first matmul now writes what the GELU wrote, and the FFN's second matmul reads it.
    const Op& h1 = g.op("l0.ffn.h1");
    CHECK(h1.fused_gelu);
    CHECK(h1.output == original.op("l0.ffn.gelu1").output);
    CHECK(g.consumers[std::size_t(h1.output)] == std::vector<int>{g.op("l0.ffn.out").id});
    // The intermediate tensor is left without producer or reader.
    const int hidden = original.op("l0.ffn.h1").output;
    CHECK(g.producer[std::size_t(hidden)] == -1);
    CHECK(g.consumers[std::size_t(hidden)].empty());
    // Ids follow positions, every producer entry agrees with its op, and a second pass fuses nothing.
    for (std::size_t i = 0; i < g.ops.size(); ++i) {
        CHECK(g.ops[i].id == int(i));
        CHECK(g.producer[std::size_t(g.ops[i].output)] == int(i));
    }
    CHECK(fuse_gelu_into_matmuls(g) == 0);
}
