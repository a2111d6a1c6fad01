#include "workloads/import/onnx_weights.h"

#include <cmath>
#include <cstring>
#include <filesystem>

#include "core/errors.h"
#include "core/input_file.h"
#include "workloads/functional/safetensors_file.h"
#include "workloads/functional/weight_loader.h"
#include "workloads/import/onnx_graph.h"
#include "workloads/import/onnx_transformer.h"

namespace acceltran::workloads {

namespace {

std::string onnx_shape_text(const std::vector<std::int64_t>& dims) {
    std::string out = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
    return out + "]";
}

const char* onnx_dtype_name(int type) {
    switch (type) {
        case onnx::TensorProto_DataType_FLOAT: return "float32";
        case onnx::TensorProto_DataType_FLOAT16: return "float16";
        case onnx::TensorProto_DataType_BFLOAT16: return "bfloat16";
        case onnx::TensorProto_DataType_DOUBLE: return "double";
        case onnx::TensorProto_DataType_INT8: return "int8";
        case onnx::TensorProto_DataType_UINT8: return "uint8";
        case onnx::TensorProto_DataType_INT16: return "int16";
        case onnx::TensorProto_DataType_INT32: return "int32";
        case onnx::TensorProto_DataType_INT64: return "int64";
        case onnx::TensorProto_DataType_BOOL: return "bool";
        default: return "another element type";
    }
}

// Reads the initializers the recognizer assigned to each role, checking each against the role.
class OnnxInitializerReader {
public:
    OnnxInitializerReader(const OnnxGraph& graph, const ModelSpec& model) : g_(graph), model_(model) {}

    [[noreturn]] void fail(const std::string& name, const std::string& meaning, const std::string& what) const {
        const bool node_constant = g_.producer(name) >= 0;
        g_.fail(std::string(node_constant ? "the Constant '" : "initializer '") + printable_excerpt(name) + "' (" +
                meaning + " of model '" + model_.name + "'): " + what);
    }

