#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/errors.h"
#include "tests/integration/integration_support.h"
#include "tests/source_tree.h"
#include "workloads/model_spec.h"

using namespace acceltran;
using namespace acceltran::workloads;
using Catch::Matchers::Contains;
using acceltran::testing::ScratchDir;
using acceltran::testing::kModelsDir;

namespace {


// A fresh directory per test case, removed when the case ends.

void check_uniform(const ModelSpec& m, int layers, int hidden, int heads, int ffn) {
    REQUIRE(m.layers.size() == std::size_t(layers));
    CHECK(m.hidden() == hidden);
    CHECK(m.family == "bert");
    CHECK(m.activation == "gelu");
    CHECK(m.vocab_size == 30522);
    CHECK(m.max_positions == 512);
    for (const LayerSpec& l : m.layers) {
        CHECK(l.hidden == hidden);
        REQUIRE(l.heads.size() == std::size_t(heads));
        for (const auto& h : l.heads) {
            CHECK(h.type == "sa_sdp");
            CHECK(h.width == hidden / heads);
        }
        CHECK(l.ffn == std::vector<int>{ffn});
    }
}

const char* kGoodYaml = R"(name: toy
family: bert
vocab_size: 1000
max_positions: 64
activation: relu
layers: 3
hidden: 96
heads: 3
ffn: 384
)";

}  // namespace

TEST_CASE("every shipped model loads with its published dimensions", "[model_spec]") {
    CHECK(shipped_models(kModelsDir) ==
          std::vector<std::string>{"bert-base", "bert-large", "bert-medium", "bert-mini", "bert-small",
                                   "bert-tiny", "gpt2", "gpt2-large", "gpt2-medium", "gpt2-xl",
                                   "llama-1b", "llama-7b", "llama-8b"});
    struct Dims { const char* name; int l, h, a, f; };
    for (const Dims& d : {Dims{"bert-tiny", 2, 128, 2, 512}, Dims{"bert-mini", 4, 256, 4, 1024},
                          Dims{"bert-small", 4, 512, 8, 2048}, Dims{"bert-medium", 8, 512, 8, 2048},
                          Dims{"bert-base", 12, 768, 12, 3072},
                          Dims{"bert-large", 24, 1024, 16, 4096}}) {
        INFO(d.name);
        ModelSpec m = load_model(d.name, kModelsDir);
        CHECK(m.name == d.name);
        CHECK(m.source == kModelsDir + "/" + d.name + ".yaml");
        check_uniform(m, d.l, d.h, d.a, d.f);
    }
}

TEST_CASE("load_model takes YAML and JSON paths and explains unknown names", "[model_spec]") {
    ScratchDir dir;
    ModelSpec m = load_model(dir.write("toy.yml", kGoodYaml), kModelsDir);
    CHECK(m.name == "toy");
    CHECK(m.activation == "relu");
    CHECK(m.vocab_size == 1000);
    CHECK(m.max_positions == 64);
    REQUIRE(m.layers.size() == 3);
    CHECK(m.layers[2].heads.size() == 3);
    CHECK(m.layers[2].heads[0].width == 32);

    ModelSpec j = load_model(dir.write("dict.json", R"({"l":1,"o":[["sa_sdp_8"]],"h":[8],"f":[[16]]})"),
                             kModelsDir);
    CHECK(j.name == "dict");

    REQUIRE_THROWS_AS(load_model("bert-bsae", kModelsDir), InputError);
    REQUIRE_THROWS_WITH(load_model("bert-bsae", kModelsDir),
                        Contains("unknown model 'bert-bsae'") &&
                            Contains("did you mean 'bert-base'?") &&
                            Contains("shipped models: bert-base, bert-large, bert-medium, "
                                     "bert-mini, bert-small, bert-tiny"));
    REQUIRE_THROWS_WITH(load_model("/nonexistent/model.json", kModelsDir),
                        Contains("/nonexistent/model.json: no such model file"));
    REQUIRE_THROWS_WITH(load_model(dir.write("model.txt", "x"), kModelsDir),
                        Contains("expected .yaml or .yml"));
}

