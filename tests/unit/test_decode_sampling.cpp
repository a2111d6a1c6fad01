// Sampled generations (docs/decoders.md §9) and the memory estimate (docs/robustness.md,
// Memory): which decode steps are built, what the steps left out leave in the cache, that a full
// list builds the exact graph, and that the estimate grows as the graph does.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/accelerator_config.h"
#include "core/errors.h"
#include "modules/accelerator.h"
#include "modules/simulation/memory_estimate.h"
#include "tests/source_tree.h"
#include "workloads/generation.h"
#include "workloads/model_spec.h"

using namespace acceltran;
using namespace acceltran::workloads;
using acceltran::testing::kModelsDir;
using acceltran::testing::kConfigs;

namespace {


GenerationOptions sampling_shape(int prompt, int gen, const std::string& accel) {
    GenerationOptions o;
    o.prompt_len = prompt;
    o.gen_len = gen;
    o.batch = 1;
    o.buffers = compile_options(load_accelerator(accel, kConfigs));
    return o;
}

std::vector<int> key_segments(const Op& o) {
    std::vector<int> all{o.b_input};
    all.insert(all.end(), o.b_more.begin(), o.b_more.end());
    return all;
}

}  // namespace

TEST_CASE("a generation within the budget simulates every step, a longer one a head and a spread", "[generation][sampling]") {
    CHECK(sampled_decode_steps(16, 16).empty());
    CHECK(sampled_decode_steps(8064, 0).empty());
    CHECK(sampled_decode_steps(5, 16).empty());
    // budget 16: 4 steps one by one, 12 spread over 5..100 ending at 100.
    const std::vector<int> s = sampled_decode_steps(100, 16);
    REQUIRE(s.size() == 16);
    CHECK(std::vector<int>(s.begin(), s.begin() + 4) == std::vector<int>{1, 2, 3, 4});
    CHECK(s[4] == 4 + (96 + 11) / 12);  // 4 + ceil(96 / 12)
    CHECK(s.back() == 100);
    for (std::size_t i = 1; i < s.size(); ++i) CHECK(s[i] > s[i - 1]);
    const std::vector<int> big = sampled_decode_steps(8064, 64);
    CHECK(big.size() == 64);
    CHECK(big[7] == 8);  // the head is capped at 8
    CHECK(big.back() == 8064);
    CHECK(sampled_decode_steps(3, 2) == std::vector<int>{1, 3});
    CHECK_THROWS_AS(sampled_decode_steps(100, 1), UsageError);
    CHECK_THROWS_AS(sampled_decode_steps(100, -1), UsageError);
}

TEST_CASE("listing every decode step builds the exact graph", "[generation][sampling]") {
    const ModelSpec m = load_model("gpt2", kModelsDir);
    GenerationOptions exact = sampling_shape(8, 6, "acceltran-edge");
    GenerationOptions listed = exact;
    listed.decode_steps = {1, 2, 3, 4, 5, 6};
    const OpGraph a = build_generation_graph(m, exact), b = build_generation_graph(m, listed);
    REQUIRE(a.ops.size() == b.ops.size());
    REQUIRE(a.tensors.size() == b.tensors.size());
    for (std::size_t i = 0; i < a.ops.size(); ++i) {
        CHECK(a.ops[i].name == b.ops[i].name);
        CHECK(a.ops[i].b_more == b.ops[i].b_more);
    }
}

