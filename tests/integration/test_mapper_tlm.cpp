// The analytic cost model against the TLM model (docs/mapping.md §9): a fixed sample of tile
// shapes and loop orders, each simulated as the design point's own (every op takes it), compared
// op by op with the cost model's estimate by Spearman rank correlation.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/accelerator_config.h"
#include "explore/op_cost_model.h"
#include "modules/accelerator.h"
#include "modules/power/technology.h"
#include "modules/simulation/op_table.h"
#include "tests/integration/integration_support.h"
#include "tests/integration/rank_correlation.h"
#include "tests/unit/shipped_design.h"
#include "workloads/generation.h"
#include "workloads/graph_builder.h"
#include "workloads/model_spec.h"
#include "workloads/op_fusion.h"

using namespace acceltran;
using namespace acceltran::testing;

namespace {

workloads::OpKind mappertlm_kind(const workloads::ModelSpec& model, const std::string& op) {
    return workloads::build_op_graph(model, 64, 2).op(op).kind;
}

struct MapperTlmSample {
    int b, x, y;
    const char* order;
};

// Per op: the analytic figures and the TLM's for each sample, each simulated as the design point's
// own mapping (every op takes it) on `accel` with `fixed` overrides.
struct MapperTlmPairs {
    std::map<std::string, std::vector<double>> analytic_cycles, tlm_cycles, analytic_energy, tlm_energy;
};

// One run of the sample: `--set` overrides of the design point, an optional mapping file's text,
// and the mapping the cost model is given for each op (the design point's unless listed).
struct MapperTlmRun {
    std::vector<std::string> overrides;
    std::string mapping_yaml;
    std::map<std::string, workloads::MemoryBlock> blocks;
    std::vector<std::string> left_out;  // ops not compared in this run (left whole)
};

MapperTlmPairs mappertlm_collect_runs(const ScratchDir& dir, const std::string& accel, const std::vector<MapperTlmRun>& runs,
                                      const std::vector<std::string>& ops, const std::string& tag = "") {
    const std::vector<std::string> base = {"--model", "bert-tiny", "--accel", accel, "--seq", "64", "--batch", "2", "--quiet"};
    const workloads::ModelSpec model = workloads::load_model("bert-tiny", kModelsDir);
    MapperTlmPairs pairs;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const MapperTlmRun& run = runs[i];
        std::vector<std::string> args = {"run"};
        args.insert(args.end(), base.begin(), base.end());
        for (const std::string& o : run.overrides) {
            args.push_back("--set");
            args.push_back(o);
        }
        if (!run.mapping_yaml.empty()) {
            args.push_back("--mapping");
            args.push_back(dir.write(accel + tag + std::to_string(i) + ".yaml", run.mapping_yaml));
        }
        args.push_back("--out");
        args.push_back(dir / (accel + tag + std::to_string(i)));
        const auto r = run_acceltran(args, dir);
        INFO(describe(r));
        REQUIRE(r.exit_code == 0);
        const std::string csv = dir / (accel + tag + std::to_string(i) + "/ops.csv");
        const OpTable table = OpTable::read_csv(read_text(csv), csv);

        const AcceleratorConfig config = load_accelerator(accel, kConfigs, run.overrides);
        const workloads::CompileOptions options = compile_options(config);
        const workloads::OpGraph graph = workloads::build_op_graph(model, 64, 2, options);
        const explore::OpCostModel cost_model(config, power::load_technology(config.technology, kConfigs));
        for (const std::string& name : ops) {
            if (std::find(run.left_out.begin(), run.left_out.end(), name) != run.left_out.end()) continue;
            explore::MappingChoice choice = cost_model.default_choice();
            if (const auto b = run.blocks.find(name); b != run.blocks.end()) choice.block = b->second;
            const explore::OpCost cost = cost_model.evaluate(explore::OpShape::of(graph, graph.op(name), options), choice);
            REQUIRE(cost.fits);
            const auto row = std::find_if(table.rows.begin(), table.rows.end(), [&](const OpRow& o) { return o.op == name; });
            REQUIRE(row != table.rows.end());
            // The op's time from when it could start (its first transfer or tile, or the last
            // retirement of an op it reads from, whichever is later) to its last retirement.
            double ready = row->start_cycle;
            const workloads::Op& op = graph.op(name);
            for (int t : op.inputs()) {
                const int producer = graph.producer[std::size_t(t)];
                if (producer < 0) continue;
                for (const OpRow& p : table.rows)
                    if (p.op == graph.ops[std::size_t(producer)].name) ready = std::max(ready, p.end_cycle);
            }
            pairs.analytic_cycles[name].push_back(cost.cycles);
            pairs.tlm_cycles[name].push_back(row->end_cycle - ready);
            pairs.analytic_energy[name].push_back(cost.energy_j);
            pairs.tlm_energy[name].push_back(row->energy_j);
        }
    }
    return pairs;
}

