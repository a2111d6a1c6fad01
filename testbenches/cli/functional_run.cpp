#include "testbenches/cli/functional_run.h"

#include <cmath>

#include "modules/common/errors.h"
#include "workloads/functional/reference_forward.h"
#include "workloads/functional/weight_loader.h"

namespace acceltran::cli {

namespace po = boost::program_options;

void FunctionalRun::add_options(po::options_description& desc) {
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

std::optional<FunctionalRun> FunctionalRun::from(const po::variables_map& vm) {
    const char* needs[] = {"weights", "tokens", "sparsity", "threshold", "k", "weight-threshold"};
    if (!vm.count("functional")) {
        for (const char* n : needs)
            if (vm.count(n)) throw UsageError(std::string("--") + n + " needs --functional");
        return std::nullopt;
    }
    FunctionalRun f;
    if (vm.count("weights")) f.weights_path_ = vm["weights"].as<std::string>();
    if (vm.count("tokens")) f.tokens_path_ = vm["tokens"].as<std::string>();
    f.seed_ = vm["seed"].as<std::uint64_t>();
    const std::string mode = vm.count("sparsity") ? vm["sparsity"].as<std::string>() : "dynatran";
    if (mode == "dynatran") {
        f.sparsity_.mode = sparsity::SparsityMode::DynaTran;
        if (vm.count("k")) throw UsageError("--k is for --sparsity topk");
    } else if (mode == "topk") {
        f.sparsity_.mode = sparsity::SparsityMode::TopK;
        if (!vm.count("k")) throw UsageError("--sparsity topk needs --k K (probabilities kept per row)");
        if (vm.count("threshold")) throw UsageError("--threshold is for --sparsity dynatran, not topk");
        f.sparsity_.k = vm["k"].as<int>();
        if (f.sparsity_.k < 1) throw UsageError("--k must be at least 1, got " + std::to_string(f.sparsity_.k));
    } else {
        throw UsageError("--sparsity expects dynatran or topk, got '" + mode + "'");
    }
    auto non_negative = [&](const char* name) {
        const double v = vm[name].as<double>();
        if (!(v >= 0) || !std::isfinite(v))
            throw UsageError(std::string("--") + name + " must be a finite number >= 0, got " + std::to_string(v));
        return v;
    };
    if (vm.count("threshold")) f.sparsity_.threshold = non_negative("threshold");
    if (vm.count("weight-threshold")) f.sparsity_.weight_threshold = non_negative("weight-threshold");
    return f;
}

void FunctionalRun::prepare(const workloads::OpGraph& graph, const AcceleratorConfig& config) {
    graph_ = &graph;
    functional::check_functional_model(graph.model);
    format_.int_bits = config.int_bits;
    format_.frac_bits = config.frac_bits;
    format_.rounding = functional::parse_rounding(config.rounding);
    weights_ = weights_path_.empty() ? functional::generate_weights(graph.model, seed_)
                                     : functional::load_weights(graph.model, weights_path_);
    tokens_ = tokens_path_.empty()
                  ? functional::random_tokens(graph.batch, graph.seq, graph.model.vocab_size, seed_)
                  : functional::load_tokens(tokens_path_, graph.batch, graph.seq, graph.model.vocab_size);
    functional::ModelWeights pruned = weights_;
    weight_zeros_fraction_ = functional::prune_weights(pruned, sparsity_.weight_threshold).fraction();
    pruned_weights_ = std::move(pruned);
    engine_ = std::make_unique<compute::FunctionalEngine>(graph, pruned_weights_, tokens_, format_, sparsity_, seed_);
}

namespace {

nlohmann::json error_json(const std::vector<double>& got, const std::vector<double>& want) {
    double max_abs = 0, sq = 0, ref_sq = 0;
    for (std::size_t i = 0; i < got.size() && i < want.size(); ++i) {
        const double d = got[i] - want[i];
        max_abs = std::max(max_abs, std::fabs(d));
        sq += d * d;
        ref_sq += want[i] * want[i];
    }
    const double n = double(std::max<std::size_t>(1, want.size()));
    return {{"max_abs", max_abs}, {"rms", std::sqrt(sq / n)}, {"relative_rms", ref_sq > 0 ? std::sqrt(sq / ref_sq) : 0.0}};
}

}  // namespace

nlohmann::json FunctionalRun::functional_json() const {
    const std::vector<double> out = engine_->values(graph_->outputs.at(0));
    // Dense: the same weights and tokens in double precision, nothing pruned, nothing rounded.
    functional::ReferenceOptions dense;
    dense.keep_layer_outputs = false;
    const auto dense_ref = functional::reference_forward(graph_->model, weights_, tokens_, graph_->seq, graph_->batch, dense);
    // Matched: the same pruning and the same rounding of stored values, so only the order of
    // operations and the non-linear functions' evaluation differ (docs/dynatran.md §5).
    functional::ModelWeights quantized = pruned_weights_;
    functional::quantize_weights(quantized, format_);
    functional::ReferenceOptions matched = dense;
    matched.threshold = sparsity_.prunes_activations() ? sparsity_.threshold : 0.0;
    matched.topk = sparsity_.mode == sparsity::SparsityMode::TopK;
    matched.k = sparsity_.k;
    matched.quantize = &format_;
    matched.rounding_seed = seed_;
    const auto matched_ref =
        functional::reference_forward(graph_->model, quantized, tokens_, graph_->seq, graph_->batch, matched);
    const std::vector<double> fractions = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
    const std::vector<double> quantiles = engine_->magnitude_quantiles(fractions);
    nlohmann::json calibration = nlohmann::json::array();
    for (std::size_t i = 0; i < fractions.size(); ++i)
        calibration.push_back({{"sparsity", fractions[i]}, {"threshold", quantiles[i]}});
    return {{"sparsity_mode", sparsity::to_string(sparsity_.mode)},
            {"threshold", sparsity_.threshold},
            {"k", sparsity_.k},
            {"weight_threshold", sparsity_.weight_threshold},
            {"weights", weights_path_.empty() ? "generated (seed " + std::to_string(seed_) + ")" : weights_path_},
            {"tokens", tokens_path_.empty() ? "random (seed " + std::to_string(seed_) + ")" : tokens_path_},
            {"format", {{"int_bits", format_.int_bits}, {"frac_bits", format_.frac_bits},
                        {"rounding", functional::to_string(format_.rounding)}}},
            {"output_error_vs_dense", error_json(out, dense_ref.hidden_states)},
            {"output_error_vs_matched_reference", error_json(out, matched_ref.hidden_states)},
            {"threshold_for_sparsity", calibration}};
}

nlohmann::json FunctionalRun::sparsity_json() const {
    const auto zeros = engine_->activation_zeros();
    nlohmann::json by_point = nlohmann::json::object();
    for (const auto& [name, z] : zeros)
        if (name != "all") by_point[name] = z.fraction();
    const auto all = zeros.count("all") ? zeros.at("all") : compute::ZeroCount{};
    return {{"source", "measured"},
            {"activation", all.fraction()},
            {"weight", engine_->weight_zeros().fraction()},
            {"by_op", by_point}};
}

}  // namespace acceltran::cli
