#include "core/sparsity_settings.h"

namespace acceltran::sparsity {

const char* to_string(SparsityMode m) {
    switch (m) {
        case SparsityMode::Ratio: return "ratio";
        case SparsityMode::DynaTran: return "dynatran";
        case SparsityMode::TopK: return "topk";
    }
    return "?";
}

}  // namespace acceltran::sparsity