// Tile shapes and loop orders, each as the design point's own (every op takes it).
MapperTlmPairs mappertlm_collect(const ScratchDir& dir, const std::string& accel, const std::vector<std::string>& fixed,
                                 const std::vector<MapperTlmSample>& samples, const std::vector<std::string>& ops) {
    std::vector<MapperTlmRun> runs;
    for (const MapperTlmSample& s : samples) {
        MapperTlmRun run;
        run.overrides = fixed;
        run.overrides.push_back("tiling.tile=[" + std::to_string(s.b) + "," + std::to_string(s.x) + "," +
                                std::to_string(s.y) + "]");
        run.overrides.push_back(std::string("tiling.loop_order=") + s.order);
        runs.push_back(std::move(run));
    }
    return mappertlm_collect_runs(dir, accel, runs, ops);
}

// Main-memory blocks given per op through a mapping file (MemoryBlock, docs/mapping.md §1.1): per
// group of ops run together, a first run with every op whole (the compiler's own plan), then one
// run per sample index with each op's `count`-long list of blocks (batch -1: left whole and not
// compared in that run); Edge cut to 4 PEs, main memory at 2,560 GB/s. `ops` gets the ops compared.
using MapperTlmBlockGroup = std::map<std::string, const std::vector<workloads::MemoryBlock>*>;
MapperTlmPairs mappertlm_collect_blocks(const ScratchDir& dir, const std::vector<MapperTlmBlockGroup>& groups,
                                        std::size_t count, std::vector<std::string>& ops, const std::string& tag = "g") {
    const std::vector<std::string> fixed = {"pe.count=4", "main_memory.bandwidth_gbps=2560"};
    MapperTlmPairs pairs;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        std::vector<std::string> group_ops;
        for (const auto& [name, blocks] : groups[g]) group_ops.push_back(name);
        std::vector<MapperTlmRun> runs(1);
        runs[0].overrides = fixed;
        for (std::size_t i = 0; i < count; ++i) {
            MapperTlmRun run;
            run.overrides = fixed;
            std::ostringstream yaml;
            yaml << "ops:\n";
            for (const auto& [name, blocks] : groups[g]) {
                const workloads::MemoryBlock& b = (*blocks)[i];
                if (b.batch < 0) {
                    run.left_out.push_back(name);
                    continue;
                }
                yaml << "  - op: " << name << "\n    block: {batch: " << b.batch << ", rows: " << b.rows
                     << ", columns: " << b.columns << (b.columns_outer ? ", order: columns_outer" : "")
                     << (b.depth > 0 ? ", depth: " + std::to_string(b.depth) : std::string()) << "}\n";
                run.blocks[name] = b;
            }
            run.mapping_yaml = yaml.str();
            runs.push_back(std::move(run));
        }
        const MapperTlmPairs part = mappertlm_collect_runs(dir, "acceltran-edge", runs, group_ops, tag + std::to_string(g));
        for (const std::string& name : group_ops) {
            pairs.analytic_cycles[name] = part.analytic_cycles.at(name);
            pairs.tlm_cycles[name] = part.tlm_cycles.at(name);
            pairs.analytic_energy[name] = part.analytic_energy.at(name);
            pairs.tlm_energy[name] = part.tlm_energy.at(name);
            ops.push_back(name);
        }
    }
    return pairs;
}

