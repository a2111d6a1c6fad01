#include "workloads/analyzer.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "modules/common/errors.h"

namespace acceltran::workloads {

namespace {

double flops_per_element(const OpGraph& graph, OpKind kind) {
    switch (kind) {
        case OpKind::Softmax: return kSoftmaxFlopsPerElement;
        case OpKind::LayerNorm: return kLayerNormFlopsPerElement;
        case OpKind::Gelu:
            return graph.model.activation == "relu" ? kReluFlopsPerElement : kGeluFlopsPerElement;
        case OpKind::Add: return kAddFlopsPerElement;
        case OpKind::MatMul: break;
    }
    return 0;
}

const char* kind_name(const OpCount& c) { return c.gather ? "gather" : to_string(c.kind); }

void accumulate(OpCount& sum, const OpCount& c) {
    sum.flops += c.flops;
    sum.bytes += c.bytes;
}

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
    char buf[512];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, args);
    va_end(args);
    return buf;
}

}  // namespace

Analysis analyze(const OpGraph& graph, double bytes_per_element) {
    if (!(bytes_per_element > 0) || !std::isfinite(bytes_per_element))
        throw InputError("bytes per element must be a positive number, found " +
                         std::to_string(bytes_per_element));
    const double bpe = bytes_per_element;
    Analysis a;

    // The rows the tokens select come from the embedding tables in main memory; the survey
    // counts that traffic once as a read and once as a write into local memory.
    const std::int64_t hidden = graph.model.hidden();
    OpCount gather{"emb.gather", OpKind::Add, OpCategory::Other, -1};
    gather.gather = true;
    gather.bytes = 2.0 * double(std::int64_t(graph.batch) * graph.seq + graph.seq) *
                   double(hidden) * bpe;
    a.ops.push_back(gather);

    for (const Op& op : graph.ops) {
        OpCount c{op.name, op.kind, op.category, op.layer};
        c.flops = op.kind == OpKind::MatMul
                      ? 2.0 * double(op.macs())
                      : flops_per_element(graph, op.kind) * double(op.out_elements());
        // Each distinct input is read once and the output written once (the survey's
        // "local memory large enough" convention, an upper bound on arithmetic intensity).
        std::set<int> inputs(op.a_inputs.begin(), op.a_inputs.end());
        if (op.b_input >= 0) inputs.insert(op.b_input);
        double elements = double(graph.tensors[op.output].elements());
        for (int t : inputs) elements += double(graph.tensors[t].elements());
        c.bytes = elements * bpe;
        a.ops.push_back(c);
    }

    for (OpCategory cat : {OpCategory::MhaProjection, OpCategory::MhaActToAct,
                           OpCategory::FfnProjection, OpCategory::Other}) {
        // kind is not meaningful for summary rows.
        OpCount sum{to_string(cat), OpKind::MatMul, cat, -1};
        for (const OpCount& c : a.ops)
            if (c.category == cat) accumulate(sum, c);
        a.categories.push_back(sum);
    }
    a.total = OpCount{"total", OpKind::MatMul, OpCategory::Other, -1};
    for (const OpCount& c : a.categories) accumulate(a.total, c);
    return a;
}

std::string analysis_json(const OpGraph& graph, const Analysis& analysis,
                          double bytes_per_element) {
    using nlohmann::json;
    auto figures = [](const OpCount& c) {
        return json{{"flops", c.flops}, {"bytes", c.bytes}, {"intensity", c.intensity()}};
    };
    json doc;
    doc["model"] = graph.model.name;
    doc["seq"] = graph.seq;
    doc["batch"] = graph.batch;
    doc["bytes_per_element"] = bytes_per_element;
    doc["total"] = figures(analysis.total);
    doc["categories"] = json::array();
    for (const OpCount& c : analysis.categories) {
        json j = figures(c);
        j["name"] = c.name;
        doc["categories"].push_back(j);
    }
    doc["operators"] = json::array();
    for (const OpCount& c : analysis.ops) {
        json j = figures(c);
        j["name"] = c.name;
        j["kind"] = kind_name(c);
        j["category"] = to_string(c.category);
        j["layer"] = c.layer;
        doc["operators"].push_back(j);
    }
    return doc.dump(2);
}

std::string analysis_table(const OpGraph& graph, const Analysis& analysis) {
    int name_w = 14;  // wide enough for "mha_act_to_act"
    for (const OpCount& c : analysis.ops) name_w = std::max(name_w, int(c.name.size()));

    std::string out = format("%s, seq %d, batch %d (GFLOPs = 1e9 FLOPs, MB = 1e6 bytes)\n\n",
                             graph.model.name.c_str(), graph.seq, graph.batch);
    out += format("%-*s %12s %12s %10s\n", name_w, "category", "GFLOPs", "MB", "FLOP/B");
    auto row = [&](const OpCount& c) {
        return format("%-*s %12.6f %12.4f %10.2f\n", name_w, c.name.c_str(), c.flops / 1e9,
                      c.bytes / 1e6, c.intensity());
    };
    for (const OpCount& c : analysis.categories) out += row(c);
    out += row(analysis.total);

    out += format("\n%-*s %-9s %-14s %5s %12s %12s %10s\n", name_w, "operator", "kind",
                  "category", "layer", "GFLOPs", "MB", "FLOP/B");
    for (const OpCount& c : analysis.ops)
        out += format("%-*s %-9s %-14s %5d %12.6f %12.4f %10.2f\n", name_w, c.name.c_str(),
                      kind_name(c), to_string(c.category), c.layer, c.flops / 1e9, c.bytes / 1e6,
                      c.intensity());
    return out;
}

}  // namespace acceltran::workloads
