#include "workloads/target_description.h"

namespace acceltran::workloads {

const char* to_string(BufferKind b) {
    switch (b) {
        case BufferKind::Activation: return "activation";
        case BufferKind::Weight: return "weight";
        case BufferKind::Mask: return "mask";
    }
    return "?";
}

const char* to_string(UnitClass u) {
    switch (u) {
        case UnitClass::MacLane: return "mac_lane";
        case UnitClass::Softmax: return "softmax";
        case UnitClass::LayerNorm: return "layernorm";
    }
    return "?";
}

UnitClass unit_class_of(OpKind kind) {
    switch (kind) {
        case OpKind::Softmax: return UnitClass::Softmax;
        // RMSNorm runs the layer-norm unit's two passes with simpler arithmetic (tile_timing.h).
        case OpKind::LayerNorm:
        case OpKind::RmsNorm: return UnitClass::LayerNorm;
        // GELU and SiLU run in the lanes' non-linearity stage, residual adds in their adder trees,
        // the SwiGLU and rotary products in their multipliers.
        default: return UnitClass::MacLane;
    }
}

std::array<UnitClass, kOpKindCount> acceltran_units() {
    std::array<UnitClass, kOpKindCount> units{};
    for (int k = 0; k < kOpKindCount; ++k) units[std::size_t(k)] = unit_class_of(OpKind(k));
    return units;
}

std::uint64_t compressed_bytes(std::uint64_t elements, double density, int element_bits) {
    // Rounded up to whole bytes: a partially filled word still occupies storage.
    double bits = double(elements) * density * element_bits;
    return std::uint64_t((bits + 7.999999) / 8.0);
}

std::uint64_t mask_bytes(std::uint64_t elements) { return (elements + 7) / 8; }

std::uint64_t CompileOptions::mask_bytes_of(std::uint64_t elements) const { return masks ? mask_bytes(elements) : 0; }

}  // namespace acceltran::workloads
