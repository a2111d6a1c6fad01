#include "core/model_parameters.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "core/number_text.h"

namespace acceltran {

namespace {

std::string exact_number_text(double v) {
    std::ostringstream out;
    out.precision(15);
    out << v;
    return out.str();
}

}  // namespace

ParameterSpec ParameterSpec::integer(const std::string& name, std::int64_t fallback, std::int64_t lo,
                                     std::int64_t hi, const std::string& description) {
    ParameterSpec s;
    s.name = name;
    s.type = ParameterType::Integer;
    s.default_value = std::to_string(fallback);
    s.description = description;
    s.min = double(lo);
    s.max = double(hi);
    return s;
}

ParameterSpec ParameterSpec::number(const std::string& name, double fallback, double lo, double hi,
                                    const std::string& description) {
    ParameterSpec s;
    s.name = name;
    s.type = ParameterType::Number;
    s.default_value = exact_number_text(fallback);
    s.description = description;
    s.min = lo;
    s.max = hi;
    return s;
}

ParameterSpec ParameterSpec::boolean(const std::string& name, bool fallback, const std::string& description) {
    ParameterSpec s;
    s.name = name;
    s.type = ParameterType::Boolean;
    s.default_value = fallback ? "true" : "false";
    s.description = description;
    return s;
}

ParameterSpec ParameterSpec::choice(const std::string& name, const std::string& fallback,
                                    const std::vector<std::string>& choices, const std::string& description) {
    ParameterSpec s;
    s.name = name;
    s.type = ParameterType::Choice;
    s.default_value = fallback;
    s.description = description;
    s.choices = choices;
    return s;
}

std::string ParameterSpec::type_text() const {
    auto range = [&](const char* kind) {
        std::string t = kind;
        const bool lo = std::isfinite(min), hi = std::isfinite(max);
        if (lo && hi) return t + " " + exact_number_text(min) + ".." + exact_number_text(max);
        if (lo) return t + " >= " + exact_number_text(min);
        if (hi) return t + " <= " + exact_number_text(max);
        return t;
    };
    switch (type) {
        case ParameterType::Integer: return range("integer");
        case ParameterType::Number: return range("number");
        case ParameterType::Boolean: return "true|false";
        case ParameterType::Choice: {
            std::string t;
            for (const auto& c : choices) t += (t.empty() ? "" : "|") + c;
            return t;
        }
    }
    return "";
}

void ModelParameters::set(const std::string& name, double number, const std::string& text, bool given) {
    values_[name] = Value{number, text, given};
}

const ModelParameters::Value& ModelParameters::value(const std::string& name) const {
    auto it = values_.find(name);
    // A model asking for a parameter it did not declare is a programming error in the model.
    if (it == values_.end()) throw std::logic_error("model parameter '" + name + "' was not declared");
    return it->second;
}

bool ModelParameters::given(const std::string& name) const { return has(name) && value(name).given; }
std::int64_t ModelParameters::integer(const std::string& name) const { return std::int64_t(value(name).number); }
double ModelParameters::number(const std::string& name) const { return value(name).number; }
bool ModelParameters::boolean(const std::string& name) const { return value(name).number != 0; }
const std::string& ModelParameters::text(const std::string& name) const { return value(name).text; }

std::vector<std::string> ModelParameters::names() const {
    std::vector<std::string> n;
    for (const auto& kv : values_) n.push_back(kv.first);
    return n;
}

ModelParameters ModelParameters::with_values(const std::vector<std::pair<std::string, double>>& values) const {
    ModelParameters out = *this;
    for (const auto& [name, v] : values)
        if (has(name)) out.set(name, v, nine_digit_text(v), given(name));
    return out;
}

}  // namespace acceltran
