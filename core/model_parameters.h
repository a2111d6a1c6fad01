// Typed parameters of a pluggable buffer or main-memory model: the declared parameters
// (ParameterSpec: name, type, default, range or choices, description) and the values read for one
// instance (ModelParameters). Plain C++ with no yaml-cpp or SystemC in its interface, so that
// out-of-tree plug-ins (docs/plugins.md) build against it with nothing but the installed headers.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace acceltran {

enum class ParameterType { Integer, Number, Boolean, Choice };

struct ParameterSpec {
    std::string name;
    ParameterType type = ParameterType::Number;
    std::string default_value;          // as it would be written in the YAML ("64", "true", "open")
    std::string description;            // one line, with the unit
    double min = -std::numeric_limits<double>::infinity();
    double max = std::numeric_limits<double>::infinity();
    std::vector<std::string> choices;   // Choice only

    static ParameterSpec integer(const std::string& name, std::int64_t fallback, std::int64_t lo, std::int64_t hi,
                                 const std::string& description);
    static ParameterSpec number(const std::string& name, double fallback, double lo, double hi,
                                const std::string& description);
    static ParameterSpec boolean(const std::string& name, bool fallback, const std::string& description);
    static ParameterSpec choice(const std::string& name, const std::string& fallback,
                                const std::vector<std::string>& choices, const std::string& description);

    // "integer 1..65536", "number >= 0", "true|false", "open|closed": for `acceltran list`.
    std::string type_text() const;
};

// The values of one model instance: every declared parameter has one (the YAML's or the
// default), and given() tells which were written explicitly (so that a preset can fill the rest).
class ModelParameters {
public:
    void set(const std::string& name, double number, const std::string& text, bool given);

    bool has(const std::string& name) const { return values_.count(name) > 0; }
    bool given(const std::string& name) const;
    std::int64_t integer(const std::string& name) const;
    double number(const std::string& name) const;
    bool boolean(const std::string& name) const;
    const std::string& text(const std::string& name) const;
    std::vector<std::string> names() const;
    // A copy in which each named value a model reports it runs with (MemoryModel::
    // effective_parameters) replaces this one's; whether it was given stays as it was. Names
    // this instance does not declare are ignored.
    ModelParameters with_values(const std::vector<std::pair<std::string, double>>& values) const;

private:
    struct Value {
        double number = 0;
        std::string text;
        bool given = false;
    };
    const Value& value(const std::string& name) const;
    std::map<std::string, Value> values_;
};

}  // namespace acceltran
