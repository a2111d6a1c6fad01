#include "modules/template_units.h"

#include "modules/host/host_cpu.h"
#include "modules/systolic/integer_unit.h"
#include "modules/systolic/systolic_array.h"

namespace acceltran {

std::optional<compute::ProcessingElement::UnitFactory> template_units(const AcceleratorConfig& config) {
    if (!config.gemmini()) return std::nullopt;
    // Copies, so the factory does not depend on the caller keeping `config` alive.
    const SystolicConfig array = config.systolic;
    const HostCpuConfig cpu = config.host_cpu;
    const IntegerUnitsConfig units = config.integer_units;
    return [array, cpu, units](workloads::UnitClass c) -> std::unique_ptr<compute::ComputeUnit> {
        switch (c) {
            case workloads::UnitClass::MacLane: return std::make_unique<systolic::SystolicArray>(array);
            case workloads::UnitClass::Softmax:
                if (units.any()) return std::make_unique<systolic::IntegerUnit>(units, false);
                return std::make_unique<host::HostCpu>(cpu);
            case workloads::UnitClass::LayerNorm: break;
        }
        return std::make_unique<systolic::IntegerUnit>(units, true);
    };
}

}  // namespace acceltran
