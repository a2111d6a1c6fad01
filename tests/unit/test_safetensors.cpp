// Safetensors reading and writing, and loading Hugging Face BERT checkpoints from it.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "core/errors.h"
#include "tests/unit/functional_test_support.h"
#include "workloads/functional/safetensors_file.h"
#include "workloads/functional/weight_loader.h"

using namespace acceltran;
using namespace acceltran::functional;
using acceltran::testing::safetensors_bytes;
using acceltran::testing::ScratchDir;
using acceltran::testing::tiny_bert;
using Catch::Matchers::Contains;

namespace {

std::string le16(std::uint16_t v) { return {char(v & 0xff), char(v >> 8)}; }

}  // namespace

TEST_CASE("safetensors: write and read back F32 with metadata", "[functional]") {
    ScratchDir dir;
    const std::string path = dir.file("t.safetensors");
    // Values exactly representable as float, so the round trip is exact.
    write_safetensors(path, {{"a", {2, 3}, {0.5, -1.25, 3, 0, 1e-3f, -65504}}, {"b", {}, {7}}, {"c", {0, 4}, {}}},
                      {{"format", "pt"}});
    const SafetensorsFile f(path);
    REQUIRE(f.tensors().size() == 3);
    CHECK(f.metadata().at("format") == "pt");
    const auto* a = f.find("a");
    REQUIRE(a);
    CHECK(a->dtype == SafetensorsDtype::F32);
    CHECK(a->shape == std::vector<std::int64_t>{2, 3});
    CHECK(f.read("a") == std::vector<double>{0.5, -1.25, 3, 0, double(1e-3f), -65504});
    CHECK(f.read("b") == std::vector<double>{7});
    CHECK(f.read("c").empty());
    CHECK(f.find("zz") == nullptr);
    CHECK_THROWS_WITH(f.read("zz"), Contains("no tensor 'zz'"));
    // The header is padded to 8 bytes, as the reference implementation writes it.
    std::ifstream in(path, std::ios::binary);
    unsigned char len[8];
    in.read(reinterpret_cast<char*>(len), 8);
    CHECK(len[0] % 8 == 0);
    CHECK_THROWS_WITH(write_safetensors(path, {{"a", {2}, {1}}}), Contains("shape has 2 elements, its values 1"));
}

TEST_CASE("safetensors: F16, BF16 and F64 convert exactly", "[functional]") {
    // Hand-computed bit patterns: F16 1.0 = 0x3c00, -2.0 = 0xc000, 2^-24 (smallest subnormal) =
    // 0x0001, 65504 (largest) = 0x7bff, 0.333251953125 = 0x3555; BF16 1.0 = 0x3f80,
    // -3.0 = 0xc040, 0.25 = 0x3e80, 1.5 x 2^100 = 0x71c0.
    std::string f16 = le16(0x3c00) + le16(0xc000) + le16(0x0001) + le16(0x7bff) + le16(0x3555);
    std::string bf16 = le16(0x3f80) + le16(0xc040) + le16(0x3e80) + le16(0x71c0);
    const double d = -1.0 / 3.0;
    std::string f64(8, '\0');
    std::memcpy(f64.data(), &d, 8);  // the test host is little-endian (x86-64, arm64)
    const std::string header = R"({"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]},)"
                                R"("b":{"dtype":"BF16","shape":[2,2],"data_offsets":[10,18]},)"
                                R"("d":{"dtype":"F64","shape":[1],"data_offsets":[18,26]}})";
    const auto f = SafetensorsFile::from_bytes(safetensors_bytes(header, f16 + bf16 + f64), "mem");
    CHECK(f.read("h") == std::vector<double>{1.0, -2.0, std::ldexp(1.0, -24), 65504.0, 0.333251953125});
    CHECK(f.read("b") == std::vector<double>{1.0, -3.0, 0.25, std::ldexp(1.5, 100)});
    CHECK(f.read("d") == std::vector<double>{d});
    CHECK(std::isinf(half_to_double(0x7c00)));
    CHECK(std::isnan(half_to_double(0x7e00)));
    CHECK(half_to_double(0x8000) == 0.0);
    CHECK(std::signbit(half_to_double(0x8000)));
    // The same bytes through a file read in chunks give the same values.
    ScratchDir dir;
    const SafetensorsFile g(dir.write("h.safetensors", safetensors_bytes(header, f16 + bf16 + f64)));
    CHECK(g.read("h") == f.read("h"));
    CHECK(g.read("b") == f.read("b"));
}

