// A ModelSpec written in our model-zoo YAML format (workloads/models/*.yaml), so that an imported
// model can be edited and given back with --model: parse_model_yaml() of the text gives the same
// spec (tests/unit/test_model_import.cpp). The format describes identical layers, so a spec
// whose layers differ (a heterogeneous FlexiBERT dict) is refused naming the first difference.
#pragma once

#include <string>

#include "workloads/model_spec.h"

namespace acceltran::workloads {

class ModelYamlWriter {
public:
    // `origin` and `format` go into the header comment ("imported from X (Hugging Face config)").
    ModelYamlWriter(std::string origin, std::string format) : origin_(std::move(origin)), format_(std::move(format)) {}

    std::string text(const ModelSpec& spec) const;

private:
    void check_uniform(const ModelSpec& spec) const;

    std::string origin_, format_;
};

}  // namespace acceltran::workloads
