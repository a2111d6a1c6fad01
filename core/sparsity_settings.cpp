#include "core/sparsity_settings.h"

namespace acceltran::sparsity {

const char* to_string(SparsityMode m) {
    switch (m) {
        case SparsityMode::Ratio: return "ratio";
        case SparsityMode::DynaTran: return "dynatran";
        case SparsityMode::TopK: return "topk";
        case SparsityMode::None: return "none";
    }
    return "?";
}

bool parse_mode(const std::string& text, SparsityMode& mode) {
    if (text == "none") mode = SparsityMode::None;
    else if (text == "dynatran") mode = SparsityMode::DynaTran;
    else if (text == "topk") mode = SparsityMode::TopK;
    else return false;
    return true;
}

}  // namespace acceltran::sparsity
