#include "modules/power/technology.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/config_node.h"
#include "core/errors.h"
#include "core/input_file.h"

namespace acceltran::power {

namespace {

namespace fs = std::filesystem;

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
}

template <typename V>
std::string int_keys(const std::map<int, V>& m) {
    std::vector<std::string> out;
    for (const auto& kv : m) out.push_back(std::to_string(kv.first));
    return out.empty() ? std::string("none") : join(out);
}

template <typename V>
std::string string_keys(const std::map<std::string, V>& m) {
    std::vector<std::string> out;
    for (const auto& kv : m) out.push_back(kv.first);
    return out.empty() ? std::string("none") : join(out);
}

// For maps whose keys are data (sizes, memory geometries): rejects complex and duplicate keys via
// expect_keys, leaving the key format to the caller.
void expect_plain_unique_keys(const ConfigNode& n) {
    if (!n.is_map()) n.fail("a mapping");
    std::vector<std::string> plain;
    for (const auto& kv : n.yaml())
        if (kv.first.IsScalar()) plain.push_back(kv.first.Scalar());
    n.expect_keys(plain);
}

// 0 is allowed: a template without a module (Gemmini has no sparsity units) or a figure the
// source does not give (configs/technology/gemmini-45nm.yaml has no leakage).
double non_negative_at(const ConfigNode& n, const std::string& key) {
    const ConfigNode c = n.child(key);
    const double v = c.as_double();
    if (!(v >= 0)) c.fail("a number of at least 0");
    return v;
}

ModulePower parse_module(const ConfigNode& n) {
    n.expect_keys({"area_um2", "dynamic_mw", "leakage_mw"});
    ModulePower m;
    m.area_um2 = non_negative_at(n, "area_um2");
    m.dynamic_mw = non_negative_at(n, "dynamic_mw");
    m.leakage_mw = non_negative_at(n, "leakage_mw");
    return m;
}

// A map keyed by positive integers (MACs per lane, tile size), each value a module entry.
std::map<int, ModulePower> parse_sized_modules(const ConfigNode& n, const std::string& key_meaning) {
    expect_plain_unique_keys(n);
    std::map<int, ModulePower> out;
    for (const auto& kv : n.yaml()) {
        const std::string key = kv.first.Scalar();
        ConfigNode key_node(kv.first, n.file(), n.path() + "." + key);
        std::int64_t size = 0;
        try {
            size = key_node.as_int();
        } catch (const InputError&) {
            key_node.fail("a positive integer key (" + key_meaning + ")");
        }
        if (size < 1 || size > (1 << 20)) key_node.fail("a positive integer key (" + key_meaning + ")");
        if (out.count(int(size))) key_node.fail_message("size " + std::to_string(size) + " given twice");
        out[int(size)] = parse_module(n.child(key));
    }
    if (out.empty()) n.fail("at least one entry keyed by " + key_meaning);
    return out;
}

BufferTechnology parse_buffer(const ConfigNode& n) {
    n.expect_keys({"area_um2_per_mb", "access_energy_nj", "leakage_mw_per_mb"});
    BufferTechnology b;
    b.area_um2_per_mb = non_negative_at(n, "area_um2_per_mb");
    b.access_energy_nj = n.get_positive("access_energy_nj");
    b.leakage_mw_per_mb = non_negative_at(n, "leakage_mw_per_mb");
    return b;
}

const std::vector<std::string> kMemoryPrefixes = {"dram", "hbm", "rram"};

// "<dram|hbm|rram>_<banks>_<ranks>_<channels>" with positive integers written without leading zeros.
bool is_memory_key(const std::string& key) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t pos; (pos = key.find('_', start)) != std::string::npos; start = pos + 1)
        parts.push_back(key.substr(start, pos - start));
    parts.push_back(key.substr(start));
    if (parts.size() != 4) return false;
    if (std::find(kMemoryPrefixes.begin(), kMemoryPrefixes.end(), parts[0]) == kMemoryPrefixes.end())
        return false;
    for (std::size_t i = 1; i < 4; ++i) {
        const std::string& p = parts[i];
        if (p.empty() || p.size() > 6 || p[0] == '0') return false;
        if (!std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return false;
    }
    return true;
}

std::map<std::string, double> parse_memory_energies(const ConfigNode& n) {
    expect_plain_unique_keys(n);
    std::map<std::string, double> out;
    for (const auto& kv : n.yaml()) {
        const std::string key = kv.first.Scalar();
        if (!is_memory_key(key))
            ConfigNode(kv.first, n.file(), n.path() + "." + key)
                .fail("a key <type>_<banks>_<ranks>_<channels> with type dram, hbm or rram "
                      "(such as dram_32_2_1)");
        out[key] = n.get_positive(key);
    }
    if (out.empty()) n.fail("at least one <type>_<banks>_<ranks>_<channels> entry");
    return out;
}

