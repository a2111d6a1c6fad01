// The importers of workloads/import (docs/models.md): every imported form written as our model
// YAML must read back to the same spec, and a spec the format cannot hold is refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/errors.h"
#include "tests/unit/shipped_design.h"
#include "workloads/import/model_import.h"
#include "workloads/import/model_yaml_writer.h"

using namespace acceltran;
using namespace acceltran::workloads;
using Catch::Matchers::Contains;
using acceltran::testing::kModelsDir;
using acceltran::testing::kSourceDir;

namespace {


// Every field but where the spec was read from.
void require_same_spec(const ModelSpec& a, const ModelSpec& b) {
    CHECK(a.name == b.name);
    CHECK(a.aliases == b.aliases);
    CHECK(a.family == b.family);
    CHECK(a.architecture == b.architecture);
    CHECK(a.norm == b.norm);
    CHECK(a.position == b.position);
    CHECK(a.tie_embeddings == b.tie_embeddings);
    CHECK(a.vocab_size == b.vocab_size);
    CHECK(a.max_positions == b.max_positions);
    CHECK(a.activation == b.activation);
    REQUIRE(a.layers.size() == b.layers.size());
    for (std::size_t l = 0; l < a.layers.size(); ++l) {
        CHECK(a.layers[l].hidden == b.layers[l].hidden);
        CHECK(a.layers[l].key_value_heads() == b.layers[l].key_value_heads());
        CHECK(a.layers[l].ffn == b.layers[l].ffn);
        REQUIRE(a.layers[l].heads.size() == b.layers[l].heads.size());
        for (std::size_t h = 0; h < a.layers[l].heads.size(); ++h) {
            CHECK(a.layers[l].heads[h].type == b.layers[l].heads[h].type);
            CHECK(a.layers[l].heads[h].width == b.layers[l].heads[h].width);
        }
    }
}

}  // namespace

TEST_CASE("every imported form written as model YAML reads back to the same spec", "[import]") {
    for (const std::string& file :
         {kSourceDir + "/tests/data/models/bert-base-uncased/config.json", kSourceDir + "/tests/data/models/gpt2/config.json",
          kSourceDir + "/tests/data/models/llama-3.2-1b/config.json", kSourceDir + "/tests/data/original/bert_nano.json",
          std::string("gpt2"), std::string("llama-8b")}) {
        INFO(file);
        const ImportedModel imported = import_model(file, kModelsDir);
        const std::string text = ModelYamlWriter(file, imported.format).text(imported.spec);
        require_same_spec(parse_model_yaml(text, "written.yaml"), imported.spec);
    }
}

TEST_CASE("a Hugging Face config maps onto the shipped model it describes", "[import]") {
    const ImportedModel llama = import_model(kSourceDir + "/tests/data/models/llama-3.2-1b/config.json", kModelsDir);
    CHECK(llama.format == "Hugging Face config");
    CHECK(llama.spec.name == "llama-3.2-1b");  // the checkpoint folder's name
    ModelSpec builtin = load_model("llama-1b", kModelsDir);
    builtin.name = llama.spec.name;
    require_same_spec(llama.spec, builtin);
    CHECK(llama.spec.layers.front().key_value_heads() == 8);
}

TEST_CASE("a model dict with layers of different shapes cannot be written as model YAML", "[import]") {
    ModelSpec spec = load_model("bert-tiny", kModelsDir);
    spec.layers[1].ffn = {256};
    REQUIRE_THROWS_AS(ModelYamlWriter("d.json", "FlexiBERT model dict").text(spec), InputError);
    REQUIRE_THROWS_WITH(ModelYamlWriter("d.json", "FlexiBERT model dict").text(spec),
                        Contains("d.json: cannot be written in the model YAML format") &&
                            Contains("layer 1 differs from layer 0") && Contains("ffn 256 vs 512"));
    spec = load_model("bert-tiny", kModelsDir);
    spec.layers[0].heads[0].width = 32;
    REQUIRE_THROWS_WITH(ModelYamlWriter("d.json", "FlexiBERT model dict").text(spec),
                        Contains("layer 0 has heads of width 32 in hidden 128"));
}

