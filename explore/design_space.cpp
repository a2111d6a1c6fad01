#include "explore/design_space.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <random>
#include <set>

#include "core/accelerator_config.h"
#include "core/config_node.h"
#include "core/errors.h"
#include "core/input_file.h"
#include "workloads/import/accelerator_import.h"
#include "workloads/import/model_import.h"
#include "workloads/model_spec.h"

namespace acceltran::explore {

namespace {

namespace fs = std::filesystem;

// A range longer than this is almost certainly a wrong step; a real sweep over more values of one
// key belongs in a script that writes the list.
constexpr std::size_t kMaxValuesPerParameter = 10000;
// Indices are 64-bit; a product beyond this is a space nobody can sweep, not even by sampling.
constexpr std::uint64_t kMaxSpaceSize = std::uint64_t(1) << 62;

const char* kValueForms =
    "a value, a list of values, {values: [...]}, {from: A, to: B, step: S} or {from: A, to: B, factor: F}";

// One value of a dimension as written or generated, with the node to blame for it.
struct Value {
    YAML::Node node;
    ConfigNode where;
};

// The YAML text of a value as `--set` will parse it back: flow style for lists and mappings, and
// quotes where a plain scalar would change meaning. A scalar is rebuilt first so that the quotes
// of the space file (a tag yaml-cpp would print) do not end up in the text.
std::string yaml_text(const YAML::Node& node) {
    YAML::Emitter out;
    out << YAML::Flow;
    if (node.IsScalar())
        out << YAML::Node(node.Scalar());
    else
        out << node;
    return out.c_str();
}

bool is_integer_text(const std::string& s) {
    if (s.empty()) return false;
    std::size_t used = 0;
    try {
        (void)std::stoll(s, &used, 10);
    } catch (const std::logic_error&) {
        return false;
    }
    return used == s.size();
}

std::string number_text(double v, bool integer) {
    char buffer[40];
    if (integer)
        std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(std::llround(v)));
    else
        std::snprintf(buffer, sizeof buffer, "%.10g", v);  // 0.1 + 2 * 0.2 prints as 0.5
    return buffer;
}

// {from, to, step} or {from, to, factor}: the values from `from` up to and including `to`.
std::vector<Value> range_values(const ConfigNode& n) {
    n.expect_keys({"from", "to", "step", "factor"});
    const bool step = n.has("step"), factor = n.has("factor");
    if (step == factor) n.fail_message("expected exactly one of 'step' (adds) and 'factor' (multiplies) beside from and to");
    const ConfigNode from_node = n.child("from"), to_node = n.child("to"), by_node = n.child(step ? "step" : "factor");
    const double from = from_node.as_double(), to = to_node.as_double(), by = by_node.as_double();
    const bool integer = is_integer_text(from_node.as_string()) && is_integer_text(to_node.as_string()) &&
                         is_integer_text(by_node.as_string());
    if (step && !(by > 0)) by_node.fail("a step greater than 0");
    if (factor && !(by > 1)) by_node.fail("a factor greater than 1");
    if (factor && !(from > 0)) from_node.fail("a number greater than 0 (a geometric range starts above 0)");
    if (!(to >= from)) to_node.fail("a number of at least 'from' (" + from_node.as_string() + ")");
    std::vector<Value> out;
    // Each value is computed from `from` directly, and the end is compared with a tolerance, so
    // that 0.1 steps neither drift nor lose the last value to rounding.
    const double slack = 1e-9 * std::max(std::abs(to), 1.0);
    for (std::size_t i = 0;; ++i) {
        const double v = step ? from + double(i) * by : from * std::pow(by, double(i));
        if (v > to + slack) break;
        if (out.size() == kMaxValuesPerParameter)
            n.fail_message("expected at most " + std::to_string(kMaxValuesPerParameter) +
                           " values, found a range with more (is the step too small?)");
        out.push_back({YAML::Node(number_text(v, integer)), n});
    }
    return out;
}

// The values a dimension takes, in any of the accepted forms.
std::vector<Value> values_of(const ConfigNode& n) {
    if (!n.yaml().IsDefined() || n.yaml().IsNull()) n.fail(kValueForms);
    if (n.is_scalar()) return {{n.yaml(), n}};
    std::vector<ConfigNode> listed;
    if (n.is_sequence()) {
        listed = n.elements();
    } else {
        const std::vector<std::string> keys = n.keys();
        const bool spec = std::any_of(keys.begin(), keys.end(), [](const std::string& k) {
            return k == "values" || k == "from" || k == "to" || k == "step" || k == "factor";
        });
        if (!spec)
            n.fail(std::string(kValueForms) + "; to set several keys at once, give a list of mappings");
        if (!n.has("values")) return range_values(n);
        n.expect_keys({"values"});
        listed = n.child("values").elements();
    }
    if (listed.empty()) n.fail("at least one value");
    std::vector<Value> out;
    for (const ConfigNode& e : listed) {
        if (!e.yaml().IsDefined() || e.yaml().IsNull()) e.fail("a value");
        out.push_back({e.yaml(), e});
    }
    return out;
}

int int_at_least(const Value& v, long long least, const char* expected) {
    const std::string text = v.node.IsScalar() ? v.node.Scalar() : "";
    if (!is_integer_text(text) || std::stoll(text) < least || std::stoll(text) > std::numeric_limits<int>::max())
        v.where.fail_message(std::string("expected ") + expected + ", found '" +
                             printable_excerpt(v.node.IsScalar() ? text : yaml_text(v.node)) + "'");
    return int(std::stoll(text));
}

// A name stays a name (looked up among the shipped files by `acceltran run`); a path is taken
// relative to the space file, so a space and the files it names can move together.
std::string resolve_relative(const std::string& name, const fs::path& space_dir) {
    if (!looks_like_path(name)) return name;
    fs::path p(name);
    if (p.is_relative()) p = space_dir / p;
    return fs::absolute(p).lexically_normal().string();
}

// Leaves of a value under `path`: a mapping sets each of its keys (recursively), anything else
// (a scalar, a list such as a tile shape) is one value.
void flatten(const YAML::Node& v, const std::string& path, const ConfigNode& where,
             std::vector<std::pair<std::string, std::string>>& out) {
    if (v.IsMap()) {
        if (v.size() == 0) where.fail("a mapping that sets at least one key");
        for (const auto& kv : v) {
            if (!kv.first.IsScalar()) where.fail("a mapping with plain keys");
            flatten(kv.second, path + "." + kv.first.Scalar(), where, out);
        }
    } else if (!v.IsDefined() || v.IsNull()) {
        where.fail_message("expected a value for '" + path + "', found nothing");
    } else {
        out.emplace_back(path, yaml_text(v));
    }
}

// `--set` only changes keys the base file has, so a key path that is not there would make every
// point fail; say so now, with the closest key the base does have.
void check_key_path(const YAML::Node& base, const std::string& base_name, const std::string& path,
                    const ConfigNode& where) {
    // A chain of handles: assigning to a yaml-cpp node would overwrite what it refers to.
    std::vector<YAML::Node> chain{base};
    std::string walked;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t dot = std::min(path.find('.', start), path.size());
        const std::string key = path.substr(start, dot - start);
        const YAML::Node& cur = chain.back();
        if (!cur.IsMap())
            where.fail_message("the base accelerator '" + base_name + "' has no key '" + path + "': '" + walked +
                               "' is a value, not a mapping");
        walked += (walked.empty() ? "" : ".") + key;
        if (key.empty() || !cur[key].IsDefined()) {
            std::vector<std::string> keys;
            for (const auto& kv : cur)
                if (kv.first.IsScalar()) keys.push_back(kv.first.Scalar());
            const std::string hint = key.empty() ? "" : closest_match(key, keys);
            const std::string prefix = walked.substr(0, walked.size() - key.size());
            where.fail_message("the base accelerator '" + base_name + "' has no key '" + walked + "'" +
                               (hint.empty() ? "" : " (did you mean '" + prefix + hint + "'?)") +
                               "; a parameter can only change keys the base file has");
        }
        chain.push_back(cur[key]);
        start = dot + 1;
    }
}

