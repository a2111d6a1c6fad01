#include "workloads/functional/weight_loader.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <regex>
#include <sstream>

#include "core/errors.h"
#include "core/input_file.h"
#include "core/sparsity_settings.h"
#include "workloads/functional/random_stream.h"
#include "workloads/functional/safetensors_file.h"
#include "workloads/op_graph.h"
#include "workloads/graph_builder.h"

namespace acceltran::functional {

namespace {

// BERT's initializer_range.
constexpr double kInitStd = 0.02;

std::string layer_prefix(std::size_t l) { return "l" + std::to_string(l) + "."; }

Matrix normal_matrix(std::uint64_t seed, const std::string& name, std::int64_t rows, std::int64_t cols) {
    RandomStream rng(seed, name);
    Matrix m;
    m.rows = rows;
    m.cols = cols;
    m.values.resize(std::size_t(rows * cols));
    for (double& v : m.values) v = kInitStd * rng.normal();
    return m;
}

std::vector<double> normal_vector(std::uint64_t seed, const std::string& name, std::int64_t n, double mean) {
    RandomStream rng(seed, name);
    std::vector<double> v(static_cast<std::size_t>(n));
    for (double& x : v) x = mean + kInitStd * rng.normal();
    return v;
}

// The weight names prune_weights touches, per layer.
const char* const kPrunedMatrices[] = {"attn.wq", "attn.wk", "attn.wv", "attn.wo", "ffn.w1", "ffn.w2"};

}  // namespace

void check_functional_model(const workloads::ModelSpec& model) {
    workloads::check_model(model);
    const std::string who = "model '" + model.name + "'";
    const std::string why = " (the functional mode runs BERT-family encoders)";
    if (model.decoder()) throw InputError(who + ": decoders are not supported by the functional mode" + why);
    if (model.activation != "gelu" && model.activation != "relu")
        throw InputError(who + ": activation '" + model.activation + "' is not supported by the functional mode" + why);
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const workloads::LayerSpec& layer = model.layers[l];
        const std::string where = who + ": layer " + std::to_string(l);
        if (layer.hidden != model.hidden())
            throw InputError(where + ": hidden " + std::to_string(layer.hidden) + " differs from layer 0's " +
                             std::to_string(model.hidden()) +
                             "; the functional mode does not support projections between layers");
        for (const auto& head : layer.heads)
            if (head.width != layer.heads.front().width)
                throw InputError(where + ": heads of different widths (" + std::to_string(layer.heads.front().width) +
                                 " and " + std::to_string(head.width) +
                                 "); the functional mode supports one head width per layer");
        if (layer.ffn.size() != 1)
            throw InputError(where + ": " + std::to_string(layer.ffn.size()) +
                             " feed-forward widths; the functional mode supports exactly one (BERT's)");
    }
}

ModelWeights generate_weights(const workloads::ModelSpec& model, std::uint64_t seed) {
    check_functional_model(model);
    ModelWeights w;
    const std::int64_t h = model.hidden();
    w.word_embeddings = normal_matrix(seed, "emb.word", model.vocab_size, h);
    Matrix pos = normal_matrix(seed, "emb.pos", model.max_positions, h);
    const std::vector<double> token_type = normal_vector(seed, "emb.token_type0", h, 0.0);
    for (std::int64_t r = 0; r < pos.rows; ++r)
        for (std::int64_t c = 0; c < h; ++c) pos.values[std::size_t(r * h + c)] += token_type[std::size_t(c)];
    w.matrices["emb.pos_rows"] = std::move(pos);
    const auto norm = [&](const std::string& name, std::int64_t n) {
        NormParams p;
        p.gamma = normal_vector(seed, name + ".gamma", n, 1.0);
        p.beta = normal_vector(seed, name + ".beta", n, 0.0);
        w.norms[name] = std::move(p);
    };
    norm("emb.ln", h);
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const workloads::LayerSpec& layer = model.layers[l];
        const std::string p = layer_prefix(l);
        const std::int64_t gw = std::int64_t(layer.heads.size()) * layer.heads.front().width;
        const std::int64_t f = layer.ffn.front();
        const auto matrix = [&](const std::string& name, std::int64_t rows, std::int64_t cols) {
            w.matrices[p + name] = normal_matrix(seed, p + name, rows, cols);
        };
        const auto bias = [&](const std::string& name, std::int64_t n) {
            w.biases[p + name] = normal_vector(seed, p + name + ".bias", n, 0.0);
        };
        matrix("attn.wq", h, gw);
        matrix("attn.wk", h, gw);
        matrix("attn.wv", h, gw);
        matrix("attn.wo", gw, h);
        matrix("ffn.w1", h, f);
        matrix("ffn.w2", f, h);
        bias("attn.q", gw);
        bias("attn.k", gw);
        bias("attn.v", gw);
        bias("attn.out", h);
        bias("ffn.h1", f);
        bias("ffn.out", h);
        norm(p + "attn.ln", h);
        norm(p + "ffn.ln", h);
    }
    return w;
}

