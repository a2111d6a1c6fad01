#include "workloads/import/onnx_graph.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "core/errors.h"
#include "core/input_file.h"
#include "core/input_record.h"
#include "core/text_list.h"

namespace acceltran::workloads {

namespace {

using google::protobuf::internal::WireFormatLite;

// A file a user mistook for ONNX is most often text (a config, a YAML, a JSON).
bool looks_like_text(const std::string& bytes) {
    const std::size_t n = std::min<std::size_t>(bytes.size(), 256);
    if (n == 0) return false;
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') return false;
        if (c == 0x7f) return false;
    }
    return true;
}

template <typename T>
std::vector<double> raw_values(const std::string& raw) {
    std::vector<double> out(raw.size() / sizeof(T));
    for (std::size_t i = 0; i < out.size(); ++i) {
        T v;
        std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));  // ONNX raw_data is little-endian, as x86 and arm64
        out[i] = static_cast<double>(v);
    }
    return out;
}

std::optional<std::vector<double>> tensor_values(const onnx::TensorProto& t) {
    if (t.data_location() == onnx::TensorProto_DataLocation_EXTERNAL) return std::nullopt;
    const bool raw = t.has_raw_data();
    switch (t.data_type()) {
        case onnx::TensorProto_DataType_FLOAT:
            return raw ? raw_values<float>(t.raw_data()) : std::vector<double>(t.float_data().begin(), t.float_data().end());
        case onnx::TensorProto_DataType_DOUBLE:
            return raw ? raw_values<double>(t.raw_data()) : std::vector<double>(t.double_data().begin(), t.double_data().end());
        case onnx::TensorProto_DataType_INT64:
            return raw ? raw_values<std::int64_t>(t.raw_data()) : std::vector<double>(t.int64_data().begin(), t.int64_data().end());
        case onnx::TensorProto_DataType_INT32:
            return raw ? raw_values<std::int32_t>(t.raw_data()) : std::vector<double>(t.int32_data().begin(), t.int32_data().end());
        case onnx::TensorProto_DataType_BOOL:
            return raw ? raw_values<std::uint8_t>(t.raw_data()) : std::vector<double>(t.int32_data().begin(), t.int32_data().end());
        default: return std::nullopt;
    }
}

}  // namespace

const std::vector<std::string>& OnnxGraph::supported_op_types() {
    static const std::vector<std::string> types{
        "MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "ReduceMean", "LayerNormalization",
        "Softmax", "Gelu", "Erf", "Tanh", "Relu", "Transpose", "Reshape", "Split", "Concat", "Unsqueeze",
        "Gather", "Where", "Constant", "Identity", "Cast"};
    return types;
}

OnnxGraph::OnnxGraph(const std::string& file) : file_(file) {
    if (!existing_input_file(file, "an ONNX model")) throw InputError(file + ": no such ONNX model file");
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(file, ec);
    if (ec) throw InputError(file + ": cannot read the ONNX model file: " + ec.message());
    if (size > kMaxFileBytes)
        fail("the file is " + std::to_string(size >> 20) + " MiB; protobuf reads ONNX models under 2 GiB (larger "
             "models keep their weights in external data files: give the .onnx file that refers to them)");
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) fail("cannot read the ONNX model file");
    parse(bytes);
    index();
    check_op_types();
    // A readable graph is one of the run's inputs (its weights may feed a functional run).
    InputRecord::note_bytes(file, "an ONNX model", bytes);
}

void OnnxGraph::fail(const std::string& what) const { throw InputError(file_ + ": " + what); }

void OnnxGraph::parse(const std::string& bytes) {
    if (bytes.size() > INT_MAX || !model_.ParseFromString(bytes)) fail_unparsable(bytes);
    if (!model_.has_graph())
        fail(bytes.empty() ? "the file is empty; expected an ONNX model (a binary protobuf ModelProto)"
                           : "no graph: the bytes parse as protobuf but hold no ModelProto graph (field 7); expected "
                             "an ONNX model as torch.onnx.export or onnx.save writes it");
    if (model_.graph().node_size() == 0) fail("the graph '" + printable_excerpt(model_.graph().name()) + "' has no nodes");
}

