#include "workloads/analyzer.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/errors.h"

namespace acceltran::workloads {

namespace {

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

double elementwise_flops_per_element(const OpGraph& graph, OpKind kind) {
    switch (kind) {
        case OpKind::Softmax: return kSoftmaxFlopsPerElement;
        case OpKind::LayerNorm: return kLayerNormFlopsPerElement;
        case OpKind::Gelu:
            return graph.model.activation == "relu" ? kReluFlopsPerElement : kGeluFlopsPerElement;
        case OpKind::Add: return kAddFlopsPerElement;
        case OpKind::RmsNorm: return kRmsNormFlopsPerElement;
        case OpKind::SwiGlu: return kSwiGluFlopsPerElement;
        case OpKind::Rotary: return kRotaryFlopsPerElement;
        case OpKind::MatMul: break;
    }
    return 0;
}

Analysis analyze(const OpGraph& graph, double bytes_per_element) {
    if (!(bytes_per_element > 0) || !std::isfinite(bytes_per_element))
        throw InputError("bytes per element must be a positive number, found " +
                         std::to_string(bytes_per_element));
    const double bpe = bytes_per_element;
    Analysis a;

    // The rows the tokens select come from the embedding tables in main memory; the survey
    // counts that traffic once as a read and once as a write into local memory. Decoders
    // split it by the phase of the step that gathers the rows.
    const bool decoder = graph.model.decoder();
    OpCount gather{"emb.gather", OpKind::Add, OpCategory::Other, -1};
    gather.gather = true;
    double gathered[2] = {0, 0};  // bytes per Phase
    for (const Tensor& t : graph.tensors)
        if (t.gathered)
            gathered[int(graph.ops[graph.consumers[t.id].front()].phase)] +=
                2.0 * double(t.elements()) * bpe;
    gather.bytes = gathered[0] + gathered[1];
    a.ops.push_back(gather);
    if (decoder)
        for (Phase phase : {Phase::Prefill, Phase::Decode}) {
            OpCount sum{to_string(phase), OpKind::MatMul, OpCategory::Other, -1};
            sum.bytes = gathered[int(phase)];
            a.phases.push_back(sum);
        }

    bool lm_head = false;
    for (const Op& op : graph.ops) {
        OpCount c{op.name, op.kind, op.category, op.layer};
        c.phase = op.phase;
        c.step = op.step;
        c.flops = op.kind == OpKind::MatMul
                      ? 2.0 * double(op.macs())
                      : elementwise_flops_per_element(graph, op.kind) * double(op.active_elements());
        // Each distinct input is read once and the output written once (the survey's
        // "local memory large enough" convention, an upper bound on arithmetic intensity).
        // An element-wise op reads no more of an input than it has outputs (a prefill's final
        // norm reads only the last positions).
        double elements = double(graph.tensors[op.output].elements());
        for (int t : op.inputs()) {
            const std::int64_t stored = graph.tensors[t].elements();
            elements += double(op.kind == OpKind::MatMul ? stored : std::min(stored, op.out_elements()));
        }
        c.bytes = elements * bpe;
        a.ops.push_back(c);
        if (decoder) accumulate(a.phases[int(op.phase)], c);
        lm_head = lm_head || op.category == OpCategory::LmHead;
    }

    std::vector<OpCategory> categories{OpCategory::MhaProjection, OpCategory::MhaActToAct,
                                       OpCategory::FfnProjection, OpCategory::Other};
    if (lm_head) categories.push_back(OpCategory::LmHead);
    for (OpCategory cat : categories) {
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
    const bool decoder = graph.model.decoder();
    if (decoder) {
        doc["prompt_len"] = graph.prompt_len;
        doc["gen_len"] = graph.gen_len;
    }
    doc["bytes_per_element"] = bytes_per_element;
    doc["total"] = figures(analysis.total);
    auto named = [&](const std::vector<OpCount>& rows) {
        json list = json::array();
        for (const OpCount& c : rows) {
            json j = figures(c);
            j["name"] = c.name;
            list.push_back(j);
        }
        return list;
    };
    doc["categories"] = named(analysis.categories);
    if (decoder) doc["phases"] = named(analysis.phases);
    doc["operators"] = json::array();
    for (const OpCount& c : analysis.ops) {
        json j = figures(c);
        j["name"] = c.name;
        j["kind"] = kind_name(c);
        j["category"] = to_string(c.category);
        j["layer"] = c.layer;
        if (decoder && !c.gather) {
            j["phase"] = to_string(c.phase);
            j["step"] = c.step;
        }
        doc["operators"].push_back(j);
    }
    return doc.dump(2);
}

std::string analysis_table(const OpGraph& graph, const Analysis& analysis) {
    int name_w = 14;  // wide enough for "mha_act_to_act"
    for (const OpCount& c : analysis.ops) name_w = std::max(name_w, int(c.name.size()));

    const bool decoder = graph.model.decoder();
    std::string out =
        decoder ? format("%s, prompt %d + %d decode steps (seq %d), batch %d", graph.model.name.c_str(),
                         graph.prompt_len, graph.gen_len, graph.seq, graph.batch)
                : format("%s, seq %d, batch %d", graph.model.name.c_str(), graph.seq, graph.batch);
    out += " (GFLOPs = 1e9 FLOPs, MB = 1e6 bytes)\n\n";
    out += format("%-*s %12s %12s %10s\n", name_w, "category", "GFLOPs", "MB", "FLOP/B");
    auto row = [&](const OpCount& c) {
        return format("%-*s %12.6f %12.4f %10.2f\n", name_w, c.name.c_str(), c.flops / 1e9,
                      c.bytes / 1e6, c.intensity());
    };
    for (const OpCount& c : analysis.categories) out += row(c);
    out += row(analysis.total);
    if (decoder) {
        out += format("\n%-*s %12s %12s %10s\n", name_w, "phase", "GFLOPs", "MB", "FLOP/B");
        for (const OpCount& c : analysis.phases) out += row(c);
    }

    out += format("\n%-*s %-9s %-14s %5s %12s %12s %10s\n", name_w, "operator", "kind",
                  "category", "layer", "GFLOPs", "MB", "FLOP/B");
    for (const OpCount& c : analysis.ops)
        out += format("%-*s %-9s %-14s %5d %12.6f %12.4f %10.2f\n", name_w, c.name.c_str(),
                      kind_name(c), to_string(c.category), c.layer, c.flops / 1e9, c.bytes / 1e6,
                      c.intensity());
    return out;
}

}  // namespace acceltran::workloads