// ---- loading a Hugging Face checkpoint ------------------------------------------------------

namespace {

class CheckpointReader {
public:
    CheckpointReader(const workloads::ModelSpec& model, const std::string& path) : model_(model), file_(path) {
        bool any_prefixed = false;
        for (const auto& e : file_.tensors()) any_prefixed |= e.name.rfind("bert.", 0) == 0;
        prefix_ = any_prefixed ? "bert." : "";
    }

    const SafetensorsFile& file() const { return file_; }

    // The entry for `name` (with the file's prefix), or one of `alternatives`; InputError
    // listing the expected name otherwise.
    const SafetensorsEntry& entry(const std::string& name, const std::vector<std::string>& alternatives = {}) const {
        if (const auto* e = file_.find(prefix_ + name)) return *e;
        for (const auto& alt : alternatives)
            if (const auto* e = file_.find(prefix_ + alt)) return *e;
        std::string also;
        for (const auto& alt : alternatives) also += " or '" + prefix_ + alt + "'";
        throw InputError(file_.origin() + ": missing tensor '" + prefix_ + name + "'" + also + " (model '" +
                         model_.name + "' needs it; names are Hugging Face BERT's" +
                         (prefix_.empty() ? ", with or without the 'bert.' prefix" : "") + ")");
    }

    std::vector<double> read(const SafetensorsEntry& e, const std::vector<std::int64_t>& shape,
                             const std::string& meaning) const {
        if (e.shape != shape)
            throw InputError(file_.origin() + ": tensor '" + e.name + "': expected shape " + text(shape) + " (" +
                             meaning + " of model '" + model_.name + "'), found " + text(e.shape));
        return file_.read(e);
    }

    std::vector<double> vector(const std::string& name, std::int64_t n, const std::string& meaning,
                               const std::vector<std::string>& alternatives = {}) const {
        return read(entry(name, alternatives), {n}, meaning);
    }

    // A PyTorch Linear weight [out, in] as the graph's (in x out).
    Matrix linear(const std::string& name, std::int64_t in, std::int64_t out, const std::string& meaning) const {
        const std::vector<double> v = read(entry(name), {out, in}, meaning + " [out, in]");
        Matrix m;
        m.rows = in;
        m.cols = out;
        m.values.resize(v.size());
        for (std::int64_t o = 0; o < out; ++o)
            for (std::int64_t i = 0; i < in; ++i) m.values[std::size_t(i * out + o)] = v[std::size_t(o * in + i)];
        return m;
    }

    NormParams norm(const std::string& base, std::int64_t n) const {
        NormParams p;
        p.gamma = vector(base + ".weight", n, "hidden", {base + ".gamma"});
        p.beta = vector(base + ".bias", n, "hidden", {base + ".beta"});
        return p;
    }

    static std::string text(const std::vector<std::int64_t>& shape) {
        std::string s = "[";
        for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
        return s + "]";
    }

private:
    const workloads::ModelSpec& model_;
    SafetensorsFile file_;
    std::string prefix_;
};

}  // namespace

