#include "modules/simulation/op_class_breakdown.h"

#include <ostream>

#include "core/number_text.h"

namespace acceltran {

const char* to_string(OpClass c) {
    switch (c) {
        case OpClass::MatMul: return "matmul";
        case OpClass::Gelu: return "gelu";
        case OpClass::Softmax: return "softmax";
        case OpClass::LayerNorm: return "layernorm";
        case OpClass::ResidualAdd: return "residual_add";
        case OpClass::SwiGlu: return "swiglu";
        case OpClass::Rotary: return "rotary";
        case OpClass::Dequantization: return "dequantization";
        case OpClass::DataMovement: return "data_movement";
    }
    return "?";
}

OpClass OpClassBreakdown::class_of(workloads::OpKind kind) {
    using workloads::OpKind;
    switch (kind) {
        case OpKind::MatMul: return OpClass::MatMul;
        case OpKind::Gelu: return OpClass::Gelu;
        case OpKind::Softmax: return OpClass::Softmax;
        case OpKind::LayerNorm:
        case OpKind::RmsNorm: return OpClass::LayerNorm;
        case OpKind::Add: return OpClass::ResidualAdd;
        case OpKind::SwiGlu: return OpClass::SwiGlu;
        case OpKind::Rotary: return OpClass::Rotary;
    }
    return OpClass::MatMul;
}

OpClassBreakdown::OpClassBreakdown(const workloads::OpGraph& graph, const std::vector<OpCriticalSplit>& ops,
                                   double clock_mhz)
    : clock_mhz_(clock_mhz) {
    for (const OpCriticalSplit& op : ops) {
        const double conversion = op.computing * op.conversion_share;
        cycles_[std::size_t(class_of(graph.ops[std::size_t(op.op)].kind))] += op.computing - conversion;
        cycles_[std::size_t(OpClass::Dequantization)] += conversion;
        cycles_[std::size_t(OpClass::DataMovement)] += op.critical - op.computing;
    }
}

double OpClassBreakdown::total_cycles() const {
    double total = 0;
    for (double c : cycles_) total += c;
    return total;
}

double OpClassBreakdown::share(OpClass c) const {
    const double total = total_cycles();
    return total > 0 ? cycles(c) / total : 0.0;
}

nlohmann::json OpClassBreakdown::to_json() const {
    nlohmann::json j = nlohmann::json::object();
    for (int c = 0; c < kOpClassCount; ++c)
        j[to_string(OpClass(c))] = {{"cycles", cycles(OpClass(c))}, {"share", share(OpClass(c))}};
    return j;
}

void OpClassBreakdown::write_csv(std::ostream& out) const {
    out << "class,cycles,seconds,share\n";
    const double hz = clock_mhz_ * 1e6;
    for (int c = 0; c < kOpClassCount; ++c) {
        const double cycles = this->cycles(OpClass(c));
        out << to_string(OpClass(c)) << "," << round_trip_text(cycles) << ","
            << round_trip_text(hz > 0 ? cycles / hz : 0.0) << "," << round_trip_text(share(OpClass(c))) << "\n";
    }
}

}  // namespace acceltran