// Where a file that does not parse goes wrong: the top-level fields are walked with protobuf's
// own wire-format reader, so that a file cut short is reported at the field it cuts.
void OnnxGraph::fail_unparsable(const std::string& bytes) const {
    const std::string expected = "expected an ONNX model (a binary protobuf ModelProto)";
    if (looks_like_text(bytes))
        fail("this is a text file (it begins \"" + printable_excerpt(bytes.substr(0, 40), 40) + "\"); " + expected);
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()), int(bytes.size()));
    in.SetTotalBytesLimit(INT_MAX);
    const auto* descriptor = onnx::ModelProto::descriptor();
    while (true) {
        const int start = in.CurrentPosition();
        const std::uint32_t tag = in.ReadTag();
        if (tag == 0) {
            if (std::size_t(start) == bytes.size()) break;
            fail("byte " + std::to_string(start) + " of " + std::to_string(bytes.size()) +
                 ": not a protobuf field; " + expected);
        }
        const int number = WireFormatLite::GetTagFieldNumber(tag);
        const auto* field = descriptor->FindFieldByNumber(number);
        const std::string name = field ? "field " + std::to_string(number) + " (" + field->name() + ")"
                                       : "field " + std::to_string(number) + " (not a ModelProto field)";
        if (!WireFormatLite::SkipField(&in, tag))
            fail("byte " + std::to_string(start) + ": " + name + " runs past the end of the file (" +
                 std::to_string(bytes.size()) + " bytes): the file is truncated or not ONNX; " + expected);
        if (!field)
            fail("byte " + std::to_string(start) + ": " + name + "; " + expected);
    }
    fail("the top-level fields are whole but one inside them does not parse (a corrupted graph); " + expected);
}

void OnnxGraph::index() {
    const onnx::GraphProto& g = model_.graph();
    for (const auto& init : g.initializer()) constants_[init.name()] = &init;
    for (const auto& input : g.input())
        if (!constants_.count(input.name())) inputs_.insert(input.name());
    for (int i = 0; i < g.node_size(); ++i) {
        const onnx::NodeProto& n = g.node(i);
        for (const auto& in : n.input())
            if (!in.empty()) consumers_[in].push_back(i);
        for (const auto& out : n.output())
            if (!out.empty()) producer_[out] = i;
        if (n.op_type() != "Constant" || n.output_size() != 1) continue;
        for (const auto& a : n.attribute()) {
            if (a.name() == "value" && a.has_t()) {
                constants_[n.output(0)] = &a.t();
            } else if (a.name() == "value_float" || a.name() == "value_floats" || a.name() == "value_int" ||
                       a.name() == "value_ints") {
                onnx::TensorProto& t = scalar_constants_[i];
                const bool floats = a.name().rfind("value_float", 0) == 0;
                t.set_data_type(floats ? onnx::TensorProto_DataType_FLOAT : onnx::TensorProto_DataType_INT64);
                if (a.name() == "value_float") t.add_float_data(a.f());
                if (a.name() == "value_int") t.add_int64_data(a.i());
                for (float f : a.floats()) t.add_float_data(f);
                for (auto v : a.ints()) t.add_int64_data(v);
                if (a.name() == "value_floats" || a.name() == "value_ints") t.add_dims(floats ? a.floats_size() : a.ints_size());
                constants_[n.output(0)] = &t;
            }
        }
    }
}

// The inputs each op type needs (the ONNX operator schemas' required ones), checked once so that
// the recognizer can read them without a bounds check at every step.
int OnnxGraph::required_inputs(const std::string& op_type) {
    static const std::map<std::string, int> inputs{
        {"MatMul", 2}, {"Gemm", 2}, {"Add", 2}, {"Sub", 2}, {"Mul", 2}, {"Div", 2}, {"Pow", 2}, {"Sqrt", 1},
        {"ReduceMean", 1}, {"LayerNormalization", 2}, {"Softmax", 1}, {"Gelu", 1}, {"Erf", 1}, {"Tanh", 1},
        {"Relu", 1}, {"Transpose", 1}, {"Reshape", 2}, {"Split", 1}, {"Concat", 1}, {"Unsqueeze", 1},
        {"Gather", 2}, {"Where", 3}, {"Constant", 0}, {"Identity", 1}, {"Cast", 1}};
    const auto it = inputs.find(op_type);
    return it == inputs.end() ? -1 : it->second;
}