    // The values of constant `name`, row-major, checked to have `expected` elements in a shape
    // whose leading dims are 1 when `vector`, else exactly the shape `expected_shape`.
    std::vector<double> read(const std::string& name, const std::vector<std::int64_t>& expected_shape,
                             const std::string& meaning, bool vector = false) const {
        const onnx::TensorProto* t = g_.constant(name);
        if (!t) fail(name, meaning, "no initializer or Constant of that name");
        const std::vector<std::int64_t> dims(t->dims().begin(), t->dims().end());
        // The values the role's shape holds. A token-type table's rows come from the file
        // unbounded; a count beyond what a file under protobuf's 2 GiB limit can hold is refused
        // here, so that neither the product overflows nor anything is allocated for it.
        std::int64_t expected = 1;
        for (auto d : expected_shape) {
            if (d > 0 && expected > std::int64_t(OnnxGraph::kMaxFileBytes) / d)
                fail(name, meaning, "its shape " + onnx_shape_text(expected_shape) +
                                        " holds more values than an ONNX file under protobuf's 2 GiB limit can");
            expected *= d;
        }
        bool shape_ok = dims == expected_shape;
        if (vector && !shape_ok && !dims.empty() && dims.back() == expected) {
            shape_ok = true;
            for (std::size_t i = 0; i + 1 < dims.size(); ++i) shape_ok &= dims[i] == 1;
        }
        const std::string types = "float32, float16, bfloat16 or double";
        if (!shape_ok)
            fail(name, meaning, "expected shape " + onnx_shape_text(expected_shape) + " of " + types + ", found " +
                                    onnx_shape_text(dims));
        if (t->data_location() == onnx::TensorProto_DataLocation_EXTERNAL)
            fail(name, meaning, "its data is in an external file, which is not read (save the model with its weights "
                                "inside the .onnx file, under protobuf's 2 GiB limit)");
        const int type = t->data_type();
        std::size_t bytes = 0;
        switch (type) {
            case onnx::TensorProto_DataType_FLOAT: bytes = 4; break;
            case onnx::TensorProto_DataType_FLOAT16:
            case onnx::TensorProto_DataType_BFLOAT16: bytes = 2; break;
            case onnx::TensorProto_DataType_DOUBLE: bytes = 8; break;
            default:
                fail(name, meaning, "expected " + types + " values, found " + onnx_dtype_name(type) +
                                        (type == onnx::TensorProto_DataType_INT8 || type == onnx::TensorProto_DataType_UINT8
                                             ? " (a quantized export: export the float model)"
                                             : ""));
        }
        const auto bad_count = [&](std::size_t found, const std::string& field) {
            const bool raw = field == "raw_data";
            const std::string unit = raw ? " bytes" : " values";
            fail(name, meaning, field + " holds " + std::to_string(found) + unit + ", expected " +
                                    std::to_string(std::size_t(expected) * (raw ? bytes : 1)) + unit + " (" +
                                    std::to_string(expected) + " " + onnx_dtype_name(type) + " values for shape " +
                                    onnx_shape_text(dims) + ")");
        };
        // The data's length is checked before the values are allocated: dims without data must
        // not make the reader reserve what they claim.
        const std::size_t count = std::size_t(expected);
        if (t->has_raw_data()) {
            if (t->raw_data().size() != count * bytes) bad_count(t->raw_data().size(), "raw_data");
        } else if (type == onnx::TensorProto_DataType_FLOAT) {
            if (std::size_t(t->float_data_size()) != count) bad_count(std::size_t(t->float_data_size()), "float_data");
        } else if (type == onnx::TensorProto_DataType_DOUBLE) {
            if (std::size_t(t->double_data_size()) != count) bad_count(std::size_t(t->double_data_size()), "double_data");
        } else if (std::size_t(t->int32_data_size()) != count) {
            bad_count(std::size_t(t->int32_data_size()), "int32_data");
        }
        std::vector<double> out(count);
        if (t->has_raw_data()) {
            const std::string& raw = t->raw_data();
            // ONNX raw_data is little-endian, as x86 and arm64.
            for (std::size_t i = 0; i < out.size(); ++i) {
                const char* p = raw.data() + i * bytes;
                if (type == onnx::TensorProto_DataType_FLOAT) {
                    float f;
                    std::memcpy(&f, p, 4);
                    out[i] = f;
                } else if (type == onnx::TensorProto_DataType_DOUBLE) {
                    std::memcpy(&out[i], p, 8);
                } else {
                    std::uint16_t bits;
                    std::memcpy(&bits, p, 2);
                    out[i] = type == onnx::TensorProto_DataType_FLOAT16 ? functional::half_to_double(bits)
                                                                         : functional::bfloat16_to_double(bits);
                }
            }
        } else if (type == onnx::TensorProto_DataType_FLOAT) {
            for (std::size_t i = 0; i < out.size(); ++i) out[i] = t->float_data(int(i));
        } else if (type == onnx::TensorProto_DataType_DOUBLE) {
            for (std::size_t i = 0; i < out.size(); ++i) out[i] = t->double_data(int(i));
        } else {
            // float16 and bfloat16 without raw_data: one 16-bit pattern per int32_data entry.
            for (std::size_t i = 0; i < out.size(); ++i) {
                const auto bits = std::uint16_t(t->int32_data(int(i)));
                out[i] = type == onnx::TensorProto_DataType_FLOAT16 ? functional::half_to_double(bits)
                                                                     : functional::bfloat16_to_double(bits);
            }
        }
        for (std::size_t i = 0; i < out.size(); ++i)
            if (!std::isfinite(out[i]))
                fail(name, meaning, "value " + std::to_string(i) + " (row-major) is not finite");
        return out;
    }

