// The executors a template other than AccelTran puts in the PE's three unit-class slots
// (docs/gemmini.md, "How the template maps onto the modules"): for the Gemmini template, the
// systolic array in the MAC-lane slot, the host CPU cores or the I-BERT activation units in the
// softmax slot, the I-BERT normalization unit in the layer-norm slot.
#pragma once

#include <optional>

#include "core/accelerator_config.h"
#include "modules/compute/processing_element.h"

namespace acceltran {

// The factory for `config`'s template, or nothing for AccelTran (the PE's own units).
std::optional<compute::ProcessingElement::UnitFactory> template_units(const AcceleratorConfig& config);

}  // namespace acceltran
