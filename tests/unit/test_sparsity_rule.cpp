// The one DynaTran prune rule (core/sparsity_settings.h): the double form that the reference
// forward pass and offline weight pruning call, and the raw fixed-point form the engine's
// post-sparsity unit calls, agree on every word around the threshold, the boundary |x| == τ
// included; and the accelerator YAML's `sparsity:` rule keys (docs/configuration.md).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/accelerator_config.h"
#include "core/errors.h"
#include "core/sparsity_settings.h"
#include "tests/source_tree.h"
#include "tests/unit/minimal_accelerator.h"
#include "workloads/functional/fixed_point.h"
#include "workloads/functional/weight_loader.h"

using namespace acceltran;
namespace fs = std::filesystem;
using acceltran::testing::kConfigs;
using acceltran::testing::kMinimalAccelerator;

TEST_CASE("sparsity rule: double and raw forms agree at and around |x| == tau", "[sparsity][dynatran]") {
    for (int fl : {0, 4, 8, 16, 20}) {
        const double lsb = std::ldexp(1.0, -fl);
        // Thresholds on a word (the boundary is a representable value), between two words, below
        // one LSB, zero, and large.
        for (double tau : {0.0, 1e-9, 0.5 * lsb, lsb, 3 * lsb, 3.5 * lsb, 0.02, 0.25, 1.0, 7.0}) {
            const std::int32_t t = sparsity::threshold_raw(tau, fl);
            INFO("frac_bits " << fl << ", tau " << tau << ", threshold_raw " << t);
            // Every word within 3 of -t, 0 and t, and a stride across the rest.
            std::vector<std::int64_t> words;
            for (std::int64_t centre : {-std::int64_t(t), std::int64_t(0), std::int64_t(t)})
                for (std::int64_t d = -3; d <= 3; ++d) words.push_back(centre + d);
            for (std::int64_t r = -std::int64_t(t); r <= t; r += 1 + t / 64) words.push_back(r);
            for (std::int64_t r : words) {
                const auto raw = std::int32_t(r);
                const double x = std::ldexp(double(raw), -fl);
                // Pruning a zero word leaves zero, whatever the rule says about it.
                if (raw != 0) {
                    INFO("raw " << raw << " = " << x);
                    CHECK(sparsity::pruned_raw(raw, t) == sparsity::pruned(x, tau));
                }
                CHECK(double(sparsity::prune(raw, t)) == std::ldexp(sparsity::prune(x, tau), fl));
            }
        }
    }
}

TEST_CASE("sparsity rule: the boundary |x| == tau is pruned, the next word is kept", "[sparsity][dynatran]") {
    const int fl = 16;
    const double lsb = std::ldexp(1.0, -fl);
    const double tau = 1311 * lsb;  // a word: 0.0200042...
    const std::int32_t t = sparsity::threshold_raw(tau, fl);
    CHECK(t == 1311);
    for (double sign : {1.0, -1.0}) {
        CHECK(sparsity::prune(sign * tau, tau) == 0.0);
        CHECK(sparsity::prune(sign * (tau + lsb), tau) == sign * (tau + lsb));
        CHECK(sparsity::prune(std::int32_t(sign * 1311), t) == 0);
        CHECK(sparsity::prune(std::int32_t(sign * 1312), t) == std::int32_t(sign * 1312));
    }
    // Between two words, as --threshold 0.02 is: the words at or below it are pruned.
    CHECK(sparsity::threshold_raw(0.02, fl) == 1310);
    CHECK(sparsity::pruned(1310 * lsb, 0.02));
    CHECK_FALSE(sparsity::pruned(1311 * lsb, 0.02));
    // τ = 0 prunes nothing, not even the value 0 (which stays 0 either way).
    CHECK_FALSE(sparsity::pruned(0.0, 0.0));
    CHECK(sparsity::prune(-0.5, 0.0) == -0.5);
    // Fixed-point quantization then the raw rule equals the double rule on the word's value.
    functional::FixedPointFormat f;
    f.int_bits = 4;
    f.frac_bits = fl;
    for (double v : {0.019, 0.02, 0.0200042, tau, -tau, 0.021}) {
        const std::int32_t w = f.quantize(v);
        CHECK((sparsity::prune(w, t) == 0) == (w == 0 || sparsity::pruned(f.to_double(w), tau)));
    }
}

TEST_CASE("sparsity rule: offline weight pruning applies the same rule at the boundary", "[sparsity][dynatran]") {
    functional::ModelWeights w;
    const double tau = 0.125;
    w.matrices["l0.attn.wq"] = functional::Matrix{1, 4, {tau, -tau, std::nextafter(tau, 1.0), 0.5}};
    const auto stats = functional::prune_weights(w, tau);
    const auto& v = w.matrices["l0.attn.wq"].values;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const double original = std::vector<double>{tau, -tau, std::nextafter(tau, 1.0), 0.5}[i];
        CHECK(v[i] == sparsity::prune(original, tau));
    }
    CHECK(stats.zeroed == 2);
}