TEST_CASE("safetensors: every malformed header is refused with its reason", "[functional]") {
    ScratchDir dir;
    const auto check = [&](const std::string& bytes, const std::string& expected) {
        INFO("expected: " << expected);
        const std::string path = dir.write("bad.safetensors", bytes);
        CHECK_THROWS_WITH(SafetensorsFile(path), Contains(path + ": ") && Contains(expected));
        CHECK_THROWS_WITH(SafetensorsFile::from_bytes(bytes, "mem"), Contains("mem: ") && Contains(expected));
    };
    const auto tensor = [](const std::string& body) { return std::string(R"({"w":)") + body + "}"; };
    const std::string data(16, '\0');

    check("abc", "found only 3 bytes");
    check(std::string(8, '\0'), "malformed JSON");  // header length 0: an empty header
    std::string huge_len(8, '\0');
    huge_len[4] = 1;  // 2^32 bytes of header
    check(huge_len + "{}", "header length 4294967296 is impossible");
    std::string over_file(8, '\0');
    over_file[0] = 100;
    check(over_file + "{}", "header length 100 is impossible");
    check(safetensors_bytes("{\"w\": ", data), "malformed JSON");
    check(safetensors_bytes("[1, 2]", data), "expected a JSON object");
    check(safetensors_bytes(std::string(20, '[') + std::string(20, ']'), data), "nested 20 levels deep");
    check(safetensors_bytes(tensor("3"), data), "tensor 'w': expected an object");
    check(safetensors_bytes(tensor(R"({"shape":[1],"data_offsets":[0,4]})"), data), "tensor 'w': missing field 'dtype'");
    check(safetensors_bytes(tensor(R"({"dtype":4,"shape":[1],"data_offsets":[0,4]})"), data), "dtype: expected a string");
    check(safetensors_bytes(tensor(R"({"dtype":"I32","shape":[1],"data_offsets":[0,4]})"), data),
          "dtype: expected one of F32, F16, BF16, F64, found 'I32'");
    check(safetensors_bytes(tensor(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1})"), data),
          "unknown field 'x'");
    check(safetensors_bytes(tensor(R"({"dtype":"F32","shape":"4","data_offsets":[0,4]})"), data),
          "shape: expected a list of sizes");
    check(safetensors_bytes(tensor(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"), data),
          "shape[0]: expected a size >= 0, found -1");
    check(safetensors_bytes(tensor(R"({"dtype":"F32","shape":[1.5],"data_offsets":[0,4]})"), data),
          "shape[0]: expected an integer size");
    check(safetensors_bytes(tensor(R"({"dtype":"F32","shape":[65536,65536,2],"data_offsets":[0,4]})"), data),
          "at most 2^32 elements");
    check(safetensors_bytes(tensor(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]})"), data),
          "at most 2^32 elements");
    check(safetensors_bytes(tensor(R"({"dtype":"F32","shape":[1],"data_offsets":[0]})"), data),
          "data_offsets: expected [begin, end]");
    check(safetensors_bytes(tensor(R"({"dtype":"F32","shape":[1],"data_offsets":[4,-1]})"), data),
          "data_offsets: expected [begin, end]");
    check(safetensors_bytes(tensor(R"({"dtype":"F32","shape":[1],"data_offsets":[8,4]})"), data),
          "expected begin <= end, found [8, 4]");
    check(safetensors_bytes(tensor(R"({"dtype":"F32","shape":[1],"data_offsets":[16,20]})"), data),
          "end 20 is beyond the data section, which has 16 bytes");
    check(safetensors_bytes(tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[0,4]})"), data),
          "expected 8 bytes (2 elements of F32), found 4");
    check(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                            R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", data),
          "tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]");
    check(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                            R"("e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
                            R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})", data),
          "tensor 'b': data_offsets [8, 12] overlap tensor 'a'");
    check(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                            R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", data),
          "duplicate tensor name 'a'");
    check(safetensors_bytes(R"({"__metadata__":{"k":1}})", data), "__metadata__: 'k': expected a string");
    check(safetensors_bytes(R"({"__metadata__":[]})", data), "__metadata__: expected an object");

    CHECK_THROWS_WITH(SafetensorsFile(dir.file("none.safetensors")), Contains("no such file"));
    CHECK_THROWS_WITH(SafetensorsFile(dir.file("")), Contains("found a directory"));
}

