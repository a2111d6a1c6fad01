#include "core/model_registry.h"


#include <cmath>
#include <stdexcept>
#include <limits>
#include <sstream>

#include "core/config_node.h"
#include "core/errors.h"
#include "core/text_list.h"

namespace acceltran {

namespace {

std::string short_number_text(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

// The numeric value a default text stands for; false when the text does not fit the type.
bool default_number(const ParameterSpec& p, double& value) {
    switch (p.type) {
        case ParameterType::Integer:
        case ParameterType::Number: {
            try {
                std::size_t used = 0;
                value = std::stod(p.default_value, &used);
                if (used != p.default_value.size()) return false;
            } catch (const std::exception&) {
                return false;
            }
            if (p.type == ParameterType::Integer && value != std::floor(value)) return false;
            return value >= p.min && value <= p.max;
        }
        case ParameterType::Boolean:
            value = p.default_value == "true" ? 1 : 0;
            return p.default_value == "true" || p.default_value == "false";
        case ParameterType::Choice:
            for (std::size_t i = 0; i < p.choices.size(); ++i)
                if (p.choices[i] == p.default_value) {
                    value = double(i);
                    return true;
                }
            return false;
    }
    return false;
}

std::int64_t int_bound(double v, bool low) {
    if (!std::isfinite(v))
        return low ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
    return std::int64_t(v);
}

// One parameter read from the slot (which has the key).
void read_parameter(const ParameterSpec& p, const ConfigNode& slot, ModelParameters& out) {
    switch (p.type) {
        case ParameterType::Integer: {
            const std::int64_t v = slot.get_int_in(p.name, int_bound(p.min, true), int_bound(p.max, false));
            out.set(p.name, double(v), std::to_string(v), true);
            return;
        }
        case ParameterType::Number: {
            ConfigNode c = slot.child(p.name);
            const double v = c.as_double();
            if (!(v >= p.min && v <= p.max)) {
                std::string range = std::isfinite(p.max)
                                        ? "from " + short_number_text(p.min) + " to " + short_number_text(p.max)
                                        : "of at least " + short_number_text(p.min);
                c.fail("a number " + range);
            }
            out.set(p.name, v, short_number_text(v), true);
            return;
        }
        case ParameterType::Boolean: {
            const bool v = slot.get_bool(p.name);
            out.set(p.name, v ? 1 : 0, v ? "true" : "false", true);
            return;
        }
        case ParameterType::Choice: {
            const std::string v = slot.get_choice(p.name, p.choices);
            double index = 0;
            for (std::size_t i = 0; i < p.choices.size(); ++i)
                if (p.choices[i] == v) index = double(i);
            out.set(p.name, index, v, true);
            return;
        }
    }
}

}  // namespace

const char* to_string(ModelKind kind) { return kind == ModelKind::Buffer ? "buffer" : "memory"; }

ModelRegistry& ModelRegistry::instance() {
    static ModelRegistry registry;
    return registry;
}

void ModelRegistry::add(ModelEntry entry) {
    entry.origin = origin_;
    const std::string who = std::string(to_string(entry.kind)) + " model '" + entry.name + "' (from " + origin_ + ")";
    if (entry.name.empty()) throw InputError(std::string(to_string(entry.kind)) + " model from " + origin_ + " has no name");
    if (!entry.factory) throw InputError(who + " has no factory");
    if (const ModelEntry* existing = find(entry.kind, entry.name))
        throw InputError(who + " is already registered (from " + existing->origin + ")");
    for (const auto& p : entry.parameters) {
        double v = 0;
        if (p.name.empty() || p.name == "model") throw InputError(who + ": a parameter may not be called '" + p.name + "'");
        if (!default_number(p, v))
            throw InputError(who + ": parameter '" + p.name + "' has default '" + p.default_value +
                             "', which is not a valid " + p.type_text());
    }
    entries_.push_back(std::move(entry));
}

const ModelEntry* ModelRegistry::find(ModelKind kind, const std::string& name) const {
    for (const auto& e : entries_)
        if (e.kind == kind && e.name == name) return &e;
    return nullptr;
}

std::vector<const ModelEntry*> ModelRegistry::entries(ModelKind kind) const {
    std::vector<const ModelEntry*> out;
    for (const auto& e : entries_)
        if (e.kind == kind) out.push_back(&e);
    return out;
}

std::vector<std::string> ModelRegistry::names(ModelKind kind) const {
    std::vector<std::string> out;
    for (const auto* e : entries(kind)) out.push_back(e->name);
    return out;
}

// A program that reads configurations without adding the built-in models first has a bug, not
// an input error: say which call is missing instead of calling every model unknown.
void ModelRegistry::require_populated(ModelKind kind) const {
    if (names(kind).empty())
        throw std::logic_error(std::string("no ") + to_string(kind) +
                               " models are registered: call register_builtin_models() "
                               "(modules/builtin_models.h) before reading configurations");
}

ModelSelection ModelRegistry::defaults(ModelKind kind, const std::string& name) const {
    require_populated(kind);
    const ModelEntry* e = find(kind, name);
    if (!e)
        throw InputError(std::string("unknown ") + to_string(kind) + " model '" + name + "'; registered: " +
                         comma_list(names(kind)));
    ModelSelection s;
    s.name = name;
    for (const auto& p : e->parameters) {
        double v = 0;
        default_number(p, v);
        s.parameters.set(p.name, v, p.default_value, false);
    }
    return s;
}

ModelSelection ModelRegistry::parse(ModelKind kind, const ConfigNode& slot, const std::vector<std::string>& shared_keys,
                                    const std::string& fallback_model) const {
    require_populated(kind);
    if (!slot.is_map()) slot.fail("a mapping");
    std::string name = fallback_model;
    if (slot.has("model")) {
        ConfigNode m = slot.child("model");
        name = m.as_string();
        if (!find(kind, name)) {
            const std::vector<std::string> known = names(kind);
            const std::string hint = closest_match(name, known);
            m.fail_message(std::string("unknown ") + to_string(kind) + " model '" + name + "'" +
                           (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + "; registered " +
                           to_string(kind) + " models: " + comma_list(known) +
                           " (plug-ins add more with --plugin; `acceltran list` shows them)");
        }
    }
    if (!find(kind, name)) (void)defaults(kind, name);  // an unregistered fallback: the "unknown model" error
    const ModelEntry& entry = *find(kind, name);
    std::vector<std::string> allowed = shared_keys;
    allowed.push_back("model");
    for (const auto& p : entry.parameters) allowed.push_back(p.name);
    slot.expect_keys(allowed);
    ModelSelection s = defaults(kind, name);
    for (const auto& p : entry.parameters)
        if (slot.has(p.name)) read_parameter(p, slot, s.parameters);
    return s;
}

std::unique_ptr<TimingModel> ModelRegistry::create(ModelKind kind, const ModelSelection& selection,
                                                   const ModelContext& context) const {
    const ModelEntry* e = find(kind, selection.name);
    if (!e) (void)defaults(kind, selection.name);  // throws the "unknown model" error
    // Parameters the selection lacks (a config built in code rather than parsed) take defaults.
    ModelParameters parameters = defaults(kind, selection.name).parameters;
    for (const auto& name : selection.parameters.names())
        parameters.set(name, selection.parameters.number(name), selection.parameters.text(name),
                       selection.parameters.given(name));
    std::unique_ptr<TimingModel> model = e->factory(context, parameters);
    if (!model)
        throw InputError(std::string(to_string(kind)) + " model '" + selection.name + "' (from " + e->origin +
                         ") returned no model for " + context.instance);
    return model;
}

}  // namespace acceltran