// Two columns that are equal or one inside the other would make `--set` order decide the value.
bool overlaps(const std::string& a, const std::string& b) {
    auto inside = [](const std::string& x, const std::string& y) {
        return x.size() > y.size() && x.compare(0, y.size(), y) == 0 && x[y.size()] == '.';
    };
    return a == b || inside(a, b) || inside(b, a);
}

std::uint64_t fnv1a(const std::string& text) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    // MurmurHash3's finalizer: FNV leaves ids of points that differ in one digit looking alike.
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

// Uniform in [0, n) from the generator's raw 64-bit output. std::uniform_int_distribution is not
// specified exactly by the standard, and samples must not depend on the standard library.
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t n) {
    const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                                std::numeric_limits<std::uint64_t>::max() % n;
    std::uint64_t x;
    do x = rng();
    while (x >= limit);
    return x % n;
}

}  // namespace

const std::vector<std::string>& DesignSpace::result_figures(bool generation) {
    static const std::vector<std::string> figures{"cycles",          "seconds",          "throughput_seq_per_s",
                                                  "energy_j",        "energy_j_per_seq", "area_mm2.total",
                                                  "power_w.average", "power_w.peak"};
    static const std::vector<std::string> with_generation = [] {
        std::vector<std::string> f = figures;
        for (const char* g : {"generation.time_to_first_token_s", "generation.time_per_output_token_s",
                              "generation.tokens_per_s", "generation.energy_per_token_j"})
            f.push_back(g);
        return f;
    }();
    return generation ? with_generation : figures;
}

