#include "modules/compute/original_issue_rules.h"

namespace acceltran::compute {

bool OriginalIssueRules::grouped(const workloads::Op& op) {
    switch (op.kind) {
        case workloads::OpKind::MatMul: return op.category == workloads::OpCategory::FfnProjection;
        case workloads::OpKind::Gelu: return true;
        case workloads::OpKind::LayerNorm: return op.layer >= 0;
        default: return false;
    }
}

}  // namespace acceltran::compute
