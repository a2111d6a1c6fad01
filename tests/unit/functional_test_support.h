// Helpers shared by the [functional] tests (with integration_support.h's ScratchDir): a tiny BERT
// spec and raw safetensors bytes built by hand (so that the reader is not only tested against our
// writer).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/integration/integration_support.h"
#include "workloads/model_spec.h"

namespace acceltran::testing {

// hidden 8, 2 heads of width 4, ffn 16, vocab 10, max_positions 8, `layers` layers.
inline workloads::ModelSpec tiny_bert(int layers = 1) {
    workloads::ModelSpec m;
    m.name = "tiny-test";
    m.vocab_size = 10;
    m.max_positions = 8;
    for (int l = 0; l < layers; ++l) {
        workloads::LayerSpec layer;
        layer.hidden = 8;
        layer.heads = {workloads::AttentionHeadSpec{"sa_sdp", 4}, workloads::AttentionHeadSpec{"sa_sdp", 4}};
        layer.ffn = {16};
        m.layers.push_back(layer);
    }
    return m;
}

// BERT-Tiny's shape (google/bert_uncased_L-2_H-128_A-2) with a small vocabulary, to keep the
// generated tables small; the vocabulary size does not change the encoder's arithmetic.
inline workloads::ModelSpec bert_tiny_shape(int vocab = 1000) {
    workloads::ModelSpec m;
    m.name = "bert-tiny-shape";
    m.vocab_size = vocab;
    m.max_positions = 512;
    for (int l = 0; l < 2; ++l) {
        workloads::LayerSpec layer;
        layer.hidden = 128;
        layer.heads = {workloads::AttentionHeadSpec{"sa_sdp", 64}, workloads::AttentionHeadSpec{"sa_sdp", 64}};
        layer.ffn = {512};
        m.layers.push_back(layer);
    }
    return m;
}

// A safetensors file: 8-byte little-endian header length, the header, the data.
inline std::string safetensors_bytes(const std::string& header, const std::string& data) {
    std::string out;
    const std::uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) out += char((n >> (8 * i)) & 0xff);
    return out + header + data;
}

}  // namespace acceltran::testing
