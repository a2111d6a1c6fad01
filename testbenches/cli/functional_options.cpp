#include "testbenches/cli/functional_options.h"

#include <cmath>
#include <string>

#include "core/errors.h"

namespace acceltran::cli {

namespace po = boost::program_options;

void add_functional_options(po::options_description& desc) {
    desc.add_options()
        ("functional", "carry real values through the accelerator in its fixed-point format; sparsity comes from the data (docs/dynatran.md)")
        ("weights", po::value<std::string>(), "functional: BERT weights from a .safetensors file (Hugging Face names); default: generated from --seed")
        ("tokens", po::value<std::string>(), "functional: token ids, one sequence of --seq ids per line, --batch lines; default: random from --seed")
        ("seed", po::value<std::uint64_t>()->default_value(1), "functional: seed of the generated weights, tokens and stochastic rounding")
        ("sparsity", po::value<std::string>(), "functional: dynatran (default; prune |x| <= --threshold) or topk (keep the --k largest attention probabilities per row)")
        ("threshold", po::value<double>(), "functional: DynaTran threshold tau on activations (default 0: no pruning, a dense run)")
        ("k", po::value<int>(), "functional, --sparsity topk: probabilities kept per row (those above the row's k-th largest)")
        ("weight-threshold", po::value<double>(), "functional: offline magnitude pruning of the weight matrices, |w| <= W becomes 0 (default 0: none)");
}

std::optional<FunctionalSettings> functional_settings(const po::variables_map& vm) {
    const char* needs[] = {"weights", "tokens", "sparsity", "threshold", "k", "weight-threshold"};
    if (!vm.count("functional")) {
        for (const char* n : needs)
            if (vm.count(n)) throw UsageError(std::string("--") + n + " needs --functional");
        return std::nullopt;
    }
    FunctionalSettings f;
    if (vm.count("weights")) f.weights_path = vm["weights"].as<std::string>();
    if (vm.count("tokens")) f.tokens_path = vm["tokens"].as<std::string>();
    f.seed = vm["seed"].as<std::uint64_t>();
    const std::string mode = vm.count("sparsity") ? vm["sparsity"].as<std::string>() : "dynatran";
    if (mode == "dynatran") {
        f.sparsity.mode = sparsity::SparsityMode::DynaTran;
        if (vm.count("k")) throw UsageError("--k is for --sparsity topk");
    } else if (mode == "topk") {
        f.sparsity.mode = sparsity::SparsityMode::TopK;
        if (!vm.count("k")) throw UsageError("--sparsity topk needs --k K (probabilities kept per row)");
        if (vm.count("threshold")) throw UsageError("--threshold is for --sparsity dynatran, not topk");
        f.sparsity.k = vm["k"].as<int>();
        if (f.sparsity.k < 1) throw UsageError("--k must be at least 1, got " + std::to_string(f.sparsity.k));
    } else {
        throw UsageError("--sparsity expects dynatran or topk, got '" + mode + "'");
    }
    auto non_negative = [&](const char* name) {
        const double v = vm[name].as<double>();
        if (!(v >= 0) || !std::isfinite(v))
            throw UsageError(std::string("--") + name + " must be a finite number >= 0, got " + std::to_string(v));
        return v;
    };
    if (vm.count("threshold")) f.sparsity.threshold = non_negative("threshold");
    if (vm.count("weight-threshold")) f.sparsity.weight_threshold = non_negative("weight-threshold");
    return f;
}

}  // namespace acceltran::cli