// Per op kind, pooled over its ops and the sample: Spearman's rho and the mean and largest
// relative error of the analytic figure against the TLM's; rho above `min_rho`. With a
// `tie_tolerance`, figures that close are ranked as ties on both sides.
// The ops' kinds are `graph`'s, BERT-Tiny's without one.
void mappertlm_check(const MapperTlmPairs& pairs, const std::vector<std::string>& ops, double min_rho,
                     double tie_tolerance = 0, double min_energy_rho = 0.9, const std::string& label = "",
                     const workloads::OpGraph* graph = nullptr) {
    std::map<std::string, std::vector<std::string>> kinds;
    for (const std::string& name : ops)
        kinds[workloads::to_string(graph ? graph->op(name).kind
                                         : mappertlm_kind(workloads::load_model("bert-tiny", kModelsDir), name))]
            .push_back(name);
    for (const auto& [kind, names] : kinds) {
        std::vector<double> ac, tc, ae, te;
        for (const std::string& name : names) {
            ac.insert(ac.end(), pairs.analytic_cycles.at(name).begin(), pairs.analytic_cycles.at(name).end());
            tc.insert(tc.end(), pairs.tlm_cycles.at(name).begin(), pairs.tlm_cycles.at(name).end());
            ae.insert(ae.end(), pairs.analytic_energy.at(name).begin(), pairs.analytic_energy.at(name).end());
            te.insert(te.end(), pairs.tlm_energy.at(name).begin(), pairs.tlm_energy.at(name).end());
        }
        const auto errors = [](const std::vector<double>& a, const std::vector<double>& t) {
            double sum = 0, worst = 0;
            for (std::size_t i = 0; i < a.size(); ++i) {
                const double e = std::abs(a[i] - t[i]) / t[i];
                sum += e / double(a.size());
                worst = std::max(worst, e);
            }
            return std::make_pair(sum, worst);
        };
        const auto [cycles_mean, cycles_worst] = errors(ac, tc);
        const auto [energy_mean, energy_worst] = errors(ae, te);
        // Where the model gives every mapping of the sample the same cycles (element-wise ops whose
        // time is set by bytes that no tile changes), there is no order to compare: the TLM's
        // cycles must then agree with it. The model leaves out per-tile latencies (a buffer's
        // 1-cycle latency, the first tile's reads), which cost the TLM up to 4 % here; 5 % bound.
        const bool tied = std::all_of(ac.begin(), ac.end(), [&](double v) { return v == ac.front(); });
        const double cycles_rho = spearman_rho(ac, tc, tie_tolerance),
                     energy_rho = spearman_rho(ae, te, tie_tolerance);
        std::ostringstream rho;
        if (tied) rho << "n/a (the model ties every mapping)"; else rho << cycles_rho;
        WARN(label << kind << " (" << ac.size() << " op x mapping pairs): Spearman cycles " << rho.str() << ", energy "
                  << energy_rho << "; relative error cycles mean " << cycles_mean << " max " << cycles_worst
                  << ", energy mean " << energy_mean << " max " << energy_worst);
        CHECK(energy_rho > min_energy_rho);
        if (tied)
            CHECK(cycles_worst < 0.05);
        else
            CHECK(cycles_rho > min_rho);
    }
}

}  // namespace

// docs/mapping.md §9: a fixed sample of tile shapes and loop orders, each run through the TLM
// model as the design point's own (every op takes it), on Edge cut to 4 PEs (64 lanes) so that a
// unit's job holds several output tiles and the loop order matters. Per op: the analytic cycles
// against the op's span in ops.csv (first transfer or tile to last retirement), the analytic
// energy against its ops.csv energy.
TEST_CASE("the analytic cost model ranks mappings as the TLM model does", "[integration][mapper]") {
    ScratchDir dir("mapper-tlm");
    const std::vector<std::string> ops = {"l0.attn.q",     "l0.attn.scores", "l0.ffn.h1", "l0.ffn.out",
                                          "l0.attn.probs", "l0.attn.ln",     "l0.ffn.gelu1"};
    const std::vector<MapperTlmSample> samples = {
        {1, 16, 16, "b_i_j_k"}, {1, 8, 8, "b_i_j_k"},  {1, 32, 32, "b_i_j_k"},  {2, 8, 32, "k_j_i_b"},
        {1, 32, 8, "b_j_k_i"},  {2, 16, 16, "i_k_b_j"}, {1, 8, 16, "j_b_k_i"},  {2, 32, 16, "k_i_j_b"},
        {1, 16, 32, "b_k_j_i"}, {1, 8, 32, "i_j_b_k"},  {2, 8, 8, "k_b_i_j"},   {1, 32, 16, "j_i_k_b"}};
    mappertlm_check(mappertlm_collect(dir, "acceltran-edge", {"pe.count=4", "main_memory.bandwidth_gbps=2560"}, samples, ops),
                    ops, 0.9);
}

// The same check on the Gemmini template (docs/gemmini.md §4): matmul tiles of 8 to 128 rows
// (always 16 wide) and loop orders that keep or change the array's weights, on the I-BERT design
// with main memory fast enough that the array's rule, not the DMA, sets the time.
TEST_CASE("the analytic cost model ranks Gemmini mappings as the TLM model does", "[integration][mapper][gemmini]") {
    ScratchDir dir("mapper-tlm-gemmini");
    const std::vector<std::string> ops = {"l0.attn.q", "l0.attn.scores", "l0.ffn.h1", "l0.ffn.out"};
    const std::vector<MapperTlmSample> samples = {{1, 16, 16, "b_i_j_k"}, {1, 64, 16, "b_i_j_k"}, {1, 128, 16, "b_i_j_k"},
                                                  {1, 8, 16, "b_j_k_i"},  {2, 32, 16, "k_j_b_i"}, {1, 32, 16, "j_k_i_b"},
                                                  {2, 64, 16, "b_k_j_i"}, {1, 16, 16, "k_j_i_b"}};
    mappertlm_check(mappertlm_collect(dir, "gemmini-transformer",
                                      {"main_memory.bandwidth_gbps=2560", "main_memory.link_gbps=2560"}, samples, ops),
                    ops,
                    0.9);
}

