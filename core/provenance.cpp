#include "core/provenance.h"

#include <filesystem>

#include "core/build_info.h"
#include "core/errors.h"

namespace acceltran {

namespace {

// The string at `key` of `j`, or an InputError naming where it should have been.
std::string text_at(const nlohmann::json& j, const std::string& key, const std::string& where) {
    if (!j.is_object() || !j.contains(key) || !j.at(key).is_string())
        throw InputError(where + ": expected a string at key " + key + ", found " +
                         (j.is_object() && j.contains(key) ? j.at(key).type_name() : std::string("nothing")));
    return j.at(key).get<std::string>();
}

}  // namespace

Provenance Provenance::of_this_process(std::vector<std::string> command_line, const RunSettings& settings) {
    Provenance p;
    p.version = build_version();
    p.commit = build_commit();
    p.command_line = std::move(command_line);
    std::error_code ec;
    p.working_directory = std::filesystem::current_path(ec).string();
    p.settings = run_settings_json(settings);
    p.inputs = InputRecord::files();
    return p;
}

nlohmann::json Provenance::to_json() const {
    nlohmann::json inputs_json = nlohmann::json::array();
    for (const RecordedInput& i : inputs) inputs_json.push_back({{"kind", i.kind}, {"path", i.path}, {"sha256", i.sha256}});
    return {{"version", version},
            {"commit", commit},
            {"command_line", command_line},
            {"working_directory", working_directory},
            {"settings", settings},
            {"inputs", inputs_json}};
}

Provenance Provenance::from_json(const nlohmann::json& j, const std::string& origin) {
    const std::string where = origin + ": provenance";
    if (!j.is_object()) throw InputError(where + ": expected an object, found " + std::string(j.type_name()));
    Provenance p;
    p.version = text_at(j, "version", where);
    p.commit = text_at(j, "commit", where);
    p.working_directory = text_at(j, "working_directory", where);
    if (!j.contains("command_line") || !j.at("command_line").is_array())
        throw InputError(where + ": expected an array of strings at key command_line");
    for (const auto& word : j.at("command_line")) {
        if (!word.is_string()) throw InputError(where + ".command_line: expected strings, found " + std::string(word.type_name()));
        p.command_line.push_back(word.get<std::string>());
    }
    p.settings = j.value("settings", nlohmann::json::object());
    if (!j.contains("inputs") || !j.at("inputs").is_array())
        throw InputError(where + ": expected an array at key inputs");
    std::size_t n = 0;
    for (const auto& input : j.at("inputs")) {
        const std::string at = where + ".inputs[" + std::to_string(n++) + "]";
        p.inputs.push_back({text_at(input, "kind", at), text_at(input, "path", at), text_at(input, "sha256", at)});
    }
    return p;
}

nlohmann::json run_settings_json(const RunSettings& s) {
    nlohmann::json j = {{"seq", s.seq},
                        {"batch", s.batch},
                        {"prompt_len", s.prompt_len ? nlohmann::json(*s.prompt_len) : nlohmann::json()},
                        {"gen_len", s.gen_len ? nlohmann::json(*s.gen_len) : nlohmann::json()},
                        {"detail", to_string(s.detail)},
                        {"sample_cycles", s.sample_cycles},
                        {"simulated_steps", s.simulated_steps},
                        {"simulated_layers", s.simulated_layers < 0 ? nlohmann::json("auto") : nlohmann::json(s.simulated_layers)},
                        {"max_memory", s.max_memory},
                        {"mapping", s.mapping.empty() ? nlohmann::json() : nlohmann::json(s.mapping)}};
    if (s.functional) {
        const FunctionalSettings& f = *s.functional;
        j["functional"] = {{"weights_path", f.weights_path},
                           {"tokens_path", f.tokens_path},
                           {"seed", f.seed},
                           {"sparsity", {{"mode", sparsity::to_string(f.sparsity.mode)},
                                         {"threshold", f.sparsity.threshold},
                                         {"k", f.sparsity.k},
                                         {"weight_threshold", f.sparsity.weight_threshold}}},
                           {"configured", f.configured}};
    } else {
        j["functional"] = nullptr;
    }
    return j;
}

}  // namespace acceltran