DesignSpace DesignSpace::load(const std::string& file, const std::string& data_dir) {
    DesignSpace s;
    s.file_ = file;
    const ConfigNode top = ConfigNode::load_file(file, "a design-space YAML");
    top.expect_keys({"accelerator", "models", "seq", "prompt_len", "gen_len", "batch", "detail", "parameters", "metrics"});
    const bool generation = top.has("prompt_len") || top.has("gen_len");
    if (generation && top.has("seq"))
        top.child("seq").fail_message("give either seq (encoder passes) or prompt_len/gen_len (generations), not both: "
                                      "a generation covers prompt + generated positions");
    const fs::path space_dir = fs::absolute(fs::path(file)).parent_path();

    // The base design point, loaded as `acceltran run` will load it.
    const ConfigNode accel_node = top.child("accelerator");
    const std::string accel_written = accel_node.as_string();
    AcceleratorConfig base;
    try {
        base = workloads::import_accelerator(resolve_relative(accel_written, space_dir), data_dir + "/configs", {}).config;
    } catch (const std::runtime_error& e) {
        accel_node.fail_message(e.what());
    }
    s.accelerator_ = fs::absolute(base.source).lexically_normal().string();

    for (const Value& v : values_of(top.child("models"))) {
        const std::string name = v.where.is_scalar() ? v.node.Scalar() : "";
        if (name.empty()) v.where.fail("a model name or file");
        const std::string arg = resolve_relative(name, space_dir);
        bool decoder = false;
        try {
            decoder = workloads::import_model(arg, data_dir + "/workloads/models").spec.decoder();
        } catch (const std::runtime_error& e) {
            v.where.fail_message(e.what());
        }
        if (generation && !decoder)
            v.where.fail_message("model '" + name + "' is an encoder; prompt_len and gen_len need decoders (e.g. gpt2)");
        if (std::find(s.models_.begin(), s.models_.end(), name) != s.models_.end())
            v.where.fail_message("model '" + name + "' is listed twice");
        s.models_.push_back(name);
        s.model_args_.push_back(arg);
    }
    auto int_dimension = [&](const std::string& key, int fallback, int least = 1) {
        std::vector<int> out;
        if (!top.has(key)) return std::vector<int>{fallback};
        for (const Value& v : values_of(top.child(key))) {
            const int n = int_at_least(v, least, least == 1 ? "a positive integer" : "an integer of at least 0");
            if (std::find(out.begin(), out.end(), n) != out.end())
                v.where.fail_message(key + " " + std::to_string(n) + " is listed twice");
            out.push_back(n);
        }
        return out;
    };
    if (generation) {
        // The defaults are acceltran run's: a 128-token prompt, no tokens generated.
        s.prompt_lens_ = int_dimension("prompt_len", 128, 0);
        s.gen_lens_ = int_dimension("gen_len", 0, 0);
    } else {
        s.seqs_ = int_dimension("seq", 128);
    }
    s.batches_ = int_dimension("batch", 4);
    s.detail_ = parse_detail_level(top.get_choice("detail", {"full", "fast"}, "full"));

    if (top.has("parameters")) {
        const ConfigNode params = top.child("parameters");
        if (!params.is_map()) params.fail("a mapping of accelerator key paths to their values");
        std::vector<std::string> owner;  // the parameter of each column
        for (const std::string& key : params.keys()) {
            const ConfigNode pnode = params.child(key);
            Dimension dim{key, {}};
            const std::size_t first_column = s.columns_.size();
            std::set<std::string> seen;
            for (const Value& v : values_of(pnode)) {
                std::vector<std::pair<std::string, std::string>> leaves;
                flatten(v.node, key, v.where, leaves);
                Choice choice(s.columns_.size());
                for (const auto& [path, text] : leaves) {
                    // A wrong parameter key is the key's fault; a wrong key inside a mapping value, the value's.
                    check_key_path(base.resolved, base.name, path, path == key ? pnode : v.where);
                    const auto own = s.columns_.begin() + std::ptrdiff_t(first_column);
                    auto col = std::find(own, s.columns_.end(), path);
                    if (col == s.columns_.end()) {
                        for (std::size_t c = 0; c < first_column; ++c)
                            if (overlaps(path, s.columns_[c]))
                                v.where.fail_message("'" + path + "' overlaps '" + s.columns_[c] + "' of parameter '" +
                                                     owner[c] + "'; each key may belong to one parameter only");
                        owner.push_back(key);
                        s.columns_.push_back(path);
                        choice.push_back("");
                        col = s.columns_.end() - 1;
                    }
                    choice[std::size_t(col - s.columns_.begin())] = text;
                }
                std::string canonical;
                for (std::size_t c = 0; c < choice.size(); ++c)
                    if (!choice[c].empty()) canonical += std::to_string(c) + "=" + choice[c] + '\x1f';
                if (!seen.insert(canonical).second) v.where.fail_message("this value is listed twice");
                // Checked on the base on its own, so a typo fails here and not in every point.
                YAML::Node trial = YAML::Clone(base.resolved);
                try {
                    for (const auto& [path, text] : leaves) apply_override(trial, path + "=" + text);
                    (void)parse_accelerator(trial, base.source);
                } catch (const std::runtime_error& e) {
                    v.where.fail_message("the accelerator loader refuses this value on '" + base.name +
                                         "': " + e.what());
                }
                dim.choices.push_back(std::move(choice));
            }
            s.parameters_.push_back(std::move(dim));
        }
    }
    for (Dimension& d : s.parameters_)
        for (Choice& c : d.choices) c.resize(s.columns_.size());

    if (top.has("metrics")) {
        const ConfigNode m = top.child("metrics");
        m.expect_keys(result_figures(generation));
        for (const std::string& key : m.keys())
            s.metrics_.push_back({key, m.get_choice(key, {"max", "min"}) == "max"});
        if (s.metrics_.empty()) m.fail("at least one metric, e.g. {throughput_seq_per_s: max}");
    } else {
        s.metrics_ = {{"throughput_seq_per_s", true}, {"energy_j_per_seq", false}, {"area_mm2.total", false}};
    }

    s.size_ = 1;
    auto multiply = [&](std::size_t n) {
        if (__builtin_mul_overflow(s.size_, std::uint64_t(n), &s.size_) || s.size_ > kMaxSpaceSize)
            top.fail_message("expected a space of at most 2^62 points, found more; split it into several spaces");
    };
    multiply(s.models_.size());
    multiply(generation ? s.prompt_lens_.size() * s.gen_lens_.size() : s.seqs_.size());
    multiply(s.batches_.size());
    for (const Dimension& d : s.parameters_) multiply(d.choices.size());

    nlohmann::json params = nlohmann::json::array();
    for (const Dimension& d : s.parameters_) params.push_back({{"name", d.name}, {"choices", d.choices}});
    nlohmann::json metrics = nlohmann::json::array();
    for (const Metric& m : s.metrics_) metrics.push_back({m.key, m.maximise ? "max" : "min"});
    s.identity_ = {{"accelerator", accel_written}, {"models", s.models_},  {"seq", s.seqs_},
                   {"batch", s.batches_},          {"detail", to_string(s.detail_)}, {"columns", s.columns_},
                   {"parameters", params},         {"metrics", metrics}};
    // Only generation spaces carry these, so an encoder sweep started before they existed resumes.
    if (generation) {
        s.identity_.erase("seq");
        s.identity_["prompt_len"] = s.prompt_lens_;
        s.identity_["gen_len"] = s.gen_lens_;
    }
    return s;
}