// Main-memory blocks (docs/mapping.md §1.1): per op a sample of `block:` choices given through a
// mapping file. Each block is legal for its op (op_directive.h): columns only for weight matmuls
// and GELU, rows below m only with one batch entry. Ops blocked in the same run are never
// neighbours: a blocked op reads its inputs from main memory, and whether the compiler must spill
// them first depends on whether their producer was blocked too, which a per-op model cannot see.
// For the same reason the sample leaves out ops that run beside a sibling on the same units
// (Q, K and V; Q.K^T beside V). Main memory at 2,560 GB/s as above, so that an op's span is not
// set by other ops' transfers queued in front of its own. Figures within 1 % of each other rank
// as ties: a mapper gains nothing from ordering mappings that close. The bound is the issue's
// 0.9, on cycles as on energy (docs/mapping.md §10.1 gives the measured figures).
TEST_CASE("the analytic cost model ranks main-memory blocks as the TLM model does", "[integration][mapper]") {
    ScratchDir dir("mapper-tlm-blocks");
    using workloads::MemoryBlock;
    // (batch, rows, columns); 0 is the whole extent. Attention ops have 2 x 2 batch entries.
    // The last three of `with_columns` run columns outer (MemoryBlock::columns_outer); the ops
    // without column blocks stay whole in those runs and are not compared there (batch -1).
    const std::vector<MemoryBlock> rows_only = {{1, 0, 0},  {1, 32, 0}, {1, 16, 0},  {2, 0, 0},  {1, 8, 0},
                                                {1, 48, 0}, {1, 24, 0}, {-1, 0, 0}, {-1, 0, 0}, {-1, 0, 0}};
    const std::vector<MemoryBlock> with_columns = {{1, 0, 0},   {1, 32, 0},  {1, 16, 64}, {0, 0, 64},
                                                   {1, 8, 128}, {1, 64, 32}, {1, 32, 48}, {1, 16, 64, true},
                                                   {1, 64, 32, true}, {1, 32, 48, true}};
    const std::vector<MapperTlmBlockGroup> groups = {
        {{"l0.attn.probs", &rows_only}, {"l0.attn.out", &with_columns}, {"l0.attn.ln", &rows_only},
         {"l0.ffn.gelu1", &with_columns}},
        {{"l0.attn.context", &rows_only}, {"l0.ffn.h1", &with_columns}, {"l0.ffn.out", &with_columns},
         {"l0.ffn.ln", &rows_only}}};
    std::vector<std::string> ops;
    const MapperTlmPairs pairs = mappertlm_collect_blocks(dir, groups, rows_only.size(), ops);
    mappertlm_check(pairs, ops, 0.9, 0.01);
}

// Blocks that cut k (MemoryBlock::depth, docs/mapping.md §1.1) on the two weight matmuls that are
// not neighbours (the attention output projection, k = 128, and FFN out, k = 512), beside uncut
// blocks of the same sizes: k blocks add A and weight slice loads and the partial sums' round
// trips through the lanes, which the cost model prices (§6.3). Same setting and bound as above.
TEST_CASE("the analytic cost model ranks k blocks as the TLM model does", "[integration][mapper]") {
    ScratchDir dir("mapper-tlm-kblocks");
    using workloads::MemoryBlock;
    // (batch, rows, columns, columns outer, depth); depth 0 is the whole k.
    const std::vector<MemoryBlock> with_depth = {
        {1, 0, 0, false, 0},    {1, 0, 0, false, 64},  {1, 0, 0, false, 16},   {1, 32, 0, false, 32},
        {1, 16, 64, false, 0},  {1, 16, 64, false, 16}, {0, 0, 64, false, 64},  {1, 64, 32, false, 32},
        {1, 32, 48, false, 0},  {1, 32, 48, false, 48}, {1, 8, 128, false, 16}, {0, 0, 0, false, 32}};
    const std::vector<MapperTlmBlockGroup> groups = {{{"l0.attn.out", &with_depth}, {"l0.ffn.out", &with_depth}}};
    std::vector<std::string> ops;
    const MapperTlmPairs pairs = mappertlm_collect_blocks(dir, groups, with_depth.size(), ops, "k");
    mappertlm_check(pairs, ops, 0.9, 0.01);
}

