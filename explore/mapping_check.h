// The mapper's choices checked on the TLM model (docs/mapping.md §7.1). The cost model prices
// each op on its own buffers, so it cannot see what one op's mapping does to the others: a
// partial-sum output reserved dense, or a smaller tile, takes buffer room the planner needed to
// keep another tensor on chip, and the run spills. So the choices are tried on the whole model:
// the derived mapping is simulated first, then each shape's choice (largest predicted gain
// first) and each chosen fusion is added in turn and kept only if the simulated objective of the
// whole run improves. The result is never worse on the TLM model (at the fast detail level) than
// running without a mapping file.
//
// SystemC elaborates once per process, so every trial is an `acceltran run --detail fast`
// child (SweepRunner, one at a time, stoppable by SIGINT/SIGTERM).
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "explore/model_mapper.h"
#include "explore/op_cost_model.h"

namespace acceltran::explore {

class MappingCheck {
public:
    // One trial run: what it added, whether it was kept, and the run's figures.
    struct Trial {
        std::string what;  // "derived", "shape N" or "fusion N" (indices into mapspace.json's lists)
        bool kept = false;
        bool ran = false;  // false: the run failed (its error is `error`)
        double cycles = 0, energy_j = 0, seconds = 0, objective = 0;
        std::string error;
    };

    // `binary`: the acceltran executable; `run_args`: the arguments after `run` that select the
    // model, design point and lengths (as `acceltran map` was given them); `scratch`: a
    // directory for the trials' mapping files and runs (removed as they are read).
    MappingCheck(std::string binary, std::vector<std::string> run_args, Objective objective, std::string scratch);

    // Tries the mapper's choices as above, leaving in `mapper` only those kept. Returns 0, or the
    // signal (SIGINT, SIGTERM) that stopped it (the mapper's state is then unspecified). When the
    // derived mapping itself does not run, every choice stays and the report says so.
    int run(ModelMapper& mapper, std::ostream& report);

    const std::vector<Trial>& trials() const { return trials_; }
    // mapspace.json's "check": the objective, the trials, and the derived and final runs' figures.
    nlohmann::json json() const;

private:
    // Runs the mapping `mapper` holds now; returns false when stopped by a signal.
    bool trial(const ModelMapper& mapper, const std::string& what, Trial& out);

    std::string binary_;
    std::vector<std::string> run_args_;
    Objective objective_;
    std::string scratch_;
    std::vector<Trial> trials_;
    int signal_ = 0;
};

}  // namespace acceltran::explore