namespace {

struct ConfigFile {
    fs::path path;
    explicit ConfigFile(const std::string& text) {
        path = fs::temp_directory_path() / ("acceltran-sparsity-rule-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(std::rand()) + ".yaml");
        std::ofstream(path, std::ios::binary) << text;
    }
    ~ConfigFile() {
        std::error_code ec;
        fs::remove(path, ec);
    }
};

std::string sparsity_input_error(const std::string& text, const std::vector<std::string>& overrides = {}) {
    ConfigFile file(text);
    try {
        load_accelerator(file.path.string(), kConfigs, overrides);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("sparsity config: rule keys parse, default to DynaTran at tau 0 and take --set", "[config][sparsity]") {
    ConfigFile minimal(kMinimalAccelerator);
    const AcceleratorConfig d = load_accelerator(minimal.path.string(), kConfigs);
    CHECK(d.sparsity_rule.mode == sparsity::SparsityMode::DynaTran);
    CHECK(d.sparsity_rule.threshold == 0);
    CHECK_FALSE(d.sparsity_rule.zero_skipping());  // a timing-only design

    for (const char* name : {"acceltran-edge", "acceltran-server"}) {
        const AcceleratorConfig c = load_accelerator(name, kConfigs);
        CHECK_FALSE(c.sparsity_rule.zero_skipping());  // shipped designs stay timing-only
        const AcceleratorConfig o = load_accelerator(name, kConfigs, {"sparsity.threshold=0.02"});
        CHECK(o.sparsity_rule.threshold == 0.02);
        CHECK(o.sparsity_rule.zero_skipping());
        const AcceleratorConfig k =
            load_accelerator(name, kConfigs, {"sparsity.mode=topk", "sparsity.k=8"});
        CHECK(k.sparsity_rule.mode == sparsity::SparsityMode::TopK);
        CHECK(k.sparsity_rule.k == 8);
    }
    ConfigFile full(kMinimalAccelerator + "sparsity: {mode: none, weight_threshold: 0.01}\n");
    const AcceleratorConfig n = load_accelerator(full.path.string(), kConfigs);
    CHECK(n.sparsity_rule.mode == sparsity::SparsityMode::None);
    CHECK(n.sparsity_rule.weight_threshold == 0.01);
    CHECK(n.sparsity_rule.zero_skipping());
}

TEST_CASE("sparsity config: bad rule keys and values are located errors", "[config][sparsity]") {
    using Catch::Contains;
    CHECK_THAT(sparsity_input_error(kMinimalAccelerator + "sparsity:\n  mode: dynatrn\n"),
               Contains(":7:9: sparsity.mode: expected one of none, dynatran, topk (did you mean 'dynatran'?), "
                        "found 'dynatrn'"));
    CHECK_THAT(sparsity_input_error(kMinimalAccelerator + "sparsity:\n  threshold: -0.5\n"),
               Contains(":7:14: sparsity.threshold: expected a number of at least 0, found '-0.5'"));
    CHECK_THAT(sparsity_input_error(kMinimalAccelerator + "sparsity:\n  threshold: lots\n"),
               Contains(":7:14: sparsity.threshold: expected a number, found 'lots'"));
    CHECK_THAT(sparsity_input_error(kMinimalAccelerator + "sparsity:\n  treshold: 0.1\n"),
               Contains("unknown key 'treshold'") && Contains("did you mean 'threshold'?"));
    CHECK_THAT(sparsity_input_error(kMinimalAccelerator + "sparsity:\n  mode: topk\n"),
               Contains(":7:9: sparsity.mode: mode topk needs sparsity.k"));
    CHECK_THAT(sparsity_input_error(kMinimalAccelerator + "sparsity:\n  mode: topk\n  k: 0\n"),
               Contains(":8:6: sparsity.k: expected an integer of at least 1 with mode topk"));
    CHECK_THAT(sparsity_input_error(kMinimalAccelerator + "sparsity:\n  mode: none\n  threshold: 0.1\n"),
               Contains(":8:14: sparsity.threshold: expected 0 with mode none"));
    CHECK_THAT(sparsity_input_error(kMinimalAccelerator + "sparsity:\n  k: 4\n"),
               Contains(":7:6: sparsity.k: expected 0 with mode dynatran"));
    CHECK_THAT(sparsity_input_error(kMinimalAccelerator + "sparsity:\n  weight_threshold: inf\n"),
               Contains(":7:21: sparsity.weight_threshold: expected a finite number, found 'inf'"));
    // Through --set: the file and the key path (a --set value has no line of its own).
    CHECK_THAT(sparsity_input_error(kMinimalAccelerator + "sparsity: {threshold: 0}\n", {"sparsity.threshold=-1"}),
               Contains("sparsity.threshold: expected a number of at least 0, found '-1'"));
}