DesignPoint DesignSpace::point(std::uint64_t index) const {
    if (index >= size_) throw std::out_of_range("design point " + std::to_string(index) + " of " + std::to_string(size_));
    DesignPoint p;
    p.index = index;
    p.values.assign(columns_.size(), "");
    std::uint64_t rest = index;
    for (auto d = parameters_.rbegin(); d != parameters_.rend(); ++d) {
        const Choice& c = d->choices[rest % d->choices.size()];
        rest /= d->choices.size();
        for (std::size_t i = 0; i < c.size(); ++i)
            if (!c[i].empty()) p.values[i] = c[i];
    }
    p.batch = batches_[rest % batches_.size()];
    rest /= batches_.size();
    std::vector<std::string> lines{"model=", "batch=" + std::to_string(p.batch)};
    if (generation()) {
        p.gen_len = gen_lens_[rest % gen_lens_.size()];
        rest /= gen_lens_.size();
        p.prompt_len = prompt_lens_[rest % prompt_lens_.size()];
        rest /= prompt_lens_.size();
        lines.push_back("prompt_len=" + std::to_string(p.prompt_len));
        lines.push_back("gen_len=" + std::to_string(p.gen_len));
    } else {
        p.seq = seqs_[rest % seqs_.size()];
        rest /= seqs_.size();
        lines.push_back("seq=" + std::to_string(p.seq));
    }
    p.model = models_[rest];
    lines[0] += p.model;

    // Sorted by key path, so that re-ordering the parameters of a space keeps every id.
    for (std::size_t i = 0; i < columns_.size(); ++i)
        if (!p.values[i].empty()) lines.push_back("set " + columns_[i] + "=" + p.values[i]);
    std::sort(lines.begin(), lines.end());
    std::string canonical;
    for (const auto& l : lines) canonical += l + "\n";
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a(canonical)));
    p.id = hex;
    return p;
}

