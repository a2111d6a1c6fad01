// The functional mode's weights (workloads/functional/model_weights.h) from an ONNX graph's own
// initializers (docs/models.md, "ONNX weights"): the transformer recognizer
// (onnx_transformer.h) says which initializer plays which role; this reads them, applying the
// transposes (Gemm transB: [out, in]), the column ranges (a fused QKV projection's Split) and the
// constant factors (Gemm alpha/beta, the scores' scaling when it is not 1/sqrt(width)) the graph
// applies, so that the op graph's `l<i>.attn.wq`, ... compute what the ONNX graph computes.
// float32, float16, bfloat16 and double initializers are read; any other element type, a shape
// other than the role's, data held in an external file or a non-finite value is an InputError
// naming the file, the initializer and what was expected.
#pragma once

#include <string>

#include "workloads/functional/model_weights.h"
#include "workloads/model_spec.h"

namespace acceltran::workloads {

// True when `model` was read from an ONNX graph (its source file ends in .onnx): a functional run
// without --weights then takes the graph's initializers.
bool model_from_onnx(const ModelSpec& model);

// The weights of `model` from `onnx_file`, which must hold the same model (every shape is
// checked). Also runs functional::check_functional_model (BERT-family encoders only).
functional::ModelWeights load_onnx_weights(const ModelSpec& model, const std::string& onnx_file);

}  // namespace acceltran::workloads
