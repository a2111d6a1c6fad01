#include "modules/compute/softmax_unit.h"

#include "modules/compute/tile_timing.h"

namespace acceltran::compute {

TileWork SoftmaxUnit::execute_repeated(const OpContext&, const workloads::TileStep&, const TileDensity& density,
                                       std::uint64_t /*count: no activity counters*/) {
    // Only unmasked non-zero scores are exponentiated and summed; the top-k selection (functional
    // mode) follows on the probabilities it is given.
    TileWork work;
    work.cycles = softmax_tile_cycles(density.visible_a_nonzeros) +
                  topk_tile_cycles(density.topk_elements, topk_elements_per_cycle_);
    return work;
}

}  // namespace acceltran::compute