std::vector<DesignPoint> DesignSpace::sample(std::uint64_t count, std::uint64_t seed) const {
    std::vector<DesignPoint> out;
    if (count >= size_) {
        out.reserve(std::size_t(size_));
        for (std::uint64_t i = 0; i < size_; ++i) out.push_back(point(i));
        return out;
    }
    // Floyd's algorithm: `count` distinct indices with one draw each, whatever the space's size.
    std::mt19937_64 rng(seed);
    std::set<std::uint64_t> chosen;
    for (std::uint64_t j = size_ - count; j < size_; ++j) {
        const std::uint64_t t = uniform_below(rng, j + 1);
        if (!chosen.insert(t).second) chosen.insert(j);
    }
    for (std::uint64_t i : chosen) out.push_back(point(i));
    return out;
}

std::string DesignSpace::describe(const DesignPoint& p) const {
    std::string s = "model=" + p.model;
    if (generation())
        s += " prompt_len=" + std::to_string(p.prompt_len) + " gen_len=" + std::to_string(p.gen_len);
    else
        s += " seq=" + std::to_string(p.seq);
    s += " batch=" + std::to_string(p.batch);
    for (std::size_t c = 0; c < p.values.size(); ++c)
        if (!p.values[c].empty()) s += " " + columns_[c] + "=" + p.values[c];
    return s;
}

std::vector<std::string> DesignSpace::run_arguments(const DesignPoint& p) const {
    const auto m = std::find(models_.begin(), models_.end(), p.model);
    if (m == models_.end()) throw std::invalid_argument("model '" + p.model + "' is not in the space");
    std::vector<std::string> args{"run", "--model", model_args_[std::size_t(m - models_.begin())], "--accel",
                                  accelerator_};
    if (generation())
        args.insert(args.end(), {"--prompt-len", std::to_string(p.prompt_len), "--gen-len", std::to_string(p.gen_len)});
    else
        args.insert(args.end(), {"--seq", std::to_string(p.seq)});
    args.insert(args.end(), {"--batch", std::to_string(p.batch), "--detail", to_string(detail_)});
    for (std::size_t i = 0; i < columns_.size(); ++i)
        if (!p.values[i].empty()) {
            args.push_back("--set");
            args.push_back(columns_[i] + "=" + p.values[i]);
        }
    args.push_back("-q");
    args.push_back("--no-progress");
    return args;
}

}  // namespace acceltran::explore
