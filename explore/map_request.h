// One `acceltran map` (docs/mapping.md §7, docs/cli.md): a model at a sequence and batch on a
// design point, searched op by op; writes DIR/mapping.yaml and DIR/mapspace.json.
#pragma once

#include <cstdint>
#include <ostream>
#include <optional>
#include <string>
#include <vector>

#include "core/accelerator_config.h"
#include "core/output_directory.h"
#include "explore/mapspace_search.h"
#include "explore/op_cost_model.h"
#include "workloads/model_spec.h"

namespace acceltran::explore {

struct MapRequest {
    workloads::ModelSpec model;
    AcceleratorConfig config;
    int seq = 128, batch = 4;
    // A decoder's generation (docs/decoders.md): with either set, the graph is the one `acceltran
    // run` builds for the same prompt, generation and decode steps simulated, so the mapping names
    // its ops (prefill.l0.attn.q, decode1.l0.attn.q, ...). Unset: the `seq`-token pass.
    std::optional<int> prompt_len, gen_len;
    int simulated_steps = 16;
    Objective objective = Objective::Edp;
    SearchKind search = SearchKind::Heuristic;
    std::uint64_t budget = 10000, seed = 1;
    std::string source;  // what the mapping file says produced it (empty: this map, its search)
    // The check on the TLM model (MappingCheck, docs/mapping.md §7.1): each choice is kept only
    // if a fast-level run of the whole model with it is better. `binary` runs the trials with
    // `run_args` (the model, design point and lengths as `acceltran run` takes them). Off: the
    // cost model's choices as found.
    bool check = true;
    std::string binary;
    std::vector<std::string> run_args;

    // Searches (and checks), writes both files into `output` (not committed) and a few lines on
    // `report`: ops, distinct shapes, candidates, time and mappings per second, the check's
    // outcome. Returns 0, or the signal that stopped the check (nothing is then written).
    int run(const OutputDirectory& output, const std::string& configs_dir, std::ostream& report) const;
};

}  // namespace acceltran::explore
