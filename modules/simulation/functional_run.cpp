#include "modules/simulation/functional_run.h"

#include <cmath>
#include <utility>

#include "core/errors.h"
#include "workloads/functional/reference_forward.h"
#include "workloads/functional/weight_loader.h"
#include "workloads/import/onnx_weights.h"

namespace acceltran {

FunctionalRun::FunctionalRun(FunctionalSettings settings) : settings_(std::move(settings)) {}

void FunctionalRun::prepare(const workloads::OpGraph& graph, const AcceleratorConfig& config) {
    graph_ = &graph;
    functional::check_functional_model(graph.model);
    format_.int_bits = config.int_bits;
    format_.frac_bits = config.frac_bits;
    format_.rounding = functional::parse_rounding(config.rounding);
    // --weights first; else an ONNX model's own initializers; else generated.
    if (!settings_.weights_path.empty()) {
        weights_ = functional::load_weights(graph.model, settings_.weights_path);
        weights_source_ = settings_.weights_path;
    } else if (workloads::model_from_onnx(graph.model)) {
        weights_ = workloads::load_onnx_weights(graph.model, graph.model.source);
        weights_source_ = graph.model.source + " (the ONNX model's initializers)";
    } else {
        weights_ = functional::generate_weights(graph.model, settings_.seed);
        weights_source_ = "generated (seed " + std::to_string(settings_.seed) + ")";
    }
    tokens_ = settings_.tokens_path.empty()
                  ? functional::random_tokens(graph.batch, graph.seq, graph.model.vocab_size, settings_.seed)
                  : functional::load_tokens(settings_.tokens_path, graph.batch, graph.seq, graph.model.vocab_size);
    functional::ModelWeights pruned = weights_;
    weight_zeros_fraction_ = functional::prune_weights(pruned, settings_.sparsity.weight_threshold).fraction();
    pruned_weights_ = std::move(pruned);
    engine_ = std::make_unique<compute::FunctionalEngine>(graph, pruned_weights_, tokens_, format_, settings_.sparsity, settings_.seed);
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
    matched.threshold = settings_.sparsity.prunes_activations() ? settings_.sparsity.threshold : 0.0;
    matched.topk = settings_.sparsity.mode == sparsity::SparsityMode::TopK;
    matched.k = settings_.sparsity.k;
    matched.quantize = &format_;
    matched.rounding_seed = settings_.seed;
    const auto matched_ref =
        functional::reference_forward(graph_->model, quantized, tokens_, graph_->seq, graph_->batch, matched);
    const std::vector<double> fractions = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
    const std::vector<double> quantiles = engine_->magnitude_quantiles(fractions);
    nlohmann::json calibration = nlohmann::json::array();
    for (std::size_t i = 0; i < fractions.size(); ++i)
        calibration.push_back({{"sparsity", fractions[i]}, {"threshold", quantiles[i]}});
    return {{"sparsity_mode", sparsity::to_string(settings_.sparsity.mode)},
            {"requested_by", settings_.configured ? "accelerator sparsity rule" : "--functional"},
            {"threshold", settings_.sparsity.threshold},
            {"k", settings_.sparsity.k},
            {"weight_threshold", settings_.sparsity.weight_threshold},
            {"weights", weights_source_},
            {"tokens", settings_.tokens_path.empty() ? "random (seed " + std::to_string(settings_.seed) + ")" : settings_.tokens_path},
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

}  // namespace acceltran