void OnnxGraph::check_op_types() const {
    const auto& supported = supported_op_types();
    for (int i = 0; i < node_count(); ++i) {
        const onnx::NodeProto& n = node(i);
        if (std::find(supported.begin(), supported.end(), n.op_type()) == supported.end())
            fail(describe(i) + ": op type '" + printable_excerpt(n.op_type()) +
                 "' is not recognized by the ONNX importer; supported: " + comma_list(supported) +
                 " (docs/models.md, \"ONNX\")");
        const int needed = required_inputs(n.op_type());
        if (n.input_size() < needed || n.output_size() < 1 || n.output(0).empty())
            fail(describe(i) + ": expected " + std::to_string(needed) + " input(s) and an output, found " +
                 std::to_string(n.input_size()) + " and " + std::to_string(n.output_size()));
        // ONNX lists nodes so that each input is produced before it is used; the recognizer walks
        // back from consumers to producers, which a cycle would make endless.
        for (const auto& in : n.input()) {
            const int p = in.empty() ? -1 : producer(in);
            if (p >= i && !constant(in))
                fail(describe(i) + " takes '" + printable_excerpt(in) + "', which " +
                     (p == i ? std::string("it produces itself") : describe(p) + " produces after it") +
                     ": the graph has a cycle or is not in topological order, as ONNX requires");
        }
    }
}

std::string OnnxGraph::describe(int index) const {
    const onnx::NodeProto& n = node(index);
    const std::string name = n.name().empty() ? (n.output_size() ? "producing '" + printable_excerpt(n.output(0)) + "'" : "")
                                              : "'" + printable_excerpt(n.name()) + "'";
    return "node " + name + " (#" + std::to_string(index) + " of " + std::to_string(node_count()) + ", " +
           printable_excerpt(n.op_type()) + ")";
}

int OnnxGraph::producer(const std::string& tensor) const {
    const auto it = producer_.find(tensor);
    return it == producer_.end() ? -1 : it->second;
}

const std::vector<int>& OnnxGraph::consumers(const std::string& tensor) const {
    static const std::vector<int> none;
    const auto it = consumers_.find(tensor);
    return it == consumers_.end() ? none : it->second;
}

bool OnnxGraph::is_graph_input(const std::string& tensor) const {
    return inputs_.count(tensor) != 0;
}

const onnx::TensorProto* OnnxGraph::constant(const std::string& tensor) const {
    const auto it = constants_.find(tensor);
    return it == constants_.end() ? nullptr : it->second;
}

std::optional<std::vector<std::int64_t>> OnnxGraph::constant_shape(const std::string& tensor) const {
    const onnx::TensorProto* t = constant(tensor);
    if (!t) return std::nullopt;
    return std::vector<std::int64_t>(t->dims().begin(), t->dims().end());
}

std::optional<std::vector<double>> OnnxGraph::constant_values(const std::string& tensor) const {
    int budget = kMaxFoldedOps;
    return constant_values(tensor, budget);
}

// `budget` counts the ops visited for the outermost tensor, so that a cycle or a DAG whose paths
// multiply ends (with nothing: such a tensor is no constant the recognizer can use).
std::optional<std::vector<double>> OnnxGraph::constant_values(const std::string& tensor, int& budget) const {
    if (const onnx::TensorProto* t = constant(tensor)) return tensor_values(*t);
    const int p = producer(tensor);
    if (p < 0 || --budget < 0) return std::nullopt;
    const onnx::NodeProto& n = node(p);
    if (n.op_type() == "Identity" || n.op_type() == "Unsqueeze") return constant_values(n.input(0), budget);
    if (n.op_type() != "Concat") return std::nullopt;
    std::vector<double> out;
    for (const auto& in : n.input()) {
        const auto part = constant_values(in, budget);
        if (!part || out.size() + part->size() > kMaxConcatValues) return std::nullopt;
        out.insert(out.end(), part->begin(), part->end());
    }
    return out;
}

const onnx::AttributeProto* OnnxGraph::attribute(int index, const std::string& name) const {
    for (const auto& a : node(index).attribute())
        if (a.name() == name) return &a;
    return nullptr;
}

}  // namespace acceltran::workloads