ModelWeights load_weights(const workloads::ModelSpec& model, const std::string& safetensors_path) {
    check_functional_model(model);
    const CheckpointReader in(model, safetensors_path);
    const std::int64_t h = model.hidden();
    const std::string hs = std::to_string(h);

    // A checkpoint with more layers than the model is of another model: refuse rather than run
    // its first layers.
    static const std::regex kLayer(R"(^(bert\.)?encoder\.layer\.([0-9]+)\.)");
    for (const auto& e : in.file().tensors()) {
        std::smatch m;
        if (std::regex_search(e.name, m, kLayer) &&
            (m[2].length() > 9 || std::stoll(m[2].str()) >= std::int64_t(model.layers.size())))
            throw InputError(in.file().origin() + ": tensor '" + e.name + "' is of encoder layer " + m[2].str() +
                             ", but model '" + model.name + "' has " + std::to_string(model.layers.size()) +
                             " layers");
    }

    ModelWeights w;
    {
        const auto& e = in.entry("embeddings.word_embeddings.weight");
        w.word_embeddings.rows = model.vocab_size;
        w.word_embeddings.cols = h;
        w.word_embeddings.values = in.read(e, {model.vocab_size, h}, "[vocab_size, hidden]");
    }
    {
        Matrix pos;
        pos.rows = model.max_positions;
        pos.cols = h;
        pos.values = in.read(in.entry("embeddings.position_embeddings.weight"), {model.max_positions, h},
                             "[max_positions, hidden]");
        const auto& tt = in.entry("embeddings.token_type_embeddings.weight");
        if (tt.shape.size() != 2 || tt.shape[0] < 1 || tt.shape[1] != h)
            throw InputError(in.file().origin() + ": tensor '" + tt.name + "': expected shape [type_vocab_size, " +
                             hs + "] with type_vocab_size >= 1, found " + CheckpointReader::text(tt.shape));
        const std::vector<double> types = in.file().read(tt);
        // Every token is segment 0.
        for (std::int64_t r = 0; r < pos.rows; ++r)
            for (std::int64_t c = 0; c < h; ++c) pos.values[std::size_t(r * h + c)] += types[std::size_t(c)];
        w.matrices["emb.pos_rows"] = std::move(pos);
    }
    w.norms["emb.ln"] = in.norm("embeddings.LayerNorm", h);

    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const workloads::LayerSpec& layer = model.layers[l];
        const std::string p = layer_prefix(l);
        const std::string hf = "encoder.layer." + std::to_string(l) + ".";
        const std::int64_t gw = std::int64_t(layer.heads.size()) * layer.heads.front().width;
        const std::int64_t f = layer.ffn.front();
        const std::string gws = std::to_string(gw), fs = std::to_string(f);
        const std::string heads = "heads x head width";
        w.matrices[p + "attn.wq"] = in.linear(hf + "attention.self.query.weight", h, gw, heads + ", hidden");
        w.matrices[p + "attn.wk"] = in.linear(hf + "attention.self.key.weight", h, gw, heads + ", hidden");
        w.matrices[p + "attn.wv"] = in.linear(hf + "attention.self.value.weight", h, gw, heads + ", hidden");
        w.matrices[p + "attn.wo"] = in.linear(hf + "attention.output.dense.weight", gw, h, "hidden, " + heads);
        w.matrices[p + "ffn.w1"] = in.linear(hf + "intermediate.dense.weight", h, f, "ffn, hidden");
        w.matrices[p + "ffn.w2"] = in.linear(hf + "output.dense.weight", f, h, "hidden, ffn");
        w.biases[p + "attn.q"] = in.vector(hf + "attention.self.query.bias", gw, heads);
        w.biases[p + "attn.k"] = in.vector(hf + "attention.self.key.bias", gw, heads);
        w.biases[p + "attn.v"] = in.vector(hf + "attention.self.value.bias", gw, heads);
        w.biases[p + "attn.out"] = in.vector(hf + "attention.output.dense.bias", h, "hidden");
        w.biases[p + "ffn.h1"] = in.vector(hf + "intermediate.dense.bias", f, "ffn");
        w.biases[p + "ffn.out"] = in.vector(hf + "output.dense.bias", h, "hidden");
        w.norms[p + "attn.ln"] = in.norm(hf + "attention.output.LayerNorm", h);
        w.norms[p + "ffn.ln"] = in.norm(hf + "output.LayerNorm", h);
    }
    return w;
}

// ---- pruning and quantizing ------------------------------------------------------------------

WeightPruneStats prune_weights(ModelWeights& weights, double threshold) {
    if (!(threshold >= 0.0) || !std::isfinite(threshold))
        throw InputError("weight pruning threshold: expected a finite number >= 0, found " +
                         std::to_string(threshold));
    WeightPruneStats stats;
    for (auto& [name, m] : weights.matrices) {
        bool pruned = false;
        for (const char* suffix : kPrunedMatrices) {
            const std::string s = std::string(".") + suffix;
            pruned |= name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0 &&
                      name[0] == 'l';
        }
        if (!pruned) continue;
        stats.elements += std::int64_t(m.values.size());
        for (double& v : m.values) {
            if (v != 0.0 && sparsity::pruned(v, threshold)) {  // the one rule (core/sparsity_settings.h)
                v = 0.0;
                ++stats.zeroed;
            }
            stats.zeros += v == 0.0;
        }
    }
    return stats;
}

