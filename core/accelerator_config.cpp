#include "core/accelerator_config.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/config_node.h"
#include "core/errors.h"
#include "core/input_file.h"
#include "core/install_layout.h"
#include "core/model_registry.h"

namespace acceltran {

namespace {

namespace fs = std::filesystem;

std::string number_text(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

// ConfigNode has no bounded floating-point getter; these keep the range in the message.
double positive_at_most(const ConfigNode& c, double hi) {
    double v = c.as_double();
    if (!(v > 0 && v <= hi)) c.fail("a number greater than 0 and at most " + number_text(hi));
    return v;
}

double non_negative(const ConfigNode& c) {
    double v = c.as_double();
    if (!(v >= 0)) c.fail("a number of at least 0");
    return v;
}

int int_in(const ConfigNode& n, const std::string& key, std::int64_t lo, std::int64_t hi,
           int fallback) {
    return int(n.get_int_in(key, lo, hi, fallback));
}

// Optional sub-mapping; absent means "all defaults", so callers get an empty map to read from.
ConfigNode section(const ConfigNode& n, const std::string& key) {
    if (n.has(key)) return n.child(key);
    return ConfigNode(YAML::Node(YAML::NodeType::Map), n.file(),
                      n.path().empty() ? key : n.path() + "." + key);
}

void parse_pe(const ConfigNode& n, AcceleratorConfig& c) {
    n.expect_keys({"count", "lanes_per_pe", "macs_per_lane", "softmax_per_pe", "layernorm_per_pe",
                   "nonlinearity"});
    c.pes = int_in(n, "count", 1, 1 << 20, c.pes);
    c.lanes_per_pe = int_in(n, "lanes_per_pe", 1, 4096, c.lanes_per_pe);
    c.macs_per_lane = int_in(n, "macs_per_lane", 1, 4096, c.macs_per_lane);
    c.softmax_per_pe = int_in(n, "softmax_per_pe", 1, 4096, c.softmax_per_pe);
    c.layernorm_per_pe = int_in(n, "layernorm_per_pe", 1, 64, c.layernorm_per_pe);
    c.nonlinearity = n.get_choice("nonlinearity", {"gelu", "relu"}, c.nonlinearity);
}

// Elaboration builds one SystemC module per PE and one object per MAC lane, softmax and
// layer-norm unit. Measured on the RelWithDebInfo build: 16384 PEs of one lane and one softmax
// unit take 220 MB, 64 PEs of 4096 lanes take 114 MB; these round that up. Each key's own range
// allows designs (2^20 PEs of 4096 lanes) that would exhaust any machine's memory before the
// first event, so the product is checked here, with the figures in the message.
constexpr std::uint64_t kBytesPerPe = 16 << 10;
constexpr std::uint64_t kBytesPerUnit = 512;
constexpr std::uint64_t kMaxModuleBytes = 1ull << 30;

void check_module_memory(const ConfigNode& pe, const AcceleratorConfig& c) {
    const std::uint64_t units_per_pe =
        std::uint64_t(c.lanes_per_pe) + std::uint64_t(c.softmax_per_pe) + std::uint64_t(c.layernorm_per_pe);
    const std::uint64_t bytes = std::uint64_t(c.pes) * (kBytesPerPe + units_per_pe * kBytesPerUnit);
    if (bytes <= kMaxModuleBytes) return;
    const ConfigNode where = pe.has("count") ? pe.child("count") : pe;
    where.fail_message("expected a design whose modules fit the simulator's " +
                       std::to_string(kMaxModuleBytes >> 20) + " MiB limit (" +
                       std::to_string(kBytesPerPe >> 10) + " KiB per PE, " + std::to_string(kBytesPerUnit) +
                       " B per MAC lane, softmax or layer-norm unit), found " + std::to_string(c.pes) +
                       " PEs of " + std::to_string(units_per_pe) + " units, about " +
                       std::to_string(bytes >> 20) + " MiB");
}

void parse_tiling(const ConfigNode& n, AcceleratorConfig& c) {
    n.expect_keys({"tile", "loop_order"});
    if (n.has("tile")) {
        ConfigNode t = n.child("tile");
        std::vector<ConfigNode> dims = t.elements();
        if (dims.size() != 3)
            t.fail_message("expected a list of 3 integers [b, x, y], found " +
                           std::to_string(dims.size()) + " entries");
        int* fields[3] = {&c.tile_b, &c.tile_x, &c.tile_y};
        for (std::size_t i = 0; i < 3; ++i) {
            std::int64_t v = dims[i].as_int();
            if (v < 1 || v > 1024) dims[i].fail("an integer from 1 to 1024");
            *fields[i] = int(v);
        }
    }
    if (n.has("loop_order")) {
        ConfigNode o = n.child("loop_order");
        // The original names a loop nest by its four tile loops joined with '_' (outermost first).
        const std::string v = o.as_string();
        if (v.size() != 7) o.fail("a permutation of the loops b, i, j, k joined with '_' (such as 'b_i_j_k')");
        try {
            c.loop_order = LoopOrder::parse(v);
        } catch (const InputError&) {
            o.fail("a permutation of the loops b, i, j, k joined with '_' (such as 'b_i_j_k')");
        }
    }
}

void parse_numerics(const ConfigNode& n, AcceleratorConfig& c) {
    n.expect_keys({"int_bits", "frac_bits", "rounding"});
    // With these ranges a word never exceeds 64 bits, so it always fits an integer register.
    c.int_bits = int_in(n, "int_bits", 1, 32, c.int_bits);
    c.frac_bits = int_in(n, "frac_bits", 0, 32, c.frac_bits);
    const std::string rounding = n.get_string("rounding", c.rounding);
    if (rounding != "nearest" && rounding != "stochastic") n.child("rounding").fail("one of nearest, stochastic");
    c.rounding = rounding;
}

// The ratios drive the timing-only model; mode, threshold, k and weight_threshold are the
// functional mode's rule (core/sparsity_settings.h, docs/configuration.md). A key of the mode not
// chosen must be 0 (or absent), so that a configured value is never silently ignored.
void parse_sparsity(const ConfigNode& n, AcceleratorConfig& c) {
    n.expect_keys({"activation", "weight", "topk_elements_per_cycle", "mode", "threshold", "k",
                   "weight_threshold"});
    c.activation_sparsity = n.get_fraction("activation", c.activation_sparsity);
    c.weight_sparsity = n.get_fraction("weight", c.weight_sparsity);
    c.topk_elements_per_cycle = n.get_positive("topk_elements_per_cycle", c.topk_elements_per_cycle);
    sparsity::DynaTranConfig& rule = c.sparsity_rule;
    if (n.has("mode"))
        sparsity::parse_mode(n.get_choice("mode", {"none", "dynatran", "topk"}), rule.mode);
    if (n.has("threshold")) rule.threshold = non_negative(n.child("threshold"));
    rule.k = int_in(n, "k", 0, 1 << 30, rule.k);
    if (n.has("weight_threshold")) rule.weight_threshold = non_negative(n.child("weight_threshold"));
    const std::string mode = sparsity::to_string(rule.mode);
    if (rule.mode != sparsity::SparsityMode::DynaTran && rule.threshold > 0)
        n.child("threshold").fail("0 with mode " + mode + " (a threshold is DynaTran's: set mode: dynatran)");
    if (rule.mode == sparsity::SparsityMode::TopK && rule.k < 1) {
        if (n.has("k")) n.child("k").fail("an integer of at least 1 with mode topk (probabilities kept per row)");
        n.child("mode").fail_message("mode topk needs sparsity.k, the probabilities kept per row (at least 1)");
    }
    if (rule.mode != sparsity::SparsityMode::TopK && rule.k != 0)
        n.child("k").fail("0 with mode " + mode + " (k is top-k's: set mode: topk)");
}

// Buffer capacity has no default that makes sense for every design point, so size_mb is required.
void parse_buffer(const ConfigNode& buffers, const std::string& name, BufferConfig& b) {
    ConfigNode n = buffers.child(name);
    // The shared geometry keys go to every buffer model; the rest are the model's own
    // parameters, checked against the registry (unknown model or key: a located error).
    const ModelSelection model = ModelRegistry::instance().parse(
        ModelKind::Buffer, n, {"size_mb", "size_kb", "banks", "bank_width_bytes", "latency_cycles"}, b.model);
    b.name = name;
    b.model = model.name;
    b.model_parameters = model.parameters;
    if (n.has("size_kb") && n.has("size_mb")) n.child("size_kb").fail_message("give size_mb or size_kb, not both");
    if (n.has("size_kb")) b.size_mb = positive_at_most(n.child("size_kb"), 65536.0 * 1024) / 1024;
    else b.size_mb = positive_at_most(n.child("size_mb"), 65536);
    b.banks = int_in(n, "banks", 1, 65536, b.banks);
    b.bank_width_bytes = int_in(n, "bank_width_bytes", 1, 4096, b.bank_width_bytes);
    b.latency_cycles = int_in(n, "latency_cycles", 0, 1000000, b.latency_cycles);
}

void parse_main_memory(const ConfigNode& n, MainMemoryConfig& m) {
    const ModelSelection model = ModelRegistry::instance().parse(
        ModelKind::Memory, n, {"type", "bandwidth_gbps", "latency_ns", "banks", "ranks", "channels"}, m.model);
    m.model = model.name;
    m.model_parameters = model.parameters;
    m.type = n.get_choice("type", {"lpddr3", "hbm2", "rram"}, m.type);
    m.bandwidth_gbps = n.get_positive("bandwidth_gbps", m.bandwidth_gbps);
    if (n.has("latency_ns")) m.latency_ns = non_negative(n.child("latency_ns"));
    m.banks = int_in(n, "banks", 1, 65536, m.banks);
    m.ranks = int_in(n, "ranks", 1, 65536, m.ranks);
    m.channels = int_in(n, "channels", 1, 65536, m.channels);
}

void parse_power(const ConfigNode& n, AcceleratorConfig& c) {
    n.expect_keys({"gating"});
    c.power_gating = n.get_bool("gating", c.power_gating);
}

void parse_compat(const ConfigNode& n, CompatConfig& c) {
    n.expect_keys(compat_option_names());
    for (const auto& [name, member] : compat_options()) c.*member = n.get_bool(name, c.*member);
}

void parse_dma(const ConfigNode& n, DmaConfig& d) {
    n.expect_keys({"channels", "burst_bytes"});
    d.channels = int_in(n, "channels", 1, 1024, d.channels);
    d.burst_bytes = int_in(n, "burst_bytes", 1, 1 << 20, d.burst_bytes);
}

// The scheduler stages whole tiles, so one tile of each operand must fit its buffer; the mask
// buffer holds one bit per element.
void check_tile_fits(const ConfigNode& buffers, const AcceleratorConfig& c) {
    std::uint64_t elements = std::uint64_t(c.tile_b) * c.tile_x * c.tile_y;
    std::uint64_t data_bytes = (elements * c.element_bits() + 7) / 8;
    std::uint64_t mask_bytes = (elements + 7) / 8;
    struct Need {
        const BufferConfig* buffer;
        std::uint64_t bytes;
        const char* what;
    };
    for (const Need& need : {Need{&c.activation_buffer, data_bytes, "dense data"},
                             Need{&c.weight_buffer, data_bytes, "dense data"},
                             Need{&c.mask_buffer, mask_bytes, "1-bit mask"}}) {
        if (need.buffer->capacity_bytes() >= need.bytes) continue;
        buffers.child(need.buffer->name)
            .child("size_mb")
            .fail_message("the " + need.buffer->name + " buffer (" +
                          std::to_string(need.buffer->capacity_bytes()) +
                          " bytes) cannot hold one " + std::to_string(c.tile_b) + "x" +
                          std::to_string(c.tile_x) + "x" + std::to_string(c.tile_y) + " tile of " +
                          need.what + " (" + std::to_string(need.bytes) + " bytes)");
    }
}

void parse_systolic(const ConfigNode& n, SystolicConfig& s) {
    n.expect_keys({"dim", "dataflow"});
    s.dim = int_in(n, "dim", 1, 256, s.dim);
    s.weight_stationary =
        n.get_choice("dataflow", {"weight_stationary", "output_stationary"}, "weight_stationary") == "weight_stationary";
}

void parse_host_cpu(const ConfigNode& n, HostCpuConfig& h) {
    n.expect_keys({"cores", "l2_bytes_per_cycle", "cycles_per_element"});
    h.cores = int_in(n, "cores", 1, 1024, h.cores);
    h.l2_bytes_per_cycle = n.get_positive("l2_bytes_per_cycle", h.l2_bytes_per_cycle);
    const ConfigNode costs = section(n, "cycles_per_element");
    costs.expect_keys({"softmax", "layernorm", "gelu", "add", "dequantize", "quantize"});
    struct Field {
        const char* key;
        double* value;
    };
    for (const Field& f : {Field{"softmax", &h.softmax}, Field{"layernorm", &h.layernorm}, Field{"gelu", &h.gelu},
                           Field{"add", &h.add}, Field{"dequantize", &h.dequantize}, Field{"quantize", &h.quantize}})
        if (costs.has(f.key)) *f.value = non_negative(costs.child(f.key));
}

void parse_integer_units(const ConfigNode& n, IntegerUnitsConfig& u) {
    n.expect_keys({"activation_units", "lanes", "normalization_unit", "normalization_passes", "normalization_lanes",
                   "fuse_gelu"});
    u.activation_units = int_in(n, "activation_units", 0, 4096, u.activation_units);
    u.lanes = int_in(n, "lanes", 1, 4096, u.lanes);
    u.normalization_unit = n.get_bool("normalization_unit", u.normalization_unit);
    u.normalization_passes = int_in(n, "normalization_passes", 1, 16, u.normalization_passes);
    u.normalization_lanes = int_in(n, "normalization_lanes", 1, 4096, u.normalization_lanes);
    u.fuse_gelu = n.get_bool("fuse_gelu", u.fuse_gelu);
    if (u.fuse_gelu && u.activation_units == 0)
        n.child("fuse_gelu").fail_message("fuse_gelu needs integer GELU units (activation_units of at least 1)");
    if (u.normalization_unit != (u.activation_units > 0))
        n.fail_message("I-BERT units come together: activation_units > 0 and normalization_unit: true, or neither "
                       "(the host CPU then runs every non-linear op)");
}

// The Gemmini template fills the AccelTran fields the shared modules read (docs/gemmini.md,
// "How the template maps onto the modules"): one PE whose one MAC lane is the W x W array, the
// softmax-class units are the host CPU cores (or the I-BERT activation units), the layer-norm
// class is the I-BERT normalization unit; the scratchpad is the weight buffer (int8) and the
// accumulator the activation buffer (int32); data is dense and carries no masks.
void parse_gemmini(const ConfigNode& top, AcceleratorConfig& c) {
    top.expect_keys({"name", "template", "clock_mhz", "technology", "systolic", "host_cpu", "integer_units", "tiling",
                     "l2", "buffers", "main_memory", "dma", "power"});
    const ConfigNode l2 = section(top, "l2");
    l2.expect_keys({"size_kb"});
    if (l2.has("size_kb")) c.l2_kb = positive_at_most(l2.child("size_kb"), 1024.0 * 1024 * 1024);
    parse_systolic(section(top, "systolic"), c.systolic);
    parse_host_cpu(section(top, "host_cpu"), c.host_cpu);
    parse_integer_units(section(top, "integer_units"), c.integer_units);
    c.pes = 1;
    c.lanes_per_pe = 1;
    c.macs_per_lane = c.systolic.dim * c.systolic.dim;
    c.softmax_per_pe = c.integer_units.any() ? c.integer_units.activation_units : c.host_cpu.cores;
    c.layernorm_per_pe = c.integer_units.normalization_unit ? 1 : 0;
    c.int_bits = 8;  // int8 inputs and weights
    c.frac_bits = 0;
    c.activation_sparsity = 0;
    c.weight_sparsity = 0;
    c.sparsity_rule.mode = sparsity::SparsityMode::None;
    // The array's native block: W rows of A per weight load unless the tiling says otherwise.
    c.tile_b = 1;
    c.tile_x = c.systolic.dim;
    c.tile_y = c.systolic.dim;
    parse_tiling(section(top, "tiling"), c);
    if (c.tile_y != c.systolic.dim)
        top.child("tiling").child("tile").fail_message("the tile's y must equal the array dimension " +
                                                       std::to_string(c.systolic.dim) +
                                                       " (one weight block fills the array), found " +
                                                       std::to_string(c.tile_y));
    ConfigNode buffers = top.child("buffers");
    buffers.expect_keys({"scratchpad", "accumulator"});
    parse_buffer(buffers, "scratchpad", c.weight_buffer);
    parse_buffer(buffers, "accumulator", c.activation_buffer);
    c.mask_buffer.name = "mask";  // present for the shared modules; nothing is stored in it
    c.mask_buffer.size_mb = 1.0 / 1024;
    c.mask_buffer.banks = 1;
    parse_main_memory(section(top, "main_memory"), c.main_memory);
    // With the l2_cache model the simulated L2 is the one the analytic traffic rule assumes:
    // its size is given once, in main_memory.
    if (c.main_memory.model == "l2_cache") {
        if (top.has("l2"))
            top.child("l2").fail_message("main_memory.model l2_cache describes the L2: give its size as "
                                         "main_memory.size_kb, not here");
        c.l2_kb = c.main_memory.model_parameters.number("size_kb");
    }
    parse_dma(section(top, "dma"), c.dma);
    parse_power(section(top, "power"), c);
    const std::uint64_t tile = std::uint64_t(c.tile_b) * c.tile_x * c.tile_y;
    if (c.activation_buffer.capacity_bytes() < 4 * tile)
        buffers.child("accumulator").fail_message("the accumulator (" + std::to_string(c.activation_buffer.capacity_bytes()) +
                                                  " bytes) cannot hold one tile of 32-bit sums (" +
                                                  std::to_string(4 * tile) + " bytes)");
    if (c.weight_buffer.capacity_bytes() < tile)
        buffers.child("scratchpad").fail_message("the scratchpad (" + std::to_string(c.weight_buffer.capacity_bytes()) +
                                                 " bytes) cannot hold one int8 tile (" + std::to_string(tile) + " bytes)");
}

}  // namespace

AcceleratorConfig parse_accelerator(const YAML::Node& root, const std::string& source) {
    ConfigNode top(root, source, "");
    // Every key either template knows first (a non-mapping or a typo fails here, before any key
    // is read); each template then refuses the other's keys.
    top.expect_keys({"name", "template", "clock_mhz", "technology", "pe", "tiling", "numerics", "sparsity", "buffers",
                     "main_memory", "dma", "power", "compat", "systolic", "host_cpu", "integer_units", "l2"});
    AcceleratorConfig c;
    c.source = source;
    c.architecture = top.get_choice("template", {"acceltran", "gemmini"}, c.architecture);
    c.name = top.get_string("name");
    if (c.name.empty()) top.child("name").fail("a non-empty name");
    if (top.has("clock_mhz")) c.clock_mhz = positive_at_most(top.child("clock_mhz"), 100000);
    c.technology = top.get_string("technology", c.technology);
    if (c.technology.empty()) top.child("technology").fail("a technology name such as '14nm'");
    if (c.gemmini()) {
        parse_gemmini(top, c);
        c.resolved = YAML::Clone(root);
        return c;
    }
    top.expect_keys({"name", "template", "clock_mhz", "technology", "pe", "tiling", "numerics", "sparsity",
                     "buffers", "main_memory", "dma", "power", "compat"});

    parse_pe(section(top, "pe"), c);
    check_module_memory(section(top, "pe"), c);
    parse_tiling(section(top, "tiling"), c);
    parse_numerics(section(top, "numerics"), c);
    parse_sparsity(section(top, "sparsity"), c);

    ConfigNode buffers = top.child("buffers");
    buffers.expect_keys({"activation", "weight", "mask"});
    parse_buffer(buffers, "activation", c.activation_buffer);
    parse_buffer(buffers, "weight", c.weight_buffer);
    parse_buffer(buffers, "mask", c.mask_buffer);

    parse_main_memory(section(top, "main_memory"), c.main_memory);
    parse_dma(section(top, "dma"), c.dma);
    parse_power(section(top, "power"), c);
    parse_compat(section(top, "compat"), c.compat);
    check_tile_fits(buffers, c);

    // A snapshot, so that later edits to the caller's tree cannot change what summary.json reports.
    c.resolved = YAML::Clone(root);
    return c;
}

const std::vector<std::pair<std::string, bool CompatConfig::*>>& compat_options() {
    static const std::vector<std::pair<std::string, bool CompatConfig::*>> options{
        {"bandwidth_units", &CompatConfig::bandwidth_units},
        {"embedding_table", &CompatConfig::embedding_table},
        {"batched_weights", &CompatConfig::batched_weights},
        {"no_result_store", &CompatConfig::no_result_store},
        {"in_order_memory", &CompatConfig::in_order_memory},
        {"mac_tile_cycles", &CompatConfig::mac_tile_cycles},
        {"duplicate_issue", &CompatConfig::duplicate_issue},
        {"softmax_all_units", &CompatConfig::softmax_all_units},
        {"spread_k_tiles", &CompatConfig::spread_k_tiles},
        {"main_memory_energy", &CompatConfig::main_memory_energy},
        {"buffer_leakage_while_loading", &CompatConfig::buffer_leakage_while_loading},
        {"no_operand_read_energy", &CompatConfig::no_operand_read_energy},
        {"control_modules_off", &CompatConfig::control_modules_off},
    };
    return options;
}

const std::vector<std::string>& compat_option_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const auto& option : compat_options()) n.push_back(option.first);
        return n;
    }();
    return names;
}

