#include "modules/activity/activity_observer.h"

namespace acceltran::activity {

const char* to_string(Port p) {
    switch (p) {
        case Port::ActivationBuffer: return "activation_buffer";
        case Port::WeightBuffer: return "weight_buffer";
        case Port::MaskBuffer: return "mask_buffer";
        case Port::MainMemory: return "main_memory";
    }
    return "?";
}

}  // namespace acceltran::activity