void quantize_weights(ModelWeights& weights, const FixedPointFormat& format) {
    FixedPointFormat nearest = format;
    nearest.rounding = Rounding::Nearest;
    const auto q = [&](std::vector<double>& values) {
        for (double& v : values) v = nearest.to_double(nearest.quantize(v));
    };
    q(weights.word_embeddings.values);
    for (auto& [name, m] : weights.matrices) q(m.values);
    for (auto& [name, b] : weights.biases) q(b);
    for (auto& [name, n] : weights.norms) {
        q(n.gamma);
        q(n.beta);
    }
}

// ---- tokens ------------------------------------------------------------------------------------

namespace {

// Token arrays are allocated from these: refuse sizes that are typos before allocating.
constexpr std::int64_t kMaxTokens = std::int64_t(1) << 28;

void check_token_shape(std::int64_t batch, std::int64_t seq, std::int64_t vocab) {
    if (batch < 1) throw InputError("tokens: batch " + std::to_string(batch) + " must be at least 1");
    if (seq < 1) throw InputError("tokens: seq " + std::to_string(seq) + " must be at least 1");
    if (vocab < 1 || vocab > std::numeric_limits<std::int32_t>::max())
        throw InputError("tokens: vocab size " + std::to_string(vocab) + " must be from 1 to 2^31 - 1");
    if (batch > kMaxTokens / seq)
        throw InputError("tokens: batch x seq = " + std::to_string(batch) + " x " + std::to_string(seq) +
                         " exceeds the limit of 2^28 tokens");
}

}  // namespace

std::vector<std::int32_t> random_tokens(std::int64_t batch, std::int64_t seq, std::int64_t vocab, std::uint64_t seed) {
    check_token_shape(batch, seq, vocab);
    RandomStream rng(seed, "tokens");
    std::vector<std::int32_t> tokens(static_cast<std::size_t>(batch * seq));
    for (auto& t : tokens) t = std::int32_t(rng.below(std::uint64_t(vocab)));
    return tokens;
}

std::vector<std::int32_t> load_tokens(const std::string& path, std::int64_t batch, std::int64_t seq,
                                      std::int64_t vocab) {
    check_token_shape(batch, seq, vocab);
    const std::string text = read_input_file(path, "a tokens text");
    std::vector<std::int32_t> tokens;
    tokens.reserve(std::size_t(batch * seq));
    std::int64_t sequences = 0;
    std::size_t line_no = 0, pos = 0;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string::npos) eol = text.size();
        std::string line = text.substr(pos, eol - pos);
        pos = eol + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const std::string where = path + ":" + std::to_string(line_no) + ": ";
        const std::size_t first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        if (line.find('\0') != std::string::npos)
            throw InputError(where + "expected token ids, found binary data (a NUL byte)");
        if (sequences == batch)
            throw InputError(where + "expected " + std::to_string(batch) + " sequences (batch " +
                             std::to_string(batch) + "), found more: this is sequence " +
                             std::to_string(batch + 1));
        std::istringstream words(line);
        std::string word;
        std::int64_t count = 0;
        std::vector<std::int32_t> row;
        while (words >> word) {
            ++count;
            if (count > seq) continue;  // counted for the message below
            errno = 0;
            char* end = nullptr;
            const long long id = std::strtoll(word.c_str(), &end, 10);
            const bool digits = word.find_first_not_of("0123456789+-") == std::string::npos;
            if (!digits || *end != '\0' || errno == ERANGE)
                throw InputError(where + "token " + std::to_string(count) + ": expected an integer token id, found '" +
                                 printable_excerpt(word) + "'");
            if (id < 0 || id >= vocab)
                throw InputError(where + "token " + std::to_string(count) + ": expected a token id from 0 to " +
                                 std::to_string(vocab - 1) + " (vocab size " + std::to_string(vocab) + "), found " +
                                 std::to_string(id));
            row.push_back(std::int32_t(id));
        }
        if (count != seq)
            throw InputError(where + "expected " + std::to_string(seq) + " token ids (seq " + std::to_string(seq) +
                             "), found " + std::to_string(count));
        tokens.insert(tokens.end(), row.begin(), row.end());
        ++sequences;
    }
    if (sequences != batch)
        throw InputError(path + ": expected " + std::to_string(batch) + " sequences (batch " + std::to_string(batch) +
                         "), one per line, found " + std::to_string(sequences));
    return tokens;
}

}  // namespace acceltran::functional
