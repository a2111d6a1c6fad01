#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "modules/common/errors.h"
#include "workloads/model_spec.h"

using namespace acceltran;
using namespace acceltran::workloads;
using Catch::Matchers::Contains;

namespace {

const std::string kModelsDir = std::string(ACCELTRAN_SOURCE_DIR) + "/workloads/models";

// A fresh directory per test case, removed when the case ends.
class TempDir {
public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "acceltran-model-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string write(const std::string& name, const std::string& text) const {
        std::string file = (path_ / name).string();
        std::ofstream(file) << text;
        return file;
    }

private:
    std::filesystem::path path_;
};

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
    CHECK(shipped_models(kModelsDir) == std::vector<std::string>{"bert-base", "bert-large",
                                                                  "bert-medium", "bert-mini",
                                                                  "bert-small", "bert-tiny"});
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
    TempDir dir;
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
    TempDir dir;
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
    TempDir dir;
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
                            Contains(f + ": o: expected 2 entries") && Contains("found 1"));
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
