// Every bad input of docs/robustness.md, given to the real `acceltran` binary: each must exit with
// its documented code (2 usage, 3 input; core/errors.h) and a message that says where
// the problem is, what was expected and what was found, and a failed run must leave no output
// directory behind (nor touch an existing one).
//
// Setting ACCELTRAN_BAD_INPUTS_TABLE=<file> makes the table case append one markdown row per
// input (command, exit code, first line of stderr) to that file: docs/robustness.md's table is
// made that way, so it shows messages from real runs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/integration_support.h"

using namespace acceltran::testing;
using namespace std::string_literals;
using Catch::Matchers::Contains;

namespace {

// "{dir}" in arguments, file names and expected text stands for the scratch directory.
struct BadInput {
    std::string name;                                        // what is wrong, as in the docs table
    std::vector<std::pair<std::string, std::string>> files;  // written into the scratch directory
    std::vector<std::string> args;                           // `run` gets --out and --quiet unless given
    int exit_code;
    std::vector<std::string> expected;                       // parts of stderr
};

const std::string kModel = "name: m\nlayers: 2\nhidden: 128\nheads: 2\nffn: 512\n";
const std::string kAccel =
    "name: a\nbuffers:\n  activation: {size_mb: 4}\n  weight: {size_mb: 8}\n  mask: {size_mb: 1}\n";

std::string model_with(const std::string& from, const std::string& to) {
    std::string text = kModel;
    text.replace(text.find(from), from.size(), to);
    return text;
}

BadInput model_case(const std::string& name, const std::string& text, std::vector<std::string> expected) {
    return {name, {{"m.yaml", text}}, {"run", "--model", "{dir}/m.yaml"}, 3, std::move(expected)};
}

BadInput dict_case(const std::string& name, const std::string& text, std::vector<std::string> expected) {
    return {name, {{"d.json", text}}, {"run", "--model", "{dir}/d.json"}, 3, std::move(expected)};
}

BadInput hf_case(const std::string& name, const std::string& text, std::vector<std::string> expected) {
    return {name, {{"config.json", text}}, {"analyze", "--model", "{dir}/config.json"}, 3, std::move(expected)};
}

// The original simulator's config format, with `from` replaced by `to`.
BadInput original_case(const std::string& name, const std::string& from, const std::string& to,
                       std::vector<std::string> expected) {
    std::string text =
        "tile: {tile_b: 1, tile_x: 16, tile_y: 16}\nnon_linearity: 'gelu'\nlanes_per_pe: 16\npe: 64\n"
        "softmax_per_pe: 4\nmac_per_lane: 16\nbatch_size: 4\nactivation_buffer_size: 4\n"
        "weight_buffer_size: 8\nmask_buffer_size: 1\nloop_unrolling: 'b_i_j_k'\nmain_memory:\n"
        "  type: 'dram'\n  mode: 'lb'\n  banks: 32\n  ranks: 2\n  channels: 1\n";
    text.replace(text.find(from), from.size(), to);
    return {name, {{"o.yaml", text}}, {"run", "--accel", "{dir}/o.yaml"}, 3, std::move(expected)};
}

BadInput accel_case(const std::string& name, const std::string& text, std::vector<std::string> expected) {
    return {name, {{"a.yaml", text}}, {"run", "--accel", "{dir}/a.yaml"}, 3, std::move(expected)};
}

BadInput usage_case(const std::string& name, std::vector<std::string> args, std::vector<std::string> expected) {
    return {name, {}, std::move(args), 2, std::move(expected)};
}

std::string heads_json(int heads) {
    std::string o;
    for (int i = 0; i < heads; ++i) o += (i ? ",\"sa_sdp_1\"" : "\"sa_sdp_1\"");
    return "{\"l\": 1, \"o\": [[" + o + "]], \"h\": [64], \"f\": [[128]]}";
}

std::vector<BadInput> bad_inputs() {
    const std::string deep_yaml = "a: " + std::string(3000, '[') + std::string(3000, ']') + "\n";
    return {
        // --- model zoo YAML -------------------------------------------------------------------
        model_case("model: unknown key", model_with("hidden", "hiden"),
                   {"{dir}/m.yaml:3:1: top level: unknown key 'hiden' (did you mean 'hidden'?)", "allowed keys:"}),
        model_case("model: wrong type", model_with("layers: 2", "layers: two"),
                   {"{dir}/m.yaml:2:9: layers: expected an integer, found 'two'"}),
        model_case("model: zero size", model_with("hidden: 128", "hidden: 0"),
                   {"{dir}/m.yaml:3:9: hidden: expected an integer from 1 to 65536, found '0'"}),
        model_case("model: negative size", model_with("ffn: 512", "ffn: -512"),
                   {"{dir}/m.yaml:5:6: ffn: expected an integer from 1 to 262144, found '-512'"}),
        model_case("model: heads do not divide hidden", model_with("heads: 2", "heads: 3"),
                   {"{dir}/m.yaml:4:8: heads: heads (3) must divide hidden (128)"}),
        model_case("model: hidden size 10^9", model_with("hidden: 128", "hidden: 1000000000"),
                   {"hidden: expected an integer from 1 to 65536, found '1000000000'"}),
        model_case("model: 1024 layers of 65536 heads (2.7 GB of head records)",
                   "name: m\nlayers: 1024\nhidden: 65536\nheads: 65536\nffn: 512\n",
                   {"{dir}/m.yaml:4:8: heads: expected at most 65536 attention heads over all layers",
                    "found 1024 layers of 65536 heads"}),
        model_case("model: max_positions 10^9", kModel + "max_positions: 1000000000\n",
                   {"max_positions: expected an integer from 1 to 1048576, found '1000000000'"}),
        {"model: sequence longer than max_positions", {}, {"run", "--seq", "1000000000"}, 3,
         {"seq 1000000000 is outside 1..512", "max_positions 512"}},
        model_case("model: malformed YAML", "name: [m\nlayers: 2\n",
                   {"{dir}/m.yaml:2:7: malformed YAML: end of sequence flow not found"}),
        model_case("model: tab indentation", "name: m\n\tlayers: 2\n",
                   {"{dir}/m.yaml:2:1: malformed YAML: illegal tab when looking for indentation"}),
        model_case("model: duplicate key", kModel + "layers: 3\n", {"{dir}/m.yaml:6:1: top level: duplicate key 'layers'"}),
        model_case("model: two YAML documents", kModel + "---\n" + kModel,
                   {"{dir}/m.yaml:6:1: expected one YAML document, found a second one here"}),
        model_case("model: leading comma (yaml-cpp would loop forever)", "," + kModel,
                   {"{dir}/m.yaml:1:1: malformed YAML: unexpected ','"}),
        model_case("model: binary garbage", "name: m\0\xff\xfe\x80\x01"s, {"{dir}/m.yaml: expected a YAML text file, found binary data"}),
        model_case("model: empty file", "", {"{dir}/m.yaml: top level: expected a mapping, found nothing"}),
        model_case("model: nesting 3000 deep", deep_yaml, {"{dir}/m.yaml:1:", "malformed YAML: nested too deeply"}),
        model_case("model: file over 16 MiB", std::string((16 << 20) + 1, ' '),
                   {"{dir}/m.yaml: expected a model YAML file of at most 16 MiB", "found 16777217 bytes"}),
        {"model: a directory", {}, {"run", "--model", "{dir}"}, 3,
         {"{dir}: expected a model YAML, JSON or ONNX file, found a directory"}},
        {"model: a device", {}, {"run", "--model", "/dev/zero"}, 3,
         {"/dev/zero: expected a model YAML, JSON or ONNX file, found a device"}},
        {"model: missing file", {}, {"run", "--model", "{dir}/none.yaml"}, 3, {"{dir}/none.yaml: no such model file"}},
        {"model: unknown name", {}, {"run", "--model", "bert-bsae"}, 3,
         {"unknown model 'bert-bsae' (did you mean 'bert-base'?)", "shipped models: ", "bert-tiny",
          "or give a .yaml, .json or .onnx file path"}},
        {"model: unknown extension", {{"m.txt", kModel}}, {"run", "--model", "{dir}/m.txt"}, 3,
         {"{dir}/m.txt: cannot tell the model format from the extension '.txt'"}},

        // --- FlexiBERT model dict JSON -------------------------------------------------------
        dict_case("dict: malformed JSON", "{\"l\": 2, \"o\": [",
                  {"{dir}/d.json: malformed JSON at byte 16 (line 1, column 16): syntax error"}),
        dict_case("dict: number out of range", "{\"l\": 1e999}", {"{dir}/d.json: malformed JSON: number overflow"}),
        dict_case("dict: duplicate key", "{\"l\": 1,\n \"l\": 2}", {"{dir}/d.json: top level: duplicate key 'l' (at line 2, column 2)"}),
        dict_case("dict: unknown key", "{\"l\": 1, \"hh\": [64]}",
                  {"{dir}/d.json: top level: unknown key 'hh' (did you mean 'h'?)", "(at line 1, column 10)"}),
        dict_case("dict: hidden size 10^9",
                  "{\"l\": 1,\n \"o\": [[\"sa_sdp_64\"]],\n \"h\": [1000000000],\n \"f\": [[128]]}",
                  {"{dir}/d.json: h[0]: expected an integer from 1 to 65536, found 1000000000 (at line 3, column 8)"}),
        dict_case("dict: wrong type", "{\"l\": 2.0, \"o\": [], \"h\": [], \"f\": []}",
                  {"{dir}/d.json: l: expected a positive integer, found the number 2.0 (at line 1, column 7)"}),
        dict_case("dict: list shorter than l", "{\"l\": 2, \"o\": [[\"sa_sdp_64\"]], \"h\": [64, 64], \"f\": [[1], [1]]}",
                  {"{dir}/d.json: o: expected at least 2 entries (one per layer, l = 2), found 1"}),
        dict_case("dict: unsupported head type", "{\"l\": 1, \"o\": [[\"sa_wma_64\"]], \"h\": [64], \"f\": [[128]]}",
                  {"{dir}/d.json: o[0][0]: head \"sa_wma_64\" (layer 0, head 0) is not supported: only sa_sdp"}),
        dict_case("dict: 'p' key", "{\"l\": 1, \"p\": []}", {"{dir}/d.json: p: model dicts with a 'p' key are not supported"}),
        dict_case("dict: 65537 heads", heads_json(65537),
                  {"{dir}/d.json: o[0]: expected at most 65536 attention heads over all layers"}),
        dict_case("dict: nesting 100 deep", std::string(100, '[') + std::string(100, ']'),
                  {"{dir}/d.json: expected a model dict, found JSON nested 100 levels deep (the limit is 64"}),
        dict_case("dict: binary garbage", "\x89PNG\r\n\x1a\n\0\0\0"s, {"{dir}/d.json: malformed JSON at byte 1"}),
        dict_case("dict: empty file", "", {"{dir}/d.json: malformed JSON at byte 1", "unexpected end of input"}),
        dict_case("dict: not an object", "[1, 2]", {"{dir}/d.json: top level: expected a model dict object", "found a list"}),

        // --- Hugging Face config.json ----------------------------------------------------------
        hf_case("Hugging Face: unsupported model_type", "{\"model_type\": \"t5\", \"d_model\": 512}",
                {"{dir}/config.json: model_type: model_type \"t5\" is not supported; supported: bert, roberta, "
                 "distilbert, gpt2, llama, mistral", "(at line 1, column 16)"}),
        hf_case("Hugging Face: missing key", "{\"model_type\": \"bert\", \"hidden_size\": 768}",
                {"{dir}/config.json: top level: missing required key 'num_hidden_layers' (model_type bert)"}),
        hf_case("Hugging Face: heads do not divide hidden",
                "{\"model_type\": \"gpt2\", \"n_layer\": 2, \"n_embd\": 100,\n \"n_head\": 3}",
                {"{dir}/config.json: n_head: n_head (3) must divide n_embd (100)", "(at line 2, column 12)"}),
        hf_case("Hugging Face: key/value heads do not divide heads",
                "{\"model_type\": \"llama\", \"num_hidden_layers\": 2, \"hidden_size\": 256, \"num_attention_heads\": 8,"
                " \"intermediate_size\": 512, \"vocab_size\": 1000, \"max_position_embeddings\": 128,"
                " \"num_key_value_heads\": 3}",
                {"{dir}/config.json: num_key_value_heads: num_key_value_heads (3) must divide num_attention_heads (8)"}),
        hf_case("Hugging Face: wrong type", "{\"model_type\": \"bert\", \"num_hidden_layers\": \"12\"}",
                {"{dir}/config.json: num_hidden_layers: expected a positive integer, found the string \"12\""}),
        hf_case("Hugging Face: duplicate key",
                "{\"model_type\": \"bert\", \"hidden_size\": 128,\n \"hidden_size\": 256}",
                {"{dir}/config.json: top level: duplicate key 'hidden_size' (at line 2, column 2)"}),
        hf_case("Hugging Face: duplicate nested key",
                "{\"model_type\": \"llama\", \"rope_scaling\": {\"type\": \"linear\",\n \"type\": \"dynamic\"}}",
                {"{dir}/config.json: rope_scaling: duplicate key 'type'", "(at line 2, column 10)"}),
        hf_case("Hugging Face: activation with no counterpart",
                "{\"model_type\": \"mistral\", \"num_hidden_layers\": 2, \"hidden_size\": 256, \"num_attention_heads\": 8,"
                " \"intermediate_size\": 512, \"vocab_size\": 1000, \"max_position_embeddings\": 128, \"hidden_act\": \"gelu\"}",
                {"{dir}/config.json: hidden_act: expected \"silu\" (the SwiGLU feed-forward of mistral), found \"gelu\""}),

        {"import: a dict whose layers differ", {{"d.json", "{\"l\": 2, \"o\": [[\"sa_sdp_64\"], [\"sa_sdp_64\"]], \"h\": [64, 64], \"f\": [[128], [256]]}"}},
         {"import", "{dir}/d.json", "--out", "{dir}/m.yaml"}, 3,
         {"{dir}/d.json: cannot be written in the model YAML format", "layer 1 differs from layer 0"}},

        // --- the original simulator's accelerator config ---------------------------------------
        original_case("original config: unknown memory type", "dram", "sram",
                      {"{dir}/o.yaml:13:9: main_memory.type: expected one of dram, rram, hbm", "found 'sram'"}),
        original_case("original config: misspelt key", "mac_per_lane: 16", "macs_per_lane: 16",
                      {"{dir}/o.yaml:6:1: top level: unknown key 'macs_per_lane' (did you mean 'mac_per_lane'?)"}),
        original_case("original config: missing key", "softmax_per_pe: 4\n", "",
                      {"{dir}/o.yaml:1:1: top level: missing required key 'softmax_per_pe'"}),
        original_case("original config: zero PEs", "pe: 64", "pe: 0",
                      {"{dir}/o.yaml:4:5: pe.count: expected an integer from 1 to 1048576, found '0'"}),

        // --- accelerator YAML ----------------------------------------------------------------
        accel_case("accelerator: unknown key", kAccel + "pe:\n  cuont: 4\n",
                   {"{dir}/a.yaml:7:3: pe: unknown key 'cuont' (did you mean 'count'?)"}),
        accel_case("accelerator: wrong type", kAccel + "clock_mhz: fast\n",
                   {"{dir}/a.yaml:6:12: clock_mhz: expected a number, found 'fast'"}),
        accel_case("accelerator: zero buffer size",
                   "name: a\nbuffers:\n  activation: {size_mb: 0}\n  weight: {size_mb: 8}\n  mask: {size_mb: 1}\n",
                   {"{dir}/a.yaml:3:25: buffers.activation.size_mb: expected a number greater than 0 and at most 65536, found '0'"}),
        accel_case("accelerator: negative PE count", kAccel + "pe: {count: -4}\n",
                   {"{dir}/a.yaml:6:13: pe.count: expected an integer from 1 to 1048576, found '-4'"}),
        accel_case("accelerator: tile larger than a buffer",
                   "name: a\ntiling: {tile: [1, 1024, 1024]}\nbuffers:\n  activation: {size_mb: 4}\n"
                   "  weight: {size_mb: 8}\n  mask: {size_mb: 0.01}\n",
                   {"{dir}/a.yaml:6:19: buffers.mask.size_mb: the mask buffer (10485 bytes) cannot hold one "
                    "1x1024x1024 tile of 1-bit mask (131072 bytes)"}),
        accel_case("accelerator: loop order not a permutation of b, i, j, k", kAccel + "tiling: {loop_order: b_i_j_j}\n",
                   {"tiling.loop_order: expected a permutation of the loops b, i, j, k", "found 'b_i_j_j'"}),
        accel_case("accelerator: sparsity of 1", kAccel + "sparsity: {weight: 1.0}\n",
                   {"sparsity.weight: expected a fraction in [0, 1), found '1.0'"}),
        accel_case("accelerator: 2^20 PEs (27 GB of modules)", kAccel + "pe: {count: 1048576}\n",
                   {"{dir}/a.yaml:6:13: pe.count: expected a design whose modules fit the simulator's 1024 MiB limit",
                    "found 1048576 PEs of 21 units"}),
        accel_case("accelerator: malformed YAML", kAccel + "pe: {count: 64\n", {"{dir}/a.yaml:", "malformed YAML"}),
        accel_case("accelerator: binary garbage", "\x7f" "ELF\x02\x01\x01\0\0\0"s,
                   {"{dir}/a.yaml: expected a YAML text file, found binary data (a NUL byte)"}),
        accel_case("accelerator: unknown technology", kAccel + "technology: 7nm\n",
                   {"unknown technology '7nm' (did you mean '14nm'?); shipped: 14nm"}),
        {"accelerator: unknown name", {}, {"run", "--accel", "tpu"}, 3,
         {"unknown accelerator 'tpu'; shipped: acceltran-edge, acceltran-server, gemmini-baseline, gemmini-rebalanced, gemmini-transformer, survey-analytic; or give the path of a YAML file"}},
        {"accelerator: a directory", {}, {"run", "--accel", "{dir}"}, 3,
         {"{dir}: expected an accelerator YAML file, found a directory"}},
        {"accelerator: memory the technology table cannot price", {},
         {"validate", "--accel", "acceltran-edge", "--set", "main_memory.banks=33"}, 3,
         {"has no main-memory energy for lpddr3 with 33 banks, 2 ranks, 1 channels (key dram_33_2_1)",
          "has: dram_16_2_2, dram_16_4_1, dram_32_2_1, dram_8_2_4"}},
        {"accelerator: buffer too small for the smallest block of an op", {},
         {"run", "--set", "buffers.activation.size_mb=0.001"}, 3,
         {"in the activation buffer, which holds 1048 bytes", "raise buffers.activation.size_mb"}},
        {"--set: value out of range", {}, {"run", "--set", "pe.count=0"}, 3,
         {"acceltran-edge.yaml: pe.count: expected an integer from 1 to 1048576, found '0'"}},

        // --- command line --------------------------------------------------------------------
        usage_case("--seq 0", {"run", "--seq", "0"}, {"--seq must be a positive integer, got 0"}),
        usage_case("--batch -1", {"run", "--batch", "-1"}, {"--batch must be a positive integer, got -1"}),
        usage_case("--seq not a number", {"run", "--seq", "abc"}, {"the argument ('abc') for option '--seq' is invalid"}),
        usage_case("--seq beyond int", {"run", "--seq", "99999999999"}, {"the argument ('99999999999') for option '--seq' is invalid"}),
        usage_case("--set without '='", {"run", "--set", "pe.count"}, {"--set 'pe.count': expected key.path=value"}),
        usage_case("--set misspelt key", {"run", "--set", "pe.cuont=4"}, {"--set 'pe.cuont=4': no key 'pe.cuont' (did you mean 'count'?)"}),
        usage_case("--set malformed value", {"run", "--set", "pe.count=[1"}, {"--set 'pe.count=[1': value is not valid YAML"}),
        usage_case("--out empty", {"run", "--out", ""}, {"--out must name a directory, got an empty path"}),
        usage_case("--sample-cycles inf", {"run", "--sample-cycles", "inf"}, {"--sample-cycles must be a finite number of at least 1 cycle, got inf"}),
        usage_case("--bytes-per-element 0", {"analyze", "--model", "bert-tiny", "--bytes-per-element", "0"},
                   {"--bytes-per-element must be a number greater than 0 and at most 1024, got 0"}),
        usage_case("--bytes-per-element inf", {"analyze", "--model", "bert-tiny", "--bytes-per-element", "inf"},
                   {"--bytes-per-element must be a number greater than 0 and at most 1024, got inf"}),
        usage_case("unknown option", {"run", "--modle", "bert-tiny"}, {"unrecognised option '--modle'"}),
        usage_case("validate with nothing to check", {"validate"}, {"give --model, --accel or both"}),
        usage_case("unknown command", {"simulate"}, {"acceltran: unknown command 'simulate'"}),
    };
}

std::string expand(std::string text, const std::string& dir) {
    for (std::size_t at; (at = text.find("{dir}")) != std::string::npos;) text.replace(at, 5, dir);
    return text;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// One row of docs/robustness.md's table: the command as a user would type it and the message it
// printed, with scratch and source-tree paths shown relative.
void append_table_row(const std::string& table, const BadInput& input, const CommandResult& r, const std::string& dir) {
    std::string command = "acceltran";
    for (const auto& a : input.args) command += " " + (a.empty() ? "''" : expand(a, dir));
    auto relative = [&](std::string text) {
        for (const auto& [from, to] : {std::pair{dir + "/", std::string()}, std::pair{dir, std::string(".")},
                                       std::pair{std::string(ACCELTRAN_SOURCE_DIR) + "/", std::string()},
                                       std::pair{std::string("|"), std::string("\\|")}})
            for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
                text.replace(at, from.size(), to);
        return text;
    };
    std::ofstream(table, std::ios::app) << "| " << input.name << " | `" << relative(command) << "` | "
                                        << r.exit_code << " | `" << relative(first_line(r.err)) << "` |\n";
}

}  // namespace

TEST_CASE("every bad input exits with its code and a located message, and leaves no output",
          "[integration][bad-inputs]") {
    ScratchDir scratch("bad-inputs");
    const std::string dir = scratch.path().string();
    const char* table = std::getenv("ACCELTRAN_BAD_INPUTS_TABLE");
    int index = 0;
    for (const BadInput& input : bad_inputs()) {
        const std::string out = dir + "/out-" + std::to_string(index++);
        for (const auto& [name, text] : input.files) write_text(dir + "/" + name, text);
        std::vector<std::string> args;
        for (const auto& a : input.args) args.push_back(expand(a, dir));
        if (args.front() == "run" && std::find(args.begin(), args.end(), "--out") == args.end())
            args.insert(args.end(), {"--out", out, "--quiet"});
        const CommandResult r = run_acceltran(args, scratch);
        INFO(input.name << "\n" << describe(r));
        CHECK(r.exit_code == input.exit_code);
        for (const auto& part : input.expected) CHECK_THAT(r.err, Contains(expand(part, dir)));
        CHECK(r.out.empty());
        CHECK_FALSE(fs::exists(out));
        CHECK(entries_containing(scratch.path(), ".tmp-").empty());
        for (const auto& [name, text] : input.files) fs::remove(dir + "/" + name);
        if (table) append_table_row(table, input, r, dir);
    }
}

TEST_CASE("a run that fails on a bad input leaves an existing output directory untouched, with or "
          "without --force", "[integration][bad-inputs]") {
    ScratchDir scratch("bad-inputs-existing");
    const std::string out = scratch / "out";
    fs::create_directories(out);
    write_text(out + "/summary.json", "{\"from\": \"an earlier run\"}\n");
    write_text(scratch / "m.yaml", model_with("heads: 2", "heads: 3"));
    for (bool force : {false, true}) {
        std::vector<std::string> args{"run", "--model", scratch / "m.yaml", "--out", out, "--quiet"};
        if (force) args.push_back("--force");
        const CommandResult r = run_acceltran(args, scratch);
        INFO("--force " << force << "\n" << describe(r));
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Contains("heads (3) must divide hidden (128)"));
        CHECK(read_text(out + "/summary.json") == "{\"from\": \"an earlier run\"}\n");
        CHECK(std::distance(fs::directory_iterator(out), fs::directory_iterator()) == 1);
        CHECK(entries_containing(scratch.path(), ".tmp-").empty());
        CHECK(entries_containing(scratch.path(), ".old-").empty());
    }
}
