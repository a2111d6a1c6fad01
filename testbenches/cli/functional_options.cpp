#include "testbenches/cli/functional_options.h"

#include <cmath>
#include <string>

#include "core/errors.h"

namespace acceltran::cli {

namespace po = boost::program_options;

void add_functional_options(po::options_description& desc) {
    desc.add_options()
        ("functional", "carry real values through the accelerator in its fixed-point format; sparsity comes from the data (docs/dynatran.md)")
        ("weights", po::value<std::string>(), "functional: BERT weights from a .safetensors file (Hugging Face names); default: an ONNX --model's initializers, else generated from --seed")
        ("tokens", po::value<std::string>(), "functional: token ids, one sequence of --seq ids per line, --batch lines; default: random from --seed")
        ("seed", po::value<std::uint64_t>()->default_value(1), "functional: seed of the generated weights, tokens and stochastic rounding")
        ("sparsity", po::value<std::string>(), "functional: dynatran (prune |x| <= --threshold), topk (keep the --k largest attention probabilities per row) or none; default: the accelerator's sparsity.mode")
        ("threshold", po::value<double>(), "functional: DynaTran threshold tau on activations (default: the accelerator's sparsity.threshold, 0 as shipped: no pruning)")
        ("k", po::value<int>(), "functional, --sparsity topk: probabilities kept per row (those above the row's k-th largest); default: sparsity.k")
        ("weight-threshold", po::value<double>(), "functional: offline magnitude pruning of the weight matrices, |w| <= W becomes 0 (default: sparsity.weight_threshold, 0 as shipped)");
}

std::optional<FunctionalSettings> functional_settings(const po::variables_map& vm,
                                                      const sparsity::DynaTranConfig& configured) {
    const char* needs[] = {"weights", "tokens", "sparsity", "threshold", "k", "weight-threshold"};
    // A configured rule that prunes makes the run functional without the flag (docs/dynatran.md §1.1).
    const bool by_configuration = configured.zero_skipping();
    if (!vm.count("functional") && !by_configuration) {
        for (const char* n : needs)
            if (vm.count(n)) throw UsageError(std::string("--") + n + " needs --functional");
        // --seed has a default, so vm.count would always see it; one given and unused is refused too.
        if (!vm["seed"].defaulted()) throw UsageError("--seed needs --functional");
        return std::nullopt;
    }
    FunctionalSettings f;
    f.configured = !vm.count("functional");
    if (vm.count("weights")) f.weights_path = vm["weights"].as<std::string>();
    if (vm.count("tokens")) f.tokens_path = vm["tokens"].as<std::string>();
    f.seed = vm["seed"].as<std::uint64_t>();
    // The accelerator's rule, then the flags over it: --sparsity picks the mode (and drops the
    // configured value of the other mode), --threshold, --k and --weight-threshold their values.
    f.sparsity = configured;
    if (vm.count("sparsity")) {
        const std::string mode = vm["sparsity"].as<std::string>();
        if (!sparsity::parse_mode(mode, f.sparsity.mode))
            throw UsageError("--sparsity expects dynatran or topk (or none), got '" + mode + "'");
        if (f.sparsity.mode != sparsity::SparsityMode::DynaTran) f.sparsity.threshold = 0;
        if (f.sparsity.mode != sparsity::SparsityMode::TopK) f.sparsity.k = 0;
    }
    const std::string source = vm.count("sparsity") ? "--sparsity " : "the accelerator's sparsity.mode ";
    const std::string mode = source + sparsity::to_string(f.sparsity.mode);
    if (vm.count("k")) {
        if (f.sparsity.mode != sparsity::SparsityMode::TopK) throw UsageError("--k is for --sparsity topk, not " + mode);
        f.sparsity.k = vm["k"].as<int>();
        if (f.sparsity.k < 1) throw UsageError("--k must be at least 1, got " + std::to_string(f.sparsity.k));
    }
    if (f.sparsity.mode == sparsity::SparsityMode::TopK && f.sparsity.k < 1)
        throw UsageError("--sparsity topk needs --k K (probabilities kept per row)");
    auto non_negative = [&](const char* name) {
        const double v = vm[name].as<double>();
        if (!(v >= 0) || !std::isfinite(v))
            throw UsageError(std::string("--") + name + " must be a finite number >= 0, got " + std::to_string(v));
        return v;
    };
    if (vm.count("threshold")) {
        if (f.sparsity.mode != sparsity::SparsityMode::DynaTran)
            throw UsageError("--threshold is for --sparsity dynatran, not " + mode);
        f.sparsity.threshold = non_negative("threshold");
    }
    if (vm.count("weight-threshold")) f.sparsity.weight_threshold = non_negative("weight-threshold");
    return f;
}

}  // namespace acceltran::cli