    // The graph's [in, out] matrix of a linear role, the role's columns, times its weight scale.
    functional::Matrix matrix(const OnnxLinearRole& role, std::int64_t in, std::int64_t out, const std::string& meaning) const {
        if (role.rows != in || role.cols != out)
            g_.fail(meaning + " of model '" + model_.name + "' is " + std::to_string(in) + " x " + std::to_string(out) +
                    ", but " + g_.describe(role.node) + " gives " + std::to_string(role.rows) + " x " +
                    std::to_string(role.cols) + ": the model is not the one in this file");
        const std::vector<std::int64_t> stored =
            role.transposed ? std::vector<std::int64_t>{role.full_cols, role.rows} : std::vector<std::int64_t>{role.rows, role.full_cols};
        const std::vector<double> v = read(role.weight, stored, meaning);
        functional::Matrix m;
        m.rows = in;
        m.cols = out;
        m.values.resize(std::size_t(in * out));
        for (std::int64_t i = 0; i < in; ++i)
            for (std::int64_t o = 0; o < out; ++o) {
                const std::int64_t c = role.col_offset + o;
                const double w = role.transposed ? v[std::size_t(c * role.rows + i)] : v[std::size_t(i * role.full_cols + c)];
                m.values[std::size_t(i * out + o)] = w * role.weight_scale;
            }
        return m;
    }

    // The role's bias (zeros when the graph adds none), times its bias scale.
    std::vector<double> bias(const OnnxLinearRole& role, const std::string& meaning) const {
        if (role.bias.empty()) return std::vector<double>(std::size_t(role.cols), 0.0);
        // A bias after the Split is the part's; one before it (or in Gemm's C) the fused projection's.
        const std::int64_t length = role.bias_fused ? role.full_cols : role.cols;
        const std::int64_t offset = role.bias_fused ? role.col_offset : 0;
        const std::vector<double> v = read(role.bias, {length}, meaning, true);
        std::vector<double> out(std::size_t(role.cols));
        for (std::int64_t i = 0; i < role.cols; ++i) out[std::size_t(i)] = v[std::size_t(offset + i)] * role.bias_scale;
        return out;
    }