std::vector<std::string> CompatConfig::enabled() const {
    std::vector<std::string> on;
    for (const auto& [name, member] : compat_options())
        if (this->*member) on.push_back(name);
    return on;
}

void enable_compat(CompatConfig& compat, const std::string& list) {
    std::stringstream ss(list);
    bool any = false;
    for (std::string name; std::getline(ss, name, ',');) {
        any = true;
        bool known_name = false;
        for (const auto& [option, member] : compat_options())
            if (name == kCompatAll || name == option) {
                compat.*member = true;
                known_name = true;
            }
        if (!known_name) {
            std::string known = kCompatAll;
            for (const auto& n : compat_option_names()) known += ", " + n;
            const std::string hint = closest_match(name, compat_option_names());
            throw UsageError("--compat: unknown option '" + name + "'" +
                             (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + "; known: " + known);
        }
    }
    if (!any) throw UsageError("--compat: expected a comma-separated list of options or " + std::string(kCompatAll));
}

InputKind accelerator_input_kind() {
    return {"accelerator", "an accelerator YAML", "shipped", "or give the path of a YAML file"};
}

std::vector<std::string> shipped_accelerators(const std::string& configs_dir) {
    return yaml_stems((fs::path(configs_dir) / "accelerators").string());
}

AcceleratorConfig load_accelerator(const std::string& name_or_path, const std::string& configs_dir,
                                   const std::vector<std::string>& overrides) {
    const InputKind kind = accelerator_input_kind();
    const std::string file = resolve_input(name_or_path, (fs::path(configs_dir) / "accelerators").string(), kind);
    ConfigNode root = ConfigNode::load_file(file, kind.file_kind);
    for (const auto& assignment : overrides) apply_override(root.yaml(), assignment);
    return parse_accelerator(root.yaml(), file);
}

std::string data_dir() {
    const char* env = std::getenv("ACCELTRAN_DATA_DIR");
    if (env && *env) return env;
    // An installed binary reads its own installation's data, never the source tree it was built
    // from (which may have moved or gone); a build tree's binary has none beside it.
    static const std::string installed = installed_data_dir(running_executable());
    if (!installed.empty()) return installed;
    return ACCELTRAN_SOURCE_DATA_DIR;
}

}  // namespace acceltran
