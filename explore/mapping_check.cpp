#include "explore/mapping_check.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <sstream>

#include "explore/sweep_runner.h"

namespace acceltran::explore {

namespace fs = std::filesystem;

MappingCheck::MappingCheck(std::string binary, std::vector<std::string> run_args, Objective objective,
                           std::string scratch)
    : binary_(std::move(binary)), run_args_(std::move(run_args)), objective_(objective), scratch_(std::move(scratch)) {}

bool MappingCheck::trial(const ModelMapper& mapper, const std::string& what, Trial& out) {
    const std::string stem = scratch_ + "/trial-" + std::to_string(trials_.size());
    std::ostringstream yaml;
    mapper.write_yaml(yaml, "a trial of acceltran map's check on the TLM model (" + what + ")");
    SweepRunner::write_atomically(stem + ".yaml", yaml.str());
    PointRun point;
    point.id = what;
    point.out_dir = stem;
    point.error_file = stem + ".error";
    point.args = {"run"};
    point.args.insert(point.args.end(), run_args_.begin(), run_args_.end());
    for (const char* word : {"--detail", "fast", "-q", "--no-progress", "--mapping"}) point.args.emplace_back(word);
    point.args.push_back(stem + ".yaml");
    point.args.push_back("--out");
    point.args.push_back(stem);
    const RunnerOutcome outcome = SweepRunner(binary_, 1, ProgressMode::off).run({point});
    out.what = what;
    if (outcome.signal) {
        signal_ = outcome.signal;
        return false;
    }
    std::error_code ec;
    if (outcome.ok == 1) {
        const nlohmann::json summary = nlohmann::json::parse(SweepRunner::read_text(stem + "/summary.json"));
        out.ran = true;
        out.cycles = summary.at("cycles").get<double>();
        out.energy_j = summary.at("energy_j").get<double>();
        out.seconds = summary.at("seconds").get<double>();
        // The run's figures in the cost model's terms, so the objective is the one the search used.
        OpCost run;
        run.cycles = out.cycles;
        run.energy_j = out.energy_j;
        run.seconds = out.seconds;
        out.objective = objective_value(run, objective_);
    } else {
        out.error = SweepRunner::error_message(point.error_file);
    }
    fs::remove_all(stem, ec);
    fs::remove(stem + ".yaml", ec);
    fs::remove(point.error_file, ec);
    return true;
}

int MappingCheck::run(ModelMapper& mapper, std::ostream& report) {
    fs::create_directories(scratch_);
    // Everything out first: the derived mapping is the reference every choice must beat.
    const std::size_t n_shapes = mapper.shapes().size(), n_fusions = mapper.fusions().size();
    for (std::size_t s = 0; s < n_shapes; ++s) mapper.use_shape(s, false);
    for (std::size_t f = 0; f < n_fusions; ++f) mapper.use_fusion(f, false);
    Trial reference;
    if (!trial(mapper, "derived", reference)) return signal_;
    if (!reference.ran) {
        // Nothing to compare with: the choices may be what lets the model run at all, so they
        // are written as found, and the report says why they were not checked.
        for (std::size_t s = 0; s < n_shapes; ++s) mapper.use_shape(s, true);
        for (std::size_t f = 0; f < n_fusions; ++f) mapper.use_fusion(f, true);
        trials_.push_back(reference);
        report << "  not checked on the TLM model: the derived mapping does not run (" << reference.error
               << "); the cost model's choices are written as found\n";
        return 0;
    }
    reference.kept = true;
    trials_.push_back(reference);
    double best = reference.objective;

    // Shapes whose choice changes a mapping, the largest gain the cost model predicts first (a
    // design mapping that does not fit it: first of all).
    std::vector<std::pair<double, std::size_t>> order;
    for (std::size_t s = 0; s < n_shapes; ++s) {
        const ModelMapper::SearchedShape& shape = mapper.shapes()[s];
        if (!shape.result.found || !mapper.changes(s)) continue;
        const double design = shape.design.fits ? objective_value(shape.design, objective_)
                                                : std::numeric_limits<double>::infinity();
        order.emplace_back(-(design - shape.result.best_value) * double(shape.ops.size()), s);
    }
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    auto attempt = [&](const std::string& what, auto&& use) {
        use(true);
        Trial t;
        if (!trial(mapper, what, t)) return false;
        t.kept = t.ran && t.objective < best;
        if (t.kept)
            best = t.objective;
        else
            use(false);
        trials_.push_back(t);
        return true;
    };
    for (const auto& entry : order) {
        const std::size_t s = entry.second;
        if (!attempt("shape " + std::to_string(s), [&](bool on) { mapper.use_shape(s, on); })) return signal_;
    }
    for (std::size_t f = 0; f < n_fusions; ++f) {
        if (!mapper.fusions()[f].chosen) continue;
        if (!attempt("fusion " + std::to_string(f), [&](bool on) { mapper.use_fusion(f, on); })) return signal_;
    }
    std::size_t kept = 0;
    for (const Trial& t : trials_) kept += t.kept ? 1 : 0;
    report << "  checked on the TLM model    " << kept - 1 << " of " << trials_.size() - 1
           << " choices kept (fast level, " << trials_.size() << " runs): " << to_string(objective_) << " "
           << reference.objective << " derived -> " << best << " mapped\n";
    return 0;
}

nlohmann::json MappingCheck::json() const {
    auto figures = [&](const Trial& t) {
        return nlohmann::json{{"cycles", t.cycles}, {"energy_j", t.energy_j}, {"objective", t.objective}};
    };
    nlohmann::json trials = nlohmann::json::array();
    const Trial* final_trial = nullptr;
    for (const Trial& t : trials_) {
        nlohmann::json entry = {{"what", t.what}, {"kept", t.kept}};
        if (t.ran)
            entry.update(figures(t));
        else
            entry["error"] = t.error;
        trials.push_back(std::move(entry));
        if (t.kept) final_trial = &t;
    }
    nlohmann::json out = {{"objective", to_string(objective_)}, {"detail", "fast"}, {"trials", trials}};
    if (!trials_.empty() && trials_.front().ran) out["derived"] = figures(trials_.front());
    if (final_trial) out["mapped"] = figures(*final_trial);
    return out;
}

}  // namespace acceltran::explore