// ---- load_weights ---------------------------------------------------------------------------

namespace {

// A tiny BERT checkpoint with Hugging Face names. Each tensor's values are distinct small
// multiples of 1/64 (exact in float): value = tag + index / 64 with a per-tensor tag, so a test
// can tell which tensor and which element landed where.
struct Checkpoint {
    std::vector<SafetensorsTensor> tensors;
    int next_tag = 1;

    void add(const std::string& name, std::vector<std::int64_t> shape) {
        std::int64_t n = 1;
        for (auto d : shape) n *= d;
        SafetensorsTensor t{name, shape, {}};
        for (std::int64_t i = 0; i < n; ++i) t.values.push_back(next_tag + double(i) / 64.0);
        ++next_tag;
        tensors.push_back(std::move(t));
    }
    SafetensorsTensor* find(const std::string& name) {
        for (auto& t : tensors)
            if (t.name == name) return &t;
        return nullptr;
    }
};

Checkpoint tiny_checkpoint(const std::string& prefix, bool old_norm_names = false) {
    Checkpoint c;
    const std::string g = old_norm_names ? ".gamma" : ".weight", b = old_norm_names ? ".beta" : ".bias";
    c.add(prefix + "embeddings.word_embeddings.weight", {10, 8});
    c.add(prefix + "embeddings.position_embeddings.weight", {8, 8});
    c.add(prefix + "embeddings.token_type_embeddings.weight", {2, 8});
    c.add(prefix + "embeddings.LayerNorm" + g, {8});
    c.add(prefix + "embeddings.LayerNorm" + b, {8});
    const std::string l = prefix + "encoder.layer.0.";
    for (const char* qkv : {"query", "key", "value"}) {
        c.add(l + "attention.self." + qkv + ".weight", {8, 8});
        c.add(l + "attention.self." + qkv + ".bias", {8});
    }
    c.add(l + "attention.output.dense.weight", {8, 8});
    c.add(l + "attention.output.dense.bias", {8});
    c.add(l + "attention.output.LayerNorm" + g, {8});
    c.add(l + "attention.output.LayerNorm" + b, {8});
    c.add(l + "intermediate.dense.weight", {16, 8});
    c.add(l + "intermediate.dense.bias", {16});
    c.add(l + "output.dense.weight", {8, 16});
    c.add(l + "output.dense.bias", {8});
    c.add(l + "output.LayerNorm" + g, {8});
    c.add(l + "output.LayerNorm" + b, {8});
    c.add(prefix + "pooler.dense.weight", {8, 8});  // ignored
    c.add("classifier.weight", {2, 8});              // ignored
    return c;
}

}  // namespace