// The order of main-memory blocks (MemoryBlock::columns_outer, docs/mapping.md §1.1): BERT-Tiny's
// attention output projection (2 x 64 x 128 x 128, weight 22,528 bytes with its mask) in blocks
// of 16 rows x 32 columns, 8 row blocks x 4 column blocks, rows outer and columns outer. On Edge
// the weight fits whole, so rows outer loads it once and columns outer only loads the A slices
// again per column block; with a 16 KiB weight buffer it does not, so rows outer reloads the
// weight's column slices for every row block and columns outer keeps each one. The run's
// main-memory bytes must move as the cost model says (the only change is this op's traffic;
// slices here divide evenly, so the bytes agree exactly), and the functional values must not
// change with the order.
TEST_CASE("the order of main-memory blocks moves traffic as the cost model predicts and leaves values alone",
          "[integration][mapper][mapping]") {
    ScratchDir dir("mapper-tlm-block-order");
    const workloads::ModelSpec model = workloads::load_model("bert-tiny", kModelsDir);
    struct OrderCase {
        std::vector<std::string> overrides;
        bool functional;
        bool columns_outer_reads_less;
    };
    const std::vector<OrderCase> cases = {{{}, true, false}, {{"buffers.weight.size_mb=0.015625"}, false, true}};
    for (std::size_t c = 0; c < cases.size(); ++c) {
        const OrderCase& oc = cases[c];
        std::map<bool, double> tlm_bytes, model_bytes, cycles;
        std::map<bool, nlohmann::json> functional;
        for (const bool columns_outer : {false, true}) {
            const std::string name = "case" + std::to_string(c) + (columns_outer ? "-columns" : "-rows");
            std::vector<std::string> args = {"run", "--model", "bert-tiny", "--accel", "acceltran-edge", "--seq", "64",
                                             "--batch", "2", "--quiet", "--out", dir / name, "--mapping",
                                             dir.write(name + ".yaml", std::string("ops:\n  - op: l0.attn.out\n    block: "
                                                                                   "{batch: 1, rows: 16, columns: 32, order: ") +
                                                                           (columns_outer ? "columns_outer" : "rows_outer") +
                                                                           "}\n")};
            for (const std::string& o : oc.overrides) {
                args.push_back("--set");
                args.push_back(o);
            }
            const auto r = run_acceltran(args, dir);
            INFO(describe(r));
            REQUIRE(r.exit_code == 0);
            const nlohmann::json summary = load_json(dir / (name + "/summary.json"));
            tlm_bytes[columns_outer] = summary["bytes"]["main_memory"]["read"].get<double>() +
                                       summary["bytes"]["main_memory"]["write"].get<double>();
            cycles[columns_outer] = summary["cycles"].get<double>();
            if (oc.functional) {  // a run of its own: the functional mode's traffic is its own
                args[11] = dir / (name + "-functional");  // the --out directory
                args.push_back("--functional");
                const auto f = run_acceltran(args, dir);
                INFO(describe(f));
                REQUIRE(f.exit_code == 0);
                functional[columns_outer] = load_json(dir / (name + "-functional/summary.json"))["functional"];
                REQUIRE(functional[columns_outer].contains("output_error_vs_dense"));
            }

            const AcceleratorConfig config = load_accelerator("acceltran-edge", kConfigs, oc.overrides);
            const workloads::CompileOptions options = compile_options(config);
            const workloads::OpGraph graph = workloads::build_op_graph(model, 64, 2, options);
            const explore::OpCostModel cost_model(config, power::load_technology(config.technology, kConfigs));
            explore::MappingChoice choice = cost_model.default_choice();
            choice.block = workloads::MemoryBlock{1, 16, 32, columns_outer};
            const explore::OpCost cost =
                cost_model.evaluate(explore::OpShape::of(graph, graph.op("l0.attn.out"), options), choice);
            REQUIRE(cost.fits);
            model_bytes[columns_outer] = cost.memory_bytes;
        }
        INFO("case " << c << ": TLM bytes rows outer " << tlm_bytes[false] << ", columns outer " << tlm_bytes[true]
                     << "; model " << model_bytes[false] << ", " << model_bytes[true]);
        CHECK(cycles[false] != cycles[true]);  // the blocks did run in another order
        CHECK((tlm_bytes[true] < tlm_bytes[false]) == oc.columns_outer_reads_less);
        CHECK((model_bytes[true] < model_bytes[false]) == oc.columns_outer_reads_less);
        CHECK(tlm_bytes[true] - tlm_bytes[false] == Approx(model_bytes[true] - model_bytes[false]));
        if (oc.functional) CHECK(functional[false] == functional[true]);
    }
}