TEST_CASE("DistilBERT, RoBERTa and Mistral configs read their own key names", "[import]") {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("acceltran-hf-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream((dir / name).string()) << text;
        return (dir / name).string();
    };
    // DistilBERT-base: 6 layers of BERT-Base's width.
    const ImportedModel distil = import_model(
        write("distil.json", R"({"model_type": "distilbert", "n_layers": 6, "dim": 768, "n_heads": 12,
            "hidden_dim": 3072, "activation": "gelu", "vocab_size": 30522, "max_position_embeddings": 512,
            "sinusoidal_pos_embds": false, "dropout": 0.1})"),
        kModelsDir);
    ModelSpec bert = load_model("bert-base", kModelsDir);
    bert.layers.resize(6);
    bert.name = "distil";
    require_same_spec(distil.spec, bert);
    const ImportedModel roberta = import_model(
        write("roberta.json", R"({"model_type": "roberta", "num_hidden_layers": 12, "hidden_size": 768,
            "num_attention_heads": 12, "intermediate_size": 3072, "vocab_size": 50265, "max_position_embeddings": 514})"),
        kModelsDir);
    CHECK(roberta.spec.vocab_size == 50265);
    CHECK(roberta.spec.max_positions == 514);
    CHECK_FALSE(roberta.spec.decoder());
    // Mistral 7B v0.1: grouped-query attention (8 key/value heads for 32) and a sliding window.
    const ImportedModel mistral = import_model(
        write("mistral.json", R"({"model_type": "mistral", "num_hidden_layers": 32, "hidden_size": 4096,
            "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336, "hidden_act": "silu",
            "vocab_size": 32000, "max_position_embeddings": 32768, "sliding_window": 4096})"),
        kModelsDir);
    CHECK(mistral.spec.decoder());
    CHECK(mistral.spec.family == "llama");
    CHECK(mistral.spec.activation == "swiglu");
    CHECK(mistral.spec.norm == "rmsnorm");
    CHECK(mistral.spec.position == "rotary");
    CHECK_FALSE(mistral.spec.tie_embeddings);  // the transformers library's default for mistral
    CHECK(mistral.spec.layers.front().key_value_heads() == 8);
    CHECK(mistral.spec.layers.front().ffn == std::vector<int>{14336});
    bool window_noted = false;
    for (const std::string& note : mistral.notes) window_noted |= note.find("sliding_window 4096 is not modelled") != std::string::npos;
    CHECK(window_noted);
    std::filesystem::remove_all(dir);
}

TEST_CASE("a Hugging Face config of more heads over all layers than every model reader allows is refused naming the key",
          "[import]") {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("acceltran-hf-heads-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream((dir / name).string()) << text;
        return (dir / name).string();
    };
    // Each value within its own limit, but 1024 x 65536 head records would take about 2.7 GB
    // before anything else is checked (kMaxTotalHeads, as the model YAML reader applies it).
    const std::string many = write("many.json", R"({"model_type": "bert", "num_hidden_layers": 1024,
        "hidden_size": 65536, "num_attention_heads": 65536, "intermediate_size": 128, "vocab_size": 100,
        "max_position_embeddings": 512})");
    CHECK_THROWS_WITH(import_model(many, kModelsDir),
                      Contains("many.json: num_attention_heads: expected at most 65536 attention heads over all "
                               "layers, found 1024 layers (num_hidden_layers) of 65536 heads"));
    // A note quotes a value of any size shortened, not whole.
    const ImportedModel mistral = import_model(
        write("window.json", R"({"model_type": "mistral", "num_hidden_layers": 2, "hidden_size": 64,
            "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100, "max_position_embeddings": 512,
            "sliding_window": ")" + std::string(100000, 'w') + R"("})"),
        kModelsDir);
    std::size_t longest = 0;
    for (const std::string& note : mistral.notes) longest = std::max(longest, note.size());
    CHECK(longest < 1000);
    std::filesystem::remove_all(dir);
}