TEST_CASE("load_weights maps Hugging Face BERT names, transposes and folds token type 0", "[functional]") {
    ScratchDir dir;
    for (const std::string prefix : {"", "bert."}) {
        INFO("prefix '" << prefix << "'");
        Checkpoint c = tiny_checkpoint(prefix, prefix.empty());
        const std::string path = dir.file("w.safetensors");
        write_safetensors(path, c.tensors);
        const ModelWeights w = load_weights(tiny_bert(), path);

        const auto& q = *c.find(prefix + "encoder.layer.0.attention.self.query.weight");
        const Matrix& wq = w.matrices.at("l0.attn.wq");
        REQUIRE(wq.rows == 8);
        // PyTorch [out, in] element (out 2, in 5) is the graph's (in 5, out 2).
        CHECK(wq.at(5, 2) == q.values[2 * 8 + 5]);
        CHECK(wq.at(2, 5) == q.values[5 * 8 + 2]);
        const auto& inter = *c.find(prefix + "encoder.layer.0.intermediate.dense.weight");
        const Matrix& w1 = w.matrices.at("l0.ffn.w1");
        CHECK(w1.rows == 8);
        CHECK(w1.cols == 16);
        CHECK(w1.at(7, 13) == inter.values[13 * 8 + 7]);
        const Matrix& w2 = w.matrices.at("l0.ffn.w2");
        CHECK(w2.rows == 16);
        CHECK(w2.cols == 8);
        CHECK(w2.at(13, 7) == c.find(prefix + "encoder.layer.0.output.dense.weight")->values[7 * 16 + 13]);

        const auto& pos = *c.find(prefix + "embeddings.position_embeddings.weight");
        const auto& tt = *c.find(prefix + "embeddings.token_type_embeddings.weight");
        const Matrix& rows = w.matrices.at("emb.pos_rows");
        CHECK(rows.rows == 8);
        // Row 3, column 6: the position value plus token type 0's (not 1's) column 6.
        CHECK(rows.at(3, 6) == pos.values[3 * 8 + 6] + tt.values[6]);
        CHECK(w.word_embeddings.at(9, 1) == c.find(prefix + "embeddings.word_embeddings.weight")->values[9 * 8 + 1]);
        CHECK(w.biases.at("l0.ffn.h1") == c.find(prefix + "encoder.layer.0.intermediate.dense.bias")->values);
        const std::string g = prefix.empty() ? ".gamma" : ".weight";
        CHECK(w.norms.at("l0.ffn.ln").gamma == c.find(prefix + "encoder.layer.0.output.LayerNorm" + g)->values);
        CHECK(w.norms.at("emb.ln").epsilon == 1e-12);
        CHECK(w.matrices.size() == 7);  // pos rows + 6 matmul weights; pooler and classifier ignored
    }
}

TEST_CASE("load_weights names the missing or misshapen tensor", "[functional]") {
    ScratchDir dir;
    const std::string path = dir.file("w.safetensors");
    {
        Checkpoint c = tiny_checkpoint("bert.");
        const SafetensorsTensor* gone = c.find("bert.encoder.layer.0.attention.output.LayerNorm.weight");
        c.tensors.erase(c.tensors.begin() + (gone - c.tensors.data()));
        write_safetensors(path, c.tensors);
        CHECK_THROWS_WITH(load_weights(tiny_bert(), path),
                          Contains("missing tensor 'bert.encoder.layer.0.attention.output.LayerNorm.weight'") &&
                              Contains("'bert.encoder.layer.0.attention.output.LayerNorm.gamma'"));
    }
    {
        Checkpoint c = tiny_checkpoint("");
        c.find("encoder.layer.0.intermediate.dense.weight")->shape = {8, 16};  // not transposed
        write_safetensors(path, c.tensors);
        CHECK_THROWS_WITH(load_weights(tiny_bert(), path),
                          Contains("tensor 'encoder.layer.0.intermediate.dense.weight': expected shape [16, 8]") &&
                              Contains("found [8, 16]"));
    }
    {
        Checkpoint c = tiny_checkpoint("");
        auto model = tiny_bert();
        model.vocab_size = 11;
        write_safetensors(path, c.tensors);
        CHECK_THROWS_WITH(load_weights(model, path),
                          Contains("'embeddings.word_embeddings.weight': expected shape [11, 8]"));
    }
    {
        // A checkpoint of a deeper model.
        Checkpoint c = tiny_checkpoint("");
        c.add("encoder.layer.1.output.dense.bias", {8});
        write_safetensors(path, c.tensors);
        CHECK_THROWS_WITH(load_weights(tiny_bert(), path), Contains("encoder layer 1") && Contains("has 1 layers"));
    }
    {
        // Two layers expected, one present.
        Checkpoint c = tiny_checkpoint("");
        write_safetensors(path, c.tensors);
        CHECK_THROWS_WITH(load_weights(tiny_bert(2), path),
                          Contains("missing tensor 'encoder.layer.1.attention.self.query.weight'"));
    }
}