namespace {

// A fused chain of BERT-Tiny's layer 0 (docs/mapping.md §11.1): its producer, its ops after it
// (the last one the op a mapping's `fuse` names) and the producer mappings sampled (a block and
// a buffer tile each).
struct MapperTlmChainMapping {
    workloads::MemoryBlock block;
    workloads::TileShape tile;  // the producer's buffer tile (the consumers keep the design point's)
};

struct MapperTlmChain {
    std::string producer;
    std::vector<std::string> consumers;
    const std::vector<MapperTlmChainMapping>* mappings;
};

// The model a chain check runs: `run`'s arguments that name it and its shape, and the graph
// they give for the compile options of the design point.
struct MapperTlmWorkload {
    std::vector<std::string> args;
    std::function<workloads::OpGraph(const workloads::CompileOptions&)> graph;
};

// Each chain under each of its producer mappings, once apart (the producer blocked, its consumers
// whole: the default mapping) and once fused; the chain's figures keyed by its last op. The
// analytic cycles and energy: apart, evaluate_apart (the ops' estimates added, the first
// consumer loading the blocked producer's output); fused, evaluate_fused. The TLM's: the chain's
// span in ops.csv (from when the producer could start on its units to the last retirement of any
// op of the chain) and the ops' energies added, with, fused, the change of energy of the ops that
// reload an output the chain stores along.
MapperTlmPairs mappertlm_collect_chains(const ScratchDir& dir, const MapperTlmWorkload& workload,
                                        const std::vector<std::string>& fixed, const std::vector<MapperTlmChain>& chains,
                                        std::size_t samples, const std::string& tag) {
    const std::string accel = "acceltran-edge";
    std::vector<std::string> base = workload.args;
    base.insert(base.end(), {"--accel", accel, "--quiet"});
    const AcceleratorConfig config = load_accelerator(accel, kConfigs, fixed);
    const workloads::CompileOptions options = compile_options(config);
    const workloads::OpGraph graph = workload.graph(options);
    const explore::OpCostModel cost_model(config, power::load_technology(config.technology, kConfigs));
    MapperTlmPairs pairs;
    for (std::size_t i = 0; i < samples; ++i) {
        // Per chain, the energy of the ops outside it that read an output it stores along, in the
        // run apart (before the fused run of the same mapping).
        std::map<std::string, double> readers_apart;
        for (const bool fused : {false, true}) {
            std::ostringstream yaml;
            yaml << "ops:\n";
            for (const MapperTlmChain& c : chains) {
                const workloads::MemoryBlock& b = (*c.mappings)[i].block;
                const workloads::TileShape& t = (*c.mappings)[i].tile;
                yaml << "  - op: " << c.producer << "\n    block: {batch: " << b.batch << ", rows: " << b.rows
                     << ", columns: " << b.columns << "}\n    buffer_tile: {b: " << t.b << ", x: " << t.x
                     << ", y: " << t.y << "}\n";
                if (fused) yaml << "  - op: " << c.consumers.back() << "\n    fuse: true\n";
            }
            const std::string name = accel + tag + std::to_string(i) + (fused ? "f" : "a");
            std::vector<std::string> args = {"run"};
            args.insert(args.end(), base.begin(), base.end());
            for (const std::string& o : fixed) {
                args.push_back("--set");
                args.push_back(o);
            }
            args.push_back("--mapping");
            args.push_back(dir.write(name + ".yaml", yaml.str()));
            args.push_back("--out");
            args.push_back(dir / name);
            const auto r = run_acceltran(args, dir);
            INFO(describe(r));
            REQUIRE(r.exit_code == 0);
            const std::string csv = dir / (name + "/ops.csv");
            const OpTable table = OpTable::read_csv(read_text(csv), csv);
            const auto row_of = [&](const std::string& op) {
                const auto row = std::find_if(table.rows.begin(), table.rows.end(), [&](const OpRow& o) { return o.op == op; });
                REQUIRE(row != table.rows.end());
                return *row;
            };
            for (const MapperTlmChain& c : chains) {
                explore::MappingChoice pm = cost_model.default_choice();
                pm.block = (*c.mappings)[i].block;
                pm.tile = (*c.mappings)[i].tile;
                const explore::OpShape producer = explore::OpShape::of(graph, graph.op(c.producer), options);
                std::vector<explore::OpShape> consumers;
                std::vector<explore::MappingChoice> consumer_mappings;
                // A pre-norm decoder's residual stream, stored along (docs/mapping.md §11.1).
                std::string why;
                const workloads::FusedChain chain = workloads::fusion_chain_of(graph, graph.op(c.consumers.back()), why);
                INFO(why);
                REQUIRE(chain.producer == graph.op(c.producer).id);
                std::vector<bool> stored_along;
                for (const std::string& op : c.consumers) {
                    consumers.push_back(explore::OpShape::of(graph, graph.op(op), options));
                    consumer_mappings.push_back(cost_model.default_choice());
                    stored_along.push_back(std::find(chain.stored.begin(), chain.stored.end(), graph.op(op).output) !=
                                           chain.stored.end());
                }
                double cycles = 0, energy = 0;
                if (fused) {
                    const explore::OpCost cost =
                        cost_model.evaluate_fused(producer, pm, consumers, consumer_mappings, stored_along);
                    REQUIRE(cost.fits);
                    cycles = cost.cycles;
                    energy = cost.energy_j;
                } else {
                    const explore::OpCost cost = cost_model.evaluate_apart(producer, pm, consumers, consumer_mappings);
                    REQUIRE(cost.fits);
                    cycles = cost.cycles;
                    energy = cost.energy_j;
                }
                const OpRow first = row_of(c.producer);
                double ready = first.start_cycle, end = first.end_cycle, tlm_energy = first.energy_j;
                for (int t : graph.op(c.producer).inputs()) {
                    const int q = graph.producer[std::size_t(t)];
                    if (q >= 0) ready = std::max(ready, row_of(graph.ops[std::size_t(q)].name).end_cycle);
                }
                // ...and only once the ops before it in the program that hold its units have
                // retired: the control block gives free units to the ready entry of the lowest
                // program index, so the V projection, ready before Q.K^T and before it in the
                // program, takes every lane first; counting from K's end put V's tiles in the
                // chain's span (docs/mapping.md §10.2).
                for (const OpRow& o : table.rows) {  // ops.csv lists the ops in program order
                    if (o.op == c.producer) break;
                    if (o.unit == first.unit) ready = std::max(ready, o.end_cycle);
                }
                for (const std::string& op : c.consumers) {
                    const OpRow row = row_of(op);
                    end = std::max(end, row.end_cycle);
                    tlm_energy += row.energy_j;
                }
                // A stored-along output (the residual stream) is loaded again by its readers
                // outside the chain, where apart they find it on chip: the TLM model charges that
                // load to them, evaluate_fused to the chain (the mapper must see it). So the
                // readers' change of energy from the run apart counts in the fused chain's.
                double readers = 0;
                for (const int t : chain.stored)
                    for (const workloads::Op& reader : graph.ops)
                        if (std::find(c.consumers.begin(), c.consumers.end(), reader.name) == c.consumers.end() &&
                            reader.name != c.producer) {
                            const std::vector<int> in = reader.inputs();
                            if (std::find(in.begin(), in.end(), t) != in.end()) readers += row_of(reader.name).energy_j;
                        }
                const std::string& key = c.consumers.back();
                if (!fused) readers_apart[key] = readers;
                else tlm_energy += readers - readers_apart[key];
                pairs.analytic_cycles[key].push_back(cycles);
                pairs.tlm_cycles[key].push_back(end - ready);
                pairs.analytic_energy[key].push_back(energy);
                pairs.tlm_energy[key].push_back(tlm_energy);
            }
        }
    }
    return pairs;
}

}  // namespace