TEST_CASE("steps left out leave one input segment per gap and layer in the cache", "[generation][sampling]") {
    const ModelSpec m = load_model("gpt2", kModelsDir);
    GenerationOptions o = sampling_shape(8, 20, "acceltran-edge");
    o.decode_steps = {1, 2, 10, 20};
    const OpGraph g = build_generation_graph(m, o);
    CHECK(g.gen_len == 20);
    CHECK(g.seq == 28);
    const Tensor& gap = g.tensor("decode3-9.l0.attn.k_rows");
    CHECK(gap.kind == TensorKind::Input);
    CHECK(gap.cache == CacheRole::Key);
    CHECK(gap.rows == 7);
    CHECK(g.tensor("decode11-19.l11.attn.v_rows").rows == 9);
    // Step 20 reads the prompt, steps 1 and 2, the gap 3-9, step 10, the gap 11-19 and itself:
    // 7 segments of 8 + 1 + 1 + 7 + 1 + 9 + 1 = 28 rows.
    const Op& scores = g.op("decode20.l0.attn.scores");
    CHECK(scores.n == 28);
    const std::vector<int> keys = key_segments(scores);
    REQUIRE(keys.size() == 7);
    std::int64_t rows = 0;
    for (int t : keys) rows += g.tensors[std::size_t(t)].rows;
    CHECK(rows == 28);
    CHECK(keys[3] == gap.id);
    CHECK(g.op("decode20.l0.attn.context").k == 28);
    // Steps not built have no ops.
    for (const Op& op : g.ops) CHECK((op.step == 0 || op.step == 1 || op.step == 2 || op.step == 10 || op.step == 20));
    o.decode_steps = {1, 5, 19};
    CHECK_THROWS_AS(build_generation_graph(m, o), InputError);  // must end at G
    o.decode_steps = {3, 2, 20};
    CHECK_THROWS_AS(build_generation_graph(m, o), InputError);
}

TEST_CASE("the memory estimate counts the graph's ops and cache reads, exact and sampled", "[generation][sampling][memory]") {
    const ModelSpec m = load_model("gpt2", kModelsDir);
    GenerationOptions o = sampling_shape(16, 12, "acceltran-server");
    const MemoryEstimate e = estimate_generation_memory(m, o);
    const OpGraph g = build_generation_graph(m, o);
    CHECK(e.ops == g.ops.size());
    std::uint64_t reads = 0;
    for (const Op& op : g.ops)
        if (op.b_batched) reads += 1 + op.b_more.size();
    CHECK(e.cache_reads == reads);
    CHECK(e.reloaded_reads == 0);  // 28 positions of GPT-2 stay in Server's 32 MiB
    CHECK(e.bytes == MemoryEstimate::kBaseBytes + MemoryEstimate::kBytesPerOp * e.ops +
                         MemoryEstimate::kBytesPerRead * e.cache_reads);

    o.decode_steps = {1, 2, 7, 12};
    const MemoryEstimate s = estimate_generation_memory(m, o);
    const OpGraph sg = build_generation_graph(m, o);
    CHECK(s.ops == sg.ops.size());
    reads = 0;
    for (const Op& op : sg.ops)
        if (op.b_batched) reads += 1 + op.b_more.size();
    CHECK(s.cache_reads == reads);

    // Without a prompt the first step is the smallest graph.
    GenerationOptions np = sampling_shape(0, 5, "acceltran-server");
    CHECK(estimate_generation_memory(m, np).ops == build_generation_graph(m, np).ops.size());
}

TEST_CASE("llama-8b's 8064-token generation: every step is far beyond 1 GiB, sampled far below", "[generation][sampling][memory]") {
    const ModelSpec m = load_model("llama-8b", kModelsDir);
    GenerationOptions o = sampling_shape(128, 8064, "acceltran-server");
    const MemoryEstimate exact = estimate_generation_memory(m, o);
    // 2 attention ops x 32 layers x (the prefill's one segment + sum over t of t + 1 segments).
    CHECK(exact.cache_reads == 64ull * (1 + 8064ull * 8065 / 2 + 8064));
    CHECK(exact.bytes > (13ull << 30));  // the run the issue saw pass 13 GiB before it ended
    o.decode_steps = sampled_decode_steps(8064, 16);
    const MemoryEstimate sampled = estimate_generation_memory(m, o);
    CHECK(sampled.bytes < (1ull << 30));
    CHECK(default_memory_limit() > 0);
}