TEST_CASE("model YAML errors name the file, line and the problem", "[model_spec]") {
    ScratchDir dir;
    SECTION("unknown key with a suggestion") {
        std::string f = dir.write("typo.yaml", "name: t\nlayers: 2\nhiden: 128\nheads: 2\nffn: 512\n");
        REQUIRE_THROWS_AS(load_model_yaml(f), InputError);
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains(f + ":3:1") &&
                                                    Contains("unknown key 'hiden'") &&
                                                    Contains("did you mean 'hidden'?"));
    }
    SECTION("heads must divide hidden") {
        std::string f = dir.write("heads.yaml", "name: t\nlayers: 2\nhidden: 128\nheads: 3\nffn: 512\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains(f + ":4:8") && Contains("heads (3)") &&
                                                    Contains("hidden (128)"));
    }
    SECTION("negative layer count") {
        std::string f = dir.write("neg.yaml", "name: t\nlayers: -2\nhidden: 128\nheads: 2\nffn: 512\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains(f + ":2:9") && Contains("layers") &&
                                                    Contains("from 1 to 1024") &&
                                                    Contains("'-2'"));
    }
    SECTION("absurd sizes name the limit") {
        std::string f = dir.write("big.yaml", "name: t\nlayers: 2\nhidden: 128\nheads: 2\nffn: 5000000\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains("ffn") && Contains("262144"));
    }
    SECTION("not a number") {
        std::string f = dir.write("nan.yaml", "name: t\nlayers: two\nhidden: 128\nheads: 2\nffn: 512\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains("layers: expected an integer"));
    }
    SECTION("family and activation are checked") {
        std::string f = dir.write("fam.yaml",
                                  "name: t\nfamily: gpt\nlayers: 2\nhidden: 128\nheads: 2\nffn: 512\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains("family") && Contains("bert"));
        f = dir.write("act.yaml",
                      "name: t\nactivation: gleu\nlayers: 2\nhidden: 128\nheads: 2\nffn: 512\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains("did you mean 'gelu'?"));
    }
    SECTION("missing key") {
        std::string f = dir.write("miss.yaml", "name: t\nlayers: 2\nhidden: 128\nheads: 2\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains("missing required key 'ffn'"));
    }
}

TEST_CASE("FlexiBERT model dicts are imported", "[model_spec]") {
    ScratchDir dir;
    SECTION("a two-layer sa_sdp dict") {
        std::string f = dir.write("flexi.json", R"({"l": 2,
            "o": [["sa_sdp_64", "sa_sdp_64"], ["sa_sdp_64", "sa_sdp_64"]],
            "h": [128, 128], "f": [[512], [512]]})");
        ModelSpec m = load_model_dict_json(f);
        CHECK(m.name == "flexi");
        CHECK(m.source == f);
        CHECK(m.vocab_size == 30522);
        CHECK(m.max_positions == 512);
        check_uniform(m, 2, 128, 2, 512);
    }
    SECTION("heterogeneous head widths, hidden sizes and FFN stacks") {
        std::string f = dir.write("hetero.json", R"({"l": 2,
            "o": [["sa_sdp_64", "sa_sdp_32", "sa_sdp_64"], ["sa_sdp_16"]],
            "h": [128, 256], "f": [[512, 1024], [256]]})");
        ModelSpec m = load_model_dict_json(f);
        REQUIRE(m.layers.size() == 2);
        REQUIRE(m.layers[0].heads.size() == 3);
        CHECK(m.layers[0].heads[1].width == 32);
        CHECK(m.layers[0].hidden == 128);
        CHECK(m.layers[0].ffn == std::vector<int>{512, 1024});
        CHECK(m.layers[1].hidden == 256);
        CHECK(m.layers[1].heads[0].width == 16);  // Σ widths need not equal h
    }
    SECTION("convolution heads are refused") {
        std::string f = dir.write("conv.json", R"({"l": 2,
            "o": [["sa_sdp_64", "sa_sdp_64"], ["c_5_64", "sa_sdp_64"]],
            "h": [128, 128], "f": [[512], [512]]})");
        REQUIRE_THROWS_AS(load_model_dict_json(f), InputError);
        REQUIRE_THROWS_WITH(load_model_dict_json(f),
                            Contains(f + ": o[1][0]") && Contains("\"c_5_64\"") &&
                                Contains("layer 1, head 0") && Contains("only sa_sdp"));
    }
    SECTION("weighted multiplicative attention is refused") {
        std::string f = dir.write("wma.json",
                                  R"({"l":1,"o":[["sa_wma_64"]],"h":[64],"f":[[128]]})");
        REQUIRE_THROWS_WITH(load_model_dict_json(f), Contains("sa_wma_64") && Contains("only sa_sdp"));
    }
    SECTION("malformed JSON reports the byte position") {
        std::string f = dir.write("bad.json", R"({"l": 2, "o": [)");
        REQUIRE_THROWS_WITH(load_model_dict_json(f),
                            Contains(f + ": malformed JSON at byte 16"));
    }
    SECTION("a 'p' key is rejected as in the original") {
        std::string f = dir.write("p.json",
                                  R"({"l":1,"o":[["sa_sdp_64"]],"h":[64],"f":[[128]],"p":[0]})");
        REQUIRE_THROWS_WITH(load_model_dict_json(f), Contains(f + ": p:") && Contains("'p' key"));
    }
    SECTION("lengths, types and values are checked with their JSON path") {
        std::string f = dir.write("len.json",
                                  R"({"l":2,"o":[["sa_sdp_64"]],"h":[64,64],"f":[[128],[128]]})");
        REQUIRE_THROWS_WITH(load_model_dict_json(f),
                            Contains(f + ": o: expected at least 2 entries") && Contains("found 1"));
        f = dir.write("neg.json", R"({"l":1,"o":[["sa_sdp_64"]],"h":[64],"f":[[128, -4]]})");
        REQUIRE_THROWS_WITH(load_model_dict_json(f), Contains(f + ": f[0][1]: expected an integer from 1"));
        f = dir.write("type.json", R"({"l":1,"o":[["sa_sdp_64"]],"h":["64"],"f":[[128]]})");
        REQUIRE_THROWS_WITH(load_model_dict_json(f), Contains(f + ": h[0]: expected a positive integer") &&
                                                         Contains("string"));
        f = dir.write("miss.json", R"({"l":1,"o":[["sa_sdp_64"]],"f":[[128]]})");
        REQUIRE_THROWS_WITH(load_model_dict_json(f), Contains("missing required key 'h'"));
        f = dir.write("head.json", R"({"l":1,"o":[["sa_sdp_0"]],"h":[64],"f":[[128]]})");
        REQUIRE_THROWS_WITH(load_model_dict_json(f), Contains(f + ": o[0][0]") && Contains("width"));
        f = dir.write("shape.json", R"({"l":1,"o":[["sdp64"]],"h":[64],"f":[[128]]})");
        REQUIRE_THROWS_WITH(load_model_dict_json(f), Contains("<type>_<param>_<width>"));
        f = dir.write("key.json", R"({"l":1,"o":[["sa_sdp_64"]],"hh":[64],"f":[[128]]})");
        REQUIRE_THROWS_WITH(load_model_dict_json(f), Contains("unknown key 'hh'") &&
                                                         Contains("did you mean 'h'?"));
    }
}

TEST_CASE("every shipped decoder loads with its published dimensions and parameter count", "[model_spec]") {
    // Parameter counts as the released checkpoints report them (Hugging Face num_parameters()).
    // Biases and norm gains are not modelled: GPT-2 has 13 h per layer (Q/K/V, output, FFN
    // biases 9 h; two layer norms 4 h) plus 2 h for the final norm; Llama has no biases and one
    // RMSNorm gain of h per norm (2 per layer, 1 final).
    struct Dims {
        const char* name;
        int layers, hidden, heads, kv_heads, ffn, vocab, positions;
        bool llama, tied;
        std::int64_t published;
    };
    for (const Dims& d : {Dims{"gpt2", 12, 768, 12, 12, 3072, 50257, 1024, false, true, 124439808},
                          Dims{"gpt2-medium", 24, 1024, 16, 16, 4096, 50257, 1024, false, true, 354823168},
                          Dims{"gpt2-large", 36, 1280, 20, 20, 5120, 50257, 1024, false, true, 774030080},
                          Dims{"gpt2-xl", 48, 1600, 25, 25, 6400, 50257, 1024, false, true, 1557611200},
                          Dims{"llama-1b", 16, 2048, 32, 8, 8192, 128256, 131072, true, true, 1235814400},
                          Dims{"llama-7b", 32, 4096, 32, 32, 11008, 32000, 4096, true, false, 6738415616},
                          Dims{"llama-8b", 32, 4096, 32, 8, 14336, 128256, 8192, true, false, 8030261248}}) {
        INFO(d.name);
        const ModelSpec m = load_model(d.name, kModelsDir);
        CHECK(m.name == d.name);
        CHECK(m.decoder());
        CHECK(m.family == (d.llama ? "llama" : "gpt2"));
        CHECK(m.norm == (d.llama ? "rmsnorm" : "layernorm"));
        CHECK(m.position == (d.llama ? "rotary" : "learned"));
        CHECK(m.activation == (d.llama ? "swiglu" : "gelu"));
        CHECK(m.tie_embeddings == d.tied);
        CHECK(m.vocab_size == d.vocab);
        CHECK(m.max_positions == d.positions);
        REQUIRE(m.layers.size() == std::size_t(d.layers));
        for (const LayerSpec& l : m.layers) {
            CHECK(l.hidden == d.hidden);
            CHECK(l.heads.size() == std::size_t(d.heads));
            CHECK(l.heads.front().width == d.hidden / d.heads);
            CHECK(l.key_value_heads() == d.kv_heads);
            CHECK(l.ffn == std::vector<int>{d.ffn});
        }
        const std::int64_t unmodelled = std::int64_t(d.llama ? 2 * d.layers + 1 : 13 * d.layers + 2) * d.hidden;
        CHECK(m.parameters() + unmodelled == d.published);
    }
    // Encoders keep their defaults.
    const ModelSpec bert = load_model("bert-base", kModelsDir);
    CHECK((!bert.decoder() && bert.norm == "layernorm" && bert.position == "learned"));
    CHECK(bert.layers[0].key_value_heads() == 12);
}

TEST_CASE("a shipped model answers to its aliases", "[model_spec]") {
    const ModelSpec m = load_model("gpt2-small", kModelsDir);
    CHECK(m.name == "gpt2");
    CHECK(m.aliases == std::vector<std::string>{"gpt2-small"});
    CHECK(m.source == kModelsDir + "/gpt2.yaml");
    // Aliases are not listed as models of their own, and unknown names still say so.
    const auto shipped = shipped_models(kModelsDir);
    CHECK(std::find(shipped.begin(), shipped.end(), "gpt2-small") == shipped.end());
    REQUIRE_THROWS_WITH(load_model("gpt3", kModelsDir), Contains("unknown model 'gpt3'"));
}

TEST_CASE("decoder keys are validated with their location", "[model_spec]") {
    ScratchDir dir;
    const std::string base = "name: t\narchitecture: decoder\nlayers: 2\nhidden: 128\nffn: 512\n";
    SECTION("kv_heads must divide heads") {
        std::string f = dir.write("kv.yaml", base + "heads: 8\nkv_heads: 3\n");
        REQUIRE_THROWS_AS(load_model_yaml(f), InputError);
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains(f + ":7:11") && Contains("kv_heads: kv_heads (3) must divide heads (8)"));
    }
    SECTION("kv_heads cannot exceed heads") {
        std::string f = dir.write("kv2.yaml", base + "heads: 4\nkv_heads: 8\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains(f + ":7:11") && Contains("an integer from 1 to 4") &&
                                                    Contains("'8'"));
    }
    SECTION("rotary embedding needs an even head width") {
        std::string f = dir.write("rope.yaml", base + "heads: 128\nposition: rotary\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains(f + ":7:11") && Contains("head width hidden/heads (1)"));
    }
    SECTION("unknown choices suggest the closest") {
        std::string f = dir.write("arch.yaml", "name: t\narchitecture: decodr\nlayers: 2\nhidden: 128\nheads: 2\nffn: 512\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains(f + ":2:15") && Contains("did you mean 'decoder'?"));
        f = dir.write("norm.yaml", base + "heads: 2\nnorm: rms\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains("norm: expected one of layernorm, rmsnorm"));
        f = dir.write("tie.yaml", base + "heads: 2\ntie_embeddings: maybe\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains(f + ":7:17") && Contains("true or false"));
    }
    SECTION("encoders refuse the decoders' variants, naming the key") {
        const std::string enc = "name: t\nlayers: 2\nhidden: 128\nheads: 2\nffn: 512\n";
        std::string f = dir.write("e1.yaml", enc + "norm: rmsnorm\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains(f + ":6:7") && Contains("norm: rmsnorm needs architecture: decoder"));
        f = dir.write("e2.yaml", enc + "activation: swiglu\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains(f + ":6:13") && Contains("needs architecture: decoder"));
        f = dir.write("e3.yaml", enc + "kv_heads: 1\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains(f + ":6:11") && Contains("grouped-query attention"));
        f = dir.write("e4.yaml", enc + "position: rotary\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains(f + ":6:11") && Contains("position: rotary"));
    }
    SECTION("aliases are names other than the model's own") {
        std::string f = dir.write("alias.yaml", base + "heads: 2\naliases: [u, t]\n");
        REQUIRE_THROWS_WITH(load_model_yaml(f), Contains(f + ":7:14") && Contains("aliases[1]"));
    }
}