// Fused chains (docs/mapping.md §11, §10.2): each chain of BERT-Tiny's layer 0, and the decoder's
// chains of a Llama-style model as small, under 10 producer mappings, apart and fused, compared
// chain by chain like single ops above (Edge cut to 4 PEs, main memory at 2,560 GB/s). Chains in
// one run are never neighbours (Q.K^T + softmax beside FFN W1 + GELU; W_out + add + norm beside
// FFN W2 + add + norm; the decoder's W_out chain of layer 0 beside FFN down of layer 1), for the
// reason the blocks' test gives. Figures
// within 1 % rank as ties. The mappings pair a block with a buffer tile: blocks alone (with the
// design point's tile) leave the fused GELU chain's TLM cycles within 1 % of each other (the
// producer's blocks run side by side on the 64 lanes whatever their size), so their ranking
// would compare noise; the tiles change how many lanes the producer's blocks take (from 1 to 64
// jobs), which moves the TLM's cycles by up to 10x and is a choice the mapper makes too.
TEST_CASE("the analytic cost model ranks fused chains as the TLM model does", "[integration][mapper][fusion]") {
    ScratchDir dir("mapper-tlm-fusion");
    using workloads::MemoryBlock;
    const std::vector<MapperTlmChainMapping> rows_only = {
        {{1, 0, 0}, {1, 16, 16}}, {{1, 32, 0}, {1, 16, 16}}, {{1, 16, 0}, {1, 8, 8}},   {{2, 0, 0}, {2, 32, 32}},
        {{1, 8, 0}, {1, 8, 16}},  {{1, 48, 0}, {1, 16, 16}}, {{1, 24, 0}, {1, 8, 32}},  {{1, 0, 0}, {1, 64, 64}},
        {{1, 32, 0}, {1, 32, 64}}, {{2, 0, 0}, {1, 16, 64}}};
    const std::vector<MapperTlmChainMapping> with_columns = {
        {{1, 0, 0}, {1, 16, 16}},   {{1, 32, 0}, {1, 16, 16}},  {{1, 16, 64}, {1, 8, 8}},  {{0, 0, 64}, {2, 32, 32}},
        {{1, 8, 128}, {1, 8, 16}},  {{1, 64, 32}, {1, 16, 16}}, {{1, 32, 48}, {1, 8, 32}}, {{1, 0, 0}, {1, 64, 64}},
        {{1, 32, 128}, {1, 32, 64}}, {{0, 0, 128}, {1, 16, 64}}};
    const std::vector<std::vector<MapperTlmChain>> groups = {
        {{"l0.attn.scores", {"l0.attn.probs"}, &rows_only}, {"l0.ffn.h1", {"l0.ffn.gelu1"}, &with_columns}},
        {{"l0.attn.out", {"l0.attn.residual", "l0.attn.ln"}, &with_columns},
         {"l0.ffn.out", {"l0.ffn.residual", "l0.ffn.ln"}, &with_columns}}};
    const std::vector<std::string> fixed = {"pe.count=4", "main_memory.bandwidth_gbps=2560"};
    const MapperTlmWorkload bert = {{"--model", "bert-tiny", "--seq", "64", "--batch", "2"},
                                    [](const workloads::CompileOptions& o) {
                                        return workloads::build_op_graph(workloads::load_model("bert-tiny", kModelsDir),
                                                                         64, 2, o);
                                    }};
    std::vector<MapperTlmPairs> parts;
    for (std::size_t g = 0; g < groups.size(); ++g)
        parts.push_back(mappertlm_collect_chains(dir, bert, fixed, groups[g], rows_only.size(), "c" + std::to_string(g)));
    // Every chain: the 0.9 on cycles and energy (measured: docs/mapping.md §10.2).
    mappertlm_check(parts[1], {"l0.attn.ln", "l0.ffn.ln"}, 0.9, 0.01, 0.9, "chain ending in ");
    mappertlm_check(parts[0], {"l0.attn.probs"}, 0.9, 0.01, 0.9, "chain ending in ");
    mappertlm_check(parts[0], {"l0.ffn.gelu1"}, 0.9, 0.01, 0.9, "chain ending in ");

    // The decoder's chains (docs/mapping.md §11.1) on a Llama-style model as small as BERT-Tiny
    // (tests/data/models/tiny-llama.yaml), the prefill of 64 tokens, batch 2: W_out + add +
    // RMSNorm and FFN down + add + the next layer's RMSNorm, each storing the residual stream
    // along, and up + SwiGLU with the gate's output read beside it.
    const std::string llama_yaml = kSourceDir + "/tests/data/models/tiny-llama.yaml";
    const MapperTlmWorkload llama = {{"--model", llama_yaml, "--prompt-len", "64", "--gen-len", "0", "--batch", "2"},
                                     [&](const workloads::CompileOptions& o) {
                                         workloads::GenerationOptions g;
                                         g.prompt_len = 64;
                                         g.gen_len = 0;
                                         g.batch = 2;
                                         g.buffers = o;
                                         return workloads::build_generation_graph(workloads::load_model_yaml(llama_yaml), g);
                                     }};
    const std::vector<std::vector<MapperTlmChain>> decoder_groups = {
        {{"prefill.l0.attn.out", {"prefill.l0.attn.residual", "prefill.l0.ffn.norm"}, &with_columns},
         {"prefill.l1.ffn.down", {"prefill.l1.ffn.residual", "prefill.l2.attn.norm"}, &with_columns}},
        {{"prefill.l0.ffn.up", {"prefill.l0.ffn.swiglu"}, &with_columns}}};
    std::vector<MapperTlmPairs> decoder_parts;
    for (std::size_t g = 0; g < decoder_groups.size(); ++g)
        decoder_parts.push_back(mappertlm_collect_chains(dir, llama, fixed, decoder_groups[g], with_columns.size(),
                                                         "d" + std::to_string(g)));
    const workloads::OpGraph llama_graph = llama.graph(compile_options(load_accelerator("acceltran-edge", kConfigs, fixed)));
    mappertlm_check(decoder_parts[0], {"prefill.l0.ffn.norm", "prefill.l2.attn.norm"}, 0.9, 0.01, 0.9, "chain ending in ",
                    &llama_graph);
    mappertlm_check(decoder_parts[1], {"prefill.l0.ffn.swiglu"}, 0.9, 0.01, 0.9, "chain ending in ", &llama_graph);
}