    functional::NormParams norm(const OnnxNormRole& role, std::int64_t n, const std::string& meaning) const {
        if (!role.error.empty())
            g_.fail("the weights cannot be read from the initializers: " + meaning + ": " + role.error);
        functional::NormParams p;
        p.gamma = role.gamma.empty() ? std::vector<double>(std::size_t(n), 1.0) : read(role.gamma, {n}, meaning + " gain", true);
        p.beta = role.beta.empty() ? std::vector<double>(std::size_t(n), 0.0) : read(role.beta, {n}, meaning + " offset", true);
        p.epsilon = role.epsilon;
        if (!(p.epsilon > 0) || !std::isfinite(p.epsilon))
            g_.fail(meaning + " of model '" + model_.name + "': epsilon " + std::to_string(p.epsilon) + " (" +
                    role.epsilon_from + ") must be a finite number > 0");
        return p;
    }

private:
    const OnnxGraph& g_;
    const ModelSpec& model_;
};

}  // namespace

bool model_from_onnx(const ModelSpec& model) {
    return std::filesystem::path(model.source).extension() == ".onnx";
}

functional::ModelWeights load_onnx_weights(const ModelSpec& model, const std::string& onnx_file) {
    functional::check_functional_model(model);
    const OnnxGraph graph(onnx_file);
    std::vector<std::string> notes;
    OnnxWeightRoles roles;
    const ModelSpec found = OnnxTransformer(graph).to_model_spec(notes, &roles);
    const std::string cannot = "the weights cannot be read from the initializers: ";
    if (!roles.error.empty()) graph.fail(cannot + roles.error);
    if (found.layers.size() != model.layers.size() || found.hidden() != model.hidden() ||
        found.vocab_size != model.vocab_size || found.max_positions != model.max_positions)
        graph.fail("holds a model of " + std::to_string(found.layers.size()) + " layers, width " +
                   std::to_string(found.hidden()) + ", vocabulary " + std::to_string(found.vocab_size) + " and " +
                   std::to_string(found.max_positions) + " positions, not model '" + model.name + "' (" +
                   std::to_string(model.layers.size()) + ", " + std::to_string(model.hidden()) + ", " +
                   std::to_string(model.vocab_size) + ", " + std::to_string(model.max_positions) + ")");
    const OnnxInitializerReader in(graph, model);
    const std::int64_t h = model.hidden();

    functional::ModelWeights w;
    w.word_embeddings.rows = model.vocab_size;
    w.word_embeddings.cols = h;
    w.word_embeddings.values = in.read(roles.word_table, {model.vocab_size, h}, "the word embedding [vocab, hidden]");
    functional::Matrix pos;
    pos.rows = model.max_positions;
    pos.cols = h;
    pos.values = in.read(roles.position_table, {model.max_positions, h}, "the position embedding [positions, hidden]");
    if (!roles.token_type_table.empty()) {
        // Every token is segment 0: its row is added to every position row, as load_weights does.
        const auto shape = *graph.constant_shape(roles.token_type_table);
        const std::string meaning = "the token-type embedding [types, hidden]";
        if (shape.size() != 2 || shape[0] < 1)
            in.fail(roles.token_type_table, meaning, "expected shape [types, " + std::to_string(h) +
                                                         "] with at least one type, found " + onnx_shape_text(shape));
        const std::vector<double> types = in.read(roles.token_type_table, {shape[0], h}, meaning);
        for (std::int64_t r = 0; r < pos.rows; ++r)
            for (std::int64_t c = 0; c < h; ++c) pos.values[std::size_t(r * h + c)] += types[std::size_t(c)];
    }
    w.matrices["emb.pos_rows"] = std::move(pos);
    w.norms["emb.ln"] = in.norm(roles.embedding_norm, h, "the embedding layer norm");

    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const LayerSpec& layer = model.layers[l];
        const OnnxLayerRoles& r = roles.layers[l];
        const std::string p = "l" + std::to_string(l) + ".";
        const std::string of = "layer " + std::to_string(l) + "'s ";
        for (const OnnxLinearRole* role : {&r.q, &r.k, &r.v, &r.out, &r.ffn_up, &r.ffn_down})
            if (!role->error.empty()) graph.fail(cannot + role->error);
        const std::int64_t gw = std::int64_t(layer.heads.size()) * layer.heads.front().width;
        const std::int64_t f = layer.ffn.front();
        w.matrices[p + "attn.wq"] = in.matrix(r.q, h, gw, of + "query weight");
        w.matrices[p + "attn.wk"] = in.matrix(r.k, h, gw, of + "key weight");
        w.matrices[p + "attn.wv"] = in.matrix(r.v, h, gw, of + "value weight");
        w.matrices[p + "attn.wo"] = in.matrix(r.out, gw, h, of + "attention output weight");
        w.matrices[p + "ffn.w1"] = in.matrix(r.ffn_up, h, f, of + "feed-forward W1");
        w.matrices[p + "ffn.w2"] = in.matrix(r.ffn_down, f, h, of + "feed-forward W2");
        w.biases[p + "attn.q"] = in.bias(r.q, of + "query bias");
        w.biases[p + "attn.k"] = in.bias(r.k, of + "key bias");
        w.biases[p + "attn.v"] = in.bias(r.v, of + "value bias");
        w.biases[p + "attn.out"] = in.bias(r.out, of + "attention output bias");
        w.biases[p + "ffn.h1"] = in.bias(r.ffn_up, of + "feed-forward W1 bias");
        w.biases[p + "ffn.out"] = in.bias(r.ffn_down, of + "feed-forward W2 bias");
        w.norms[p + "attn.ln"] = in.norm(r.attention_norm, h, of + "attention layer norm");
        w.norms[p + "ffn.ln"] = in.norm(r.ffn_norm, h, of + "feed-forward layer norm");
    }
    return w;
}

}  // namespace acceltran::workloads
