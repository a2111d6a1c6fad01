// The parameters of a BERT-family encoder for the functional mode, in double precision, keyed
// by the op graph's names so that the simulator and the reference forward pass read the same
// numbers. The op graph has no biases, layer-norm parameters or token-type embedding (each is at
// most an element-wise op per tensor, op_graph.cpp); the functional mode applies them where a
// unit finishes its output (biases in the MAC lane's accumulator, gamma/beta in the layer-norm
// unit) and folds the token-type-0 row into the position rows (every token is segment 0).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace acceltran::functional {

struct Matrix {
    std::int64_t rows = 0, cols = 0;
    std::vector<double> values;  // row-major, rows x cols
    double at(std::int64_t r, std::int64_t c) const { return values[std::size_t(r * cols + c)]; }
};

struct NormParams {
    std::vector<double> gamma, beta;  // one per column
    double epsilon = 1e-12;           // BERT's layer_norm_eps
};

struct ModelWeights {
    // Word embedding table, vocab x hidden: the Input tensor `emb.word_rows` gathers its rows.
    Matrix word_embeddings;
    // Weight tensors of the op graph by tensor name, as the graph's (k x n) B operand:
    // `emb.pos_rows` (max_positions x hidden, position rows + token-type-0 row; the graph uses the
    // first `seq` rows), `l<i>.attn.wq|wk|wv` (hidden x hidden), `l<i>.attn.wo`,
    // `l<i>.ffn.w1` (hidden x ffn), `l<i>.ffn.w2` (ffn x hidden).
    std::map<std::string, Matrix> matrices;
    // Biases by matmul op name: `l<i>.attn.q|k|v|out`, `l<i>.ffn.h1`, `l<i>.ffn.out`.
    std::map<std::string, std::vector<double>> biases;
    // Layer-norm parameters by op name: `emb.ln`, `l<i>.attn.ln`, `l<i>.ffn.ln`.
    std::map<std::string, NormParams> norms;
};

}  // namespace acceltran::functional