Technology parse(const ConfigNode& top) {
    top.expect_keys({"name", "clock_mhz", "mac_lane", "softmax", "layernorm", "pre_sparsity",
                     "post_sparsity", "fifo", "stochastic_rounding", "dataflow", "dma", "buffers",
                     "main_memory"});
    Technology t;
    t.source = top.file();
    t.name = top.get_string("name");
    if (t.name.empty()) top.child("name").fail("a non-empty name");
    t.clock_mhz = top.get_positive("clock_mhz");

    ConfigNode lanes = top.child("mac_lane");
    lanes.expect_keys({"gelu", "relu"});
    for (const std::string& nl : lanes.keys())
        t.mac_lanes[nl] = parse_sized_modules(lanes.child(nl), "MACs per lane");
    if (t.mac_lanes.empty()) lanes.fail("at least one of gelu, relu");
    t.softmax_units = parse_sized_modules(top.child("softmax"), "tile size");
    t.layernorm_units = parse_sized_modules(top.child("layernorm"), "tile size");
    t.pre_sparsity_unit = parse_module(top.child("pre_sparsity"));
    t.post_sparsity_unit = parse_module(top.child("post_sparsity"));
    t.fifo_unit = parse_module(top.child("fifo"));
    t.stochastic_rounding_unit = parse_module(top.child("stochastic_rounding"));
    t.dataflow_unit = parse_module(top.child("dataflow"));
    t.dma_unit = parse_module(top.child("dma"));

    ConfigNode buffers = top.child("buffers");
    buffers.expect_keys({"block_bytes", "activation", "weight", "mask"});
    t.buffer_block_bytes = int(buffers.get_int_in("block_bytes", 1, 1 << 20));
    for (const char* kind : {"activation", "weight", "mask"})
        t.buffers[kind] = parse_buffer(buffers.child(kind));

    ConfigNode memory = top.child("main_memory");
    memory.expect_keys({"block_bytes", "access_energy_nj"});
    t.main_memory_block_bytes = int(memory.get_int_in("block_bytes", 1, 1 << 20));
    t.main_memory_energy_nj = parse_memory_energies(memory.child("access_energy_nj"));
    return t;
}

}  // namespace

double BufferTechnology::access_energy_nj_for(double size_mb) const {
    return access_energy_nj * std::sqrt(size_mb);
}

const ModulePower& Technology::mac_lane(const std::string& nonlinearity, int macs_per_lane) const {
    auto nl = mac_lanes.find(nonlinearity);
    if (nl == mac_lanes.end())
        throw InputError(source + ": technology '" + name + "' has no MAC lane with non-linearity '" +
                         nonlinearity + "'; mac_lane has: " + string_keys(mac_lanes));
    auto it = nl->second.find(macs_per_lane);
    if (it == nl->second.end())
        throw InputError(source + ": technology '" + name + "' has no " + nonlinearity +
                         " MAC lane with " + std::to_string(macs_per_lane) +
                         " MACs per lane; mac_lane." + nonlinearity +
                         " has MACs per lane: " + int_keys(nl->second));
    return it->second;
}

const ModulePower& Technology::softmax(int tile) const {
    auto it = softmax_units.find(tile);
    if (it == softmax_units.end())
        throw InputError(source + ": technology '" + name + "' has no softmax module for tile size " +
                         std::to_string(tile) + "; softmax has tile sizes: " +
                         int_keys(softmax_units));
    return it->second;
}

const ModulePower& Technology::layernorm(int tile) const {
    auto it = layernorm_units.find(tile);
    if (it == layernorm_units.end())
        throw InputError(source + ": technology '" + name +
                         "' has no layer-norm module for tile size " + std::to_string(tile) +
                         "; layernorm has tile sizes: " + int_keys(layernorm_units));
    return it->second;
}

const BufferTechnology& Technology::buffer(const std::string& kind) const {
    auto it = buffers.find(kind);
    if (it == buffers.end())
        throw InputError(source + ": technology '" + name + "' has no buffer kind '" + kind +
                         "'; buffers has: " + string_keys(buffers));
    return it->second;
}

std::string main_memory_key(const std::string& type, int banks, int ranks, int channels) {
    std::string prefix;
    if (type == "lpddr3") prefix = "dram";
    else if (type == "hbm2") prefix = "hbm";
    else if (type == "rram") prefix = "rram";
    else
        throw InputError("unknown main-memory type '" + type + "'; expected lpddr3, hbm2 or rram");
    return prefix + "_" + std::to_string(banks) + "_" + std::to_string(ranks) + "_" +
           std::to_string(channels);
}

double Technology::main_memory_access_nj(const std::string& type, int banks, int ranks,
                                         int channels) const {
    const std::string key = main_memory_key(type, banks, ranks, channels);
    auto it = main_memory_energy_nj.find(key);
    if (it != main_memory_energy_nj.end()) return it->second;
    const std::string prefix = key.substr(0, key.find('_') + 1);
    std::vector<std::string> same_type, all;
    for (const auto& kv : main_memory_energy_nj) {
        all.push_back(kv.first);
        if (kv.first.compare(0, prefix.size(), prefix) == 0) same_type.push_back(kv.first);
    }
    throw InputError(source + ": technology '" + name + "' has no main-memory energy for " + type +
                     " with " + std::to_string(banks) + " banks, " + std::to_string(ranks) +
                     " ranks, " + std::to_string(channels) + " channels (key " + key +
                     "); main_memory.access_energy_nj has: " +
                     (same_type.empty() ? join(all) : join(same_type)));
}

void Technology::check_covers(const AcceleratorConfig& c) const {
    mac_lane(c.nonlinearity, c.macs_per_lane);
    softmax(c.tile_x);
    layernorm(c.tile_x);
    for (const char* kind : {"activation", "weight", "mask"}) buffer(kind);
    main_memory_access_nj(c.main_memory.type, c.main_memory.banks, c.main_memory.ranks, c.main_memory.channels);
}

Technology parse_technology(const std::string& yaml_text, const std::string& origin) {
    return parse(ConfigNode::load_string(yaml_text, origin));
}

std::vector<std::string> shipped_technologies(const std::string& configs_dir) {
    return yaml_stems((fs::path(configs_dir) / "technology").string());
}

Technology load_technology(const std::string& name_or_path, const std::string& configs_dir) {
    const InputKind kind{"technology", "a technology YAML", "shipped", "or give the path of a YAML file"};
    const std::string file = resolve_input(name_or_path, (fs::path(configs_dir) / "technology").string(), kind);
    return parse(ConfigNode::load_file(file, kind.file_kind));
}

}  // namespace acceltran::power
