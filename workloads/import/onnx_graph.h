// An ONNX model file read with Debian's libonnx protobuf definitions (onnx::ModelProto), with the
// look-ups the transformer recognizer needs: who produces and who consumes each tensor, the
// initializers and Constant nodes, and small constant tensors' values. Reading refuses, naming
// the file, what is not an ONNX model: bytes that do not parse (with the byte offset and field
// where a cut-short file ends), a model without a graph or nodes, any node whose op type is
// not one the importer recognizes (docs/models.md lists them), and a node that takes a tensor
// produced at or after it (a cycle: ONNX requires topological order).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

namespace acceltran::workloads {

class OnnxGraph {
public:
    // The op types a transformer graph may contain for the importer (docs/models.md, "ONNX").
    static const std::vector<std::string>& supported_op_types();
    // Protobuf refuses messages of 2 GiB and more; weights beyond that live in external data
    // files, which the importer does not need (it reads shapes, not weights).
    static constexpr std::uintmax_t kMaxFileBytes = (std::uintmax_t(1) << 31) - 1;

    // Reads and checks `file`. InputError naming the file and the place otherwise.
    explicit OnnxGraph(const std::string& file);
    // The indexes point into the parsed model.
    OnnxGraph(const OnnxGraph&) = delete;
    OnnxGraph& operator=(const OnnxGraph&) = delete;

    const std::string& file() const { return file_; }
    const onnx::GraphProto& graph() const { return model_.graph(); }
    const onnx::NodeProto& node(int index) const { return model_.graph().node(index); }
    int node_count() const { return model_.graph().node_size(); }

    // "node 'name' (#12, MatMul)": how messages name a node.
    std::string describe(int node) const;
    // An InputError "<file>: <what>".
    [[noreturn]] void fail(const std::string& what) const;

    // Index of the node producing `tensor`, or -1 for a graph input, an initializer or a name
    // nothing produces.
    int producer(const std::string& tensor) const;
    const std::vector<int>& consumers(const std::string& tensor) const;
    bool is_graph_input(const std::string& tensor) const;

    // An initializer or the tensor of a Constant node's `value`, or nullptr.
    const onnx::TensorProto* constant(const std::string& tensor) const;
    // The dims of constant(tensor); nothing when it is not a constant.
    std::optional<std::vector<std::int64_t>> constant_shape(const std::string& tensor) const;
    // The values of a constant tensor as doubles (FLOAT, DOUBLE, INT32, INT64, BOOL; stored in
    // the typed fields or raw_data), also through Constant's value_float(s)/value_int(s) and a
    // Concat or Unsqueeze of constants (shape arithmetic exporters leave in). Nothing when the
    // tensor is computed from graph inputs, stored externally or of another element type, or
    // when following it exceeds the bounds below (a cycle, a Concat that doubles its values).
    std::optional<std::vector<double>> constant_values(const std::string& tensor) const;
    // Bounds on folding Identity, Unsqueeze and Concat: the ops visited for one tensor and the
    // values a Concat may assemble. A graph can name its own output as an input (a cycle), and
    // 40 Concats each doubling the one before would make 2^40 values; the shape vectors the
    // recognizer folds have a handful of entries.
    static constexpr int kMaxFoldedOps = 256;
    static constexpr std::size_t kMaxConcatValues = 4096;

    // An attribute of a node, or nullptr.
    const onnx::AttributeProto* attribute(int node, const std::string& name) const;

private:
    void parse(const std::string& bytes);
    [[noreturn]] void fail_unparsable(const std::string& bytes) const;
    void index();
    void check_op_types() const;
    static int required_inputs(const std::string& op_type);
    std::optional<std::vector<double>> constant_values(const std::string& tensor, int& budget) const;

    std::string file_;
    onnx::ModelProto model_;
    std::map<std::string, int> producer_;
    std::map<std::string, std::vector<int>> consumers_;
    std::map<std::string, const onnx::TensorProto*> constants_;
    // A set: every Gather asks, and a graph may have as many inputs as nodes (a list made a
    // 40 MB file of 600000 of each take minutes).
    std::set<std::string> inputs_;
    std::map<int, onnx::TensorProto> scalar_constants_;  // Constant nodes given by value_float(s)/value_int(s)
};

}  // namespace acceltran::workloads
