// The Gemmini template's design points (configs/accelerators/gemmini-*.yaml, survey-analytic.yaml)
// and their validation, and the host CPU's calibration (docs/gemmini.md §7) recomputed from the
// op graph it was fitted to.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/accelerator_config.h"
#include "core/errors.h"
#include "modules/accelerator.h"
#include "tests/source_tree.h"
#include "workloads/graph_builder.h"
#include "workloads/model_spec.h"

using namespace acceltran;
using acceltran::testing::kConfigs;
using acceltran::testing::kModelsDir;

namespace {
std::string gemmini_error(const std::string& yaml) {
    try {
        parse_accelerator(YAML::Load(yaml), "bad.yaml");
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

const char* const kMinimalGemmini = R"(name: g
template: gemmini
buffers:
  scratchpad: {size_kb: 64}
  accumulator: {size_kb: 64}
)";
}  // namespace

TEST_CASE("Gemmini design points fill the shared modules' fields from their own keys", "[gemmini][config]") {
    const AcceleratorConfig base = load_accelerator("gemmini-baseline", kConfigs);
    CHECK(base.gemmini());
    CHECK(base.pes == 1);
    CHECK(base.macs_per_lane == 256);  // one 16x16 array
    CHECK(base.softmax_per_pe == 1);   // the host CPU core
    CHECK(base.layernorm_per_pe == 0);
    CHECK(base.weight_buffer.capacity_bytes() == 256u * 1024);
    CHECK(base.activation_buffer.capacity_bytes() == 64u * 1024);
    CHECK(base.element_bits() == 8);
    CHECK(base.activation_sparsity == 0);
    const AcceleratorConfig tuned = load_accelerator("gemmini-transformer", kConfigs);
    CHECK(tuned.softmax_per_pe == 16);  // I-BERT activation units
    CHECK(tuned.layernorm_per_pe == 1);
    CHECK(tuned.integer_units.fuse_gelu);
    // GELU is fused into its matmul when the graph is built; a GELU left unfused, softmax and
    // adds go to the activation units, norms to the normalization unit.
    const workloads::CompileOptions o = compile_options(tuned);
    CHECK(o.fuse_gelu);
    CHECK(o.unit_of(workloads::OpKind::Gelu) == workloads::UnitClass::Softmax);
    CHECK(o.unit_of(workloads::OpKind::LayerNorm) == workloads::UnitClass::LayerNorm);
    CHECK(o.unit_of(workloads::OpKind::Softmax) == workloads::UnitClass::Softmax);
    CHECK_FALSE(o.masks);
    const workloads::CompileOptions b = compile_options(base);
    CHECK(b.unit_of(workloads::OpKind::LayerNorm) == workloads::UnitClass::Softmax);  // the CPU
    CHECK(load_accelerator("survey-analytic", kConfigs).l2_kb == 2048);
    // The shipped designs' memory system is the survey's (Sec. 3.3): an L2 in front of DRAM,
    // 16 B/cycle to the L2 (what the accelerator sees), 64 B/cycle behind it. They accumulate
    // partial sums in place, so no weight is split into graph-level slices.
    CHECK(base.main_memory.model == "l2_cache");
    CHECK(base.memory_bytes_per_cycle() == Approx(16));
    CHECK(base.device_bytes_per_cycle() == Approx(64));
    CHECK_FALSE(b.split_weights);
    CHECK(compile_options(load_accelerator("acceltran-edge", kConfigs)).split_weights);
}

TEST_CASE("Gemmini: the l2_cache model's size is the L2 of the traffic rule, given once", "[gemmini][config]") {
    const std::string l2 = std::string(kMinimalGemmini) + "main_memory: {model: l2_cache, size_kb: 512}\n";
    CHECK(gemmini_error(l2).empty());
    CHECK(parse_accelerator(YAML::Load(l2), "g.yaml").l2_kb == 512);
    CHECK_THAT(gemmini_error(l2 + "l2: {size_kb: 1024}\n"),
               Catch::Contains("main_memory.model l2_cache describes the L2: give its size as main_memory.size_kb"));
}

TEST_CASE("Gemmini YAML errors name the key and what was expected", "[gemmini][config]") {
    CHECK(gemmini_error(kMinimalGemmini).empty());
    CHECK_THAT(gemmini_error(std::string(kMinimalGemmini) + "pe: {count: 2}\n"), Catch::Contains("pe"));
    CHECK_THAT(gemmini_error(std::string(kMinimalGemmini) + "tiling: {tile: [1, 16, 8]}\n"),
               Catch::Contains("the tile's y must equal the array dimension 16"));
    CHECK_THAT(gemmini_error(std::string(kMinimalGemmini) + "integer_units: {fuse_gelu: true}\n"),
               Catch::Contains("fuse_gelu needs integer GELU units"));
    CHECK_THAT(gemmini_error(std::string(kMinimalGemmini) + "integer_units: {activation_units: 4}\n"),
               Catch::Contains("I-BERT units come together"));
    CHECK_THAT(gemmini_error(std::string(kMinimalGemmini) + "systolic: {dataflow: row_stationary}\n"),
               Catch::Contains("systolic.dataflow"));
    CHECK_THAT(gemmini_error(std::string(kMinimalGemmini) + "host_cpu: {cycles_per_element: {exp: 3}}\n"),
               Catch::Contains("exp"));
    CHECK_THAT(gemmini_error("name: g\ntemplate: gemmini\nbuffers:\n  scratchpad: {size_kb: 64, size_mb: 1}\n"
                             "  accumulator: {size_kb: 64}\n"),
               Catch::Contains("give size_mb or size_kb, not both"));
    CHECK_THAT(gemmini_error("name: g\ntemplate: gemmini\nbuffers:\n  scratchpad: {size_kb: 64}\n"
                             "  accumulator: {size_kb: 0.5}\n"),
               Catch::Contains("cannot hold one tile"));
    CHECK_THAT(gemmini_error("name: g\ntemplate: tpu\n"), Catch::Contains("template"));
}

TEST_CASE("Gemmini baseline: the host CPU costs follow from the survey's shares they were fitted to",
          "[gemmini][calibration]") {
    // docs/gemmini.md §7: cost = share x T / elements, with T the time implied by the matmuls'
    // share of the baseline (4 %: "96 % non-matmul") at the 74 % utilization the survey reports
    // for a large matmul, on BERT-Base at sequence 512, batch 1. Conversions: every input element
    // of a CPU op is dequantized and every output quantized, at one shared cost.
    const workloads::OpGraph g = workloads::build_op_graph(workloads::load_model("bert-base", kModelsDir), 512, 1);
    double macs = 0, softmax = 0, gelu = 0, add = 0, norm = 0, conversions = 0;
    for (const workloads::Op& op : g.ops) {
        if (op.layer < 0) continue;  // the survey's breakdown is of the transformer blocks
        const double out = double(op.out_elements());
        switch (op.kind) {
            case workloads::OpKind::MatMul: macs += double(op.macs()); continue;
            case workloads::OpKind::Softmax: softmax += out; break;
            case workloads::OpKind::Gelu: gelu += out; break;
            case workloads::OpKind::Add: add += out; break;
            case workloads::OpKind::LayerNorm: norm += out; break;
            default: FAIL("BERT-Base has no " << workloads::to_string(op.kind) << " op");
        }
        conversions += out * (op.kind == workloads::OpKind::Add ? 3 : 2);
    }
    const double total = macs / (256 * 0.74) / 0.04;
    const AcceleratorConfig base = load_accelerator("gemmini-baseline", kConfigs);
    const HostCpuConfig& cpu = base.host_cpu;
    // Shipped values are the fitted ones rounded to whole cycles.
    CHECK(cpu.softmax == std::round(0.19 * total / softmax));
    CHECK(cpu.gelu == std::round(0.10 * total / gelu));
    CHECK(cpu.add == std::round(0.11 * total / add));
    CHECK(cpu.layernorm == std::round(0.04 * total / norm));
    CHECK(cpu.dequantize == std::round(0.49 * total / conversions));
    CHECK(cpu.quantize == cpu.dequantize);
}
