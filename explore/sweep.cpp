#include "explore/sweep.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <set>
#include <stdexcept>

#include "core/accelerator_config.h"
#include "core/errors.h"
#include "explore/pareto.h"
#include "explore/slurm_submitter.h"
#include "core/number_text.h"
#include "core/csv_text.h"

namespace acceltran::explore {

namespace {

namespace fs = std::filesystem;

nlohmann::json read_json(const std::string& file, const std::string& what) {
    try {
        return nlohmann::json::parse(SweepRunner::read_text(file));
    } catch (const nlohmann::json::exception& e) {
        throw InputError(file + ": expected " + what + ", found unreadable JSON: " + e.what());
    }
}

std::string csv_line(const std::vector<std::string>& fields) {
    std::string line;
    for (std::size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + csv_field(fields[i]);
    return line + "\n";
}

// Numbers are written with nine_digit_text(); the front is computed from these same texts, so that
// pareto.csv is exactly the front of results.csv.
// A figure of summary.json by key path ("power_w.average"); throws when it is not a number.
double figure(const nlohmann::json& summary, const std::string& key) {
    const nlohmann::json* node = &summary;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = key.find('.', start);
        const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!node->is_object() || !node->contains(part)) throw std::runtime_error("no '" + key + "'");
        node = &(*node)[part];
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    if (!node->is_number()) throw std::runtime_error("'" + key + "' is not a number");
    return node->get<double>();
}

// What sweep.json records: the points with their run arguments, the columns and the metrics.
nlohmann::json sweep_description(const DesignSpace& space, const std::vector<DesignPoint>& points,
                                 const nlohmann::json& sample, std::uint64_t seed,
                                 const std::vector<std::string>& extra_args) {
    nlohmann::json list = nlohmann::json::array();
    for (const DesignPoint& p : points) {
        std::vector<std::string> args = space.run_arguments(p);
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        nlohmann::json point{{"id", p.id}, {"model", p.model}, {"batch", p.batch}, {"values", p.values}, {"args", args}};
        if (space.generation()) {
            point["prompt_len"] = p.prompt_len;
            point["gen_len"] = p.gen_len;
        } else {
            point["seq"] = p.seq;
        }
        list.push_back(std::move(point));
    }
    nlohmann::json metrics = nlohmann::json::array();
    for (const Metric& m : space.metrics()) metrics.push_back({{"key", m.key}, {"goal", m.maximise ? "max" : "min"}});
    return {{"space", space.file()}, {"identity", space.identity()}, {"sample", sample}, {"seed", seed},
            {"generation", space.generation()}, {"columns", space.columns()}, {"metrics", metrics},
            {"points", list}};
}

}  // namespace

std::vector<DesignPoint> Sweep::choose_points(const DesignSpace& space, std::optional<std::uint64_t> sample,
                                              std::uint64_t seed) {
    if (sample) {
        const std::uint64_t n = *sample;
        if (n < 1 || n > kMaxPoints)
            throw UsageError("--sample must be from 1 to " + std::to_string(kMaxPoints) + ", got " + std::to_string(n));
        return space.sample(n, seed);
    }
    if (space.size() > kMaxPoints)
        throw UsageError(space.file() + " has " + std::to_string(space.size()) + " points, more than a sweep runs at once (" +
                         std::to_string(kMaxPoints) + "); draw some with --sample N [--seed S]");
    return space.all();
}

std::string Sweep::absolute(const std::string& path) {
    if (path.empty()) throw UsageError("expected a directory, found an empty path");
    return fs::absolute(fs::path(path)).lexically_normal().string();
}

Sweep::Sweep(std::string dir) : dir_(std::move(dir)) {}

bool Sweep::point_done(const std::string& id) const {
    std::error_code ec;
    return fs::exists(point_dir(id) + "/summary.json", ec);
}

nlohmann::json Sweep::read_description() const {
    const std::string file = dir_ + "/sweep.json";
    std::error_code ec;  // the throwing form made a name too long for the system an internal error
    if (!fs::exists(file, ec)) throw UsageError(dir_ + " is not a sweep directory: it has no sweep.json");
    nlohmann::json s = read_json(file, "the sweep description written by `acceltran sweep`");
    for (const char* key : {"columns", "metrics", "points"})
        if (!s.contains(key) || !s[key].is_array()) throw InputError(file + ": " + key + ": expected a list, found none");
    return s;
}

PointRun Sweep::point_run(const nlohmann::json& point) const {
    PointRun r;
    r.id = point.at("id").get<std::string>();
    r.args = point.at("args").get<std::vector<std::string>>();
    r.out_dir = point_dir(r.id);
    r.args.push_back("--out");
    r.args.push_back(r.out_dir);
    r.error_file = r.out_dir + ".error";
    return r;
}

std::vector<PointRun> Sweep::prepare(const DesignSpace& space, const std::vector<DesignPoint>& points,
                                     std::optional<std::uint64_t> sample, std::uint64_t seed,
                                     const std::vector<std::string>& extra_args) const {
    const nlohmann::json description =
        sweep_description(space, points, sample ? nlohmann::json(*sample) : nlohmann::json(), seed, extra_args);
    const std::string& dir = dir_;
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
        throw UsageError("--out " + dir + " exists and is not a directory");
    if (fs::exists(dir + "/sweep.json", ec)) {
        const nlohmann::json old = read_description();
        const nlohmann::json old_identity = old.value("identity", nlohmann::json::object());
        const nlohmann::json old_sample = old.value("sample", nlohmann::json()), old_seed = old.value("seed", nlohmann::json());
        const std::string how = " Give another --out, or the same space, --sample and --seed to continue it.";
        if (old_identity != description["identity"]) {
            std::string differs;
            for (const auto& [key, value] : description["identity"].items())
                if (old_identity.value(key, nlohmann::json()) != value) differs += (differs.empty() ? "" : ", ") + key;
            throw UsageError(dir + " holds a sweep of another space (its copy: " + dir + "/space.yaml; they differ in " +
                             (differs.empty() ? std::string("their description") : differs) + ")." + how);
        }
        if (old_sample != description["sample"] || (!old_sample.is_null() && old_seed != description["seed"]))
            throw UsageError(dir + " holds a sweep of " +
                             (old_sample.is_null() ? std::string("the whole space")
                                                   : "a sample of " + old_sample.dump() + " points with seed " + old_seed.dump()) +
                             ", not of the points asked for now." + how);
    } else if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
        throw UsageError("--out " + dir + " exists, is not empty and holds no sweep (no sweep.json); " +
                         "give a new or empty directory");
    }
    fs::create_directories(dir + "/points", ec);
    if (ec) throw UsageError("cannot create " + dir + "/points: " + ec.message());
    if (!fs::exists(dir + "/space.yaml", ec)) SweepRunner::write_atomically(dir + "/space.yaml", SweepRunner::read_text(space.file()));
    SweepRunner::write_atomically(dir + "/sweep.json", description.dump(1) + "\n");

    std::vector<PointRun> pending;
    for (const auto& p : description["points"])
        if (!point_done(p["id"].get<std::string>())) pending.push_back(point_run(p));
    return pending;
}

SweepCollection Sweep::collect() const {
    const nlohmann::json sweep = read_description();
    const auto columns = sweep["columns"].get<std::vector<std::string>>();
    // Sweeps written before generation spaces existed have no "generation" entry: encoder passes.
    const bool generation = sweep.value("generation", false);
    const std::vector<std::string>& figures = DesignSpace::result_figures(generation);
    const std::vector<std::string> point_keys = generation ? std::vector<std::string>{"prompt_len", "gen_len", "batch"}
                                                           : std::vector<std::string>{"seq", "batch"};
    std::vector<std::string> header{"id"};
    header.insert(header.end(), columns.begin(), columns.end());
    header.push_back("model");
    header.insert(header.end(), point_keys.begin(), point_keys.end());
    header.insert(header.end(), figures.begin(), figures.end());
    for (const char* c : {"wall_seconds", "status", "error"}) header.push_back(c);

    std::vector<bool> maximise;
    std::vector<std::size_t> metric_columns;
    for (const auto& m : sweep["metrics"]) {
        const std::string key = m.at("key").get<std::string>();
        const auto f = std::find(figures.begin(), figures.end(), key);
        if (f == figures.end()) throw InputError(dir_ + "/sweep.json: metrics: unknown figure '" + key + "'");
        metric_columns.push_back(header.size() - figures.size() - 3 + std::size_t(f - figures.begin()));
        maximise.push_back(m.at("goal").get<std::string>() == "max");
    }

    SweepCollection t;
    t.points = sweep["points"].size();
    std::vector<std::vector<std::string>> rows;
    std::vector<std::vector<double>> ok_metrics;
    std::vector<std::size_t> ok_rows;
    for (const auto& p : sweep["points"]) {
        const std::string id = p.at("id").get<std::string>();
        std::vector<std::string> row{id};
        for (const auto& v : p.at("values")) row.push_back(v.get<std::string>());
        row.push_back(p.at("model").get<std::string>());
        for (const std::string& k : point_keys) row.push_back(std::to_string(p.at(k).get<int>()));
        std::string error;
        std::vector<std::string> values;
        double wall = 0;
        const std::string summary_file = point_dir(id) + "/summary.json";
        if (point_done(id)) {
            try {
                const nlohmann::json summary = read_json(summary_file, "a run summary");
                for (const std::string& f : figures) values.push_back(nine_digit_text(figure(summary, f)));
                wall = summary.contains("wall_seconds") ? figure(summary, "wall_seconds") : 0;
            } catch (const std::exception& e) {
                error = summary_file + ": " + e.what();
            }
        } else if (fs::exists(point_dir(id) + ".error")) {
            error = SweepRunner::error_message(point_dir(id) + ".error");
            if (error.empty()) error = "failed without a message";
        } else {
            ++t.missing;
            continue;
        }
        const bool ok = error.empty();
        values.resize(figures.size());
        row.insert(row.end(), values.begin(), values.end());
        row.push_back(ok ? nine_digit_text(wall) : "");
        row.push_back(ok ? "ok" : "failed");
        row.push_back(error);
        if (ok) {
            std::vector<double> m;
            for (std::size_t c : metric_columns) m.push_back(std::strtod(row[c].c_str(), nullptr));
            ok_metrics.push_back(std::move(m));
            ok_rows.push_back(rows.size());
            ++t.ok;
        } else {
            ++t.failed;
        }
        rows.push_back(std::move(row));
    }

    std::string results = csv_line(header), front = csv_line(header);
    for (const auto& r : rows) results += csv_line(r);
    const std::vector<std::size_t> on_front = ParetoFront(maximise).of(ok_metrics);
    for (std::size_t i : on_front) front += csv_line(rows[ok_rows[i]]);
    t.front = on_front.size();
    t.rows = rows.size();
    SweepRunner::write_atomically(dir_ + "/results.csv", results);
    SweepRunner::write_atomically(dir_ + "/pareto.csv", front);
    for (const auto& m : sweep["metrics"])
        t.metrics += (t.metrics.empty() ? "" : ", ") + m["key"].get<std::string>() + " " + m["goal"].get<std::string>();
    return t;
}

SweepRunner::Captured Sweep::plot() const {
    const std::string script = data_dir() + "/scripts/plot-sweep";
    return fs::exists(script) ? SweepRunner::capture({script, dir_}) : SweepRunner::Captured{127, script + ": not found"};
}

SweepCollection Sweep::collect_and_report(bool plot, std::ostream& report, std::ostream& warnings) const {
    const SweepCollection t = collect();
    report << "results  " << dir_ << "/results.csv: " << t.rows << " points (" << t.ok << " ok, " << t.failed
           << " failed)\n"
           << "front    " << dir_ << "/pareto.csv: " << t.front << " points on " << t.metrics << "\n";
    if (t.missing > 0)
        warnings << "acceltran sweep: warning: " << t.missing << " of " << t.points
                 << " points have no result yet; run the same sweep command again to run them\n";
    if (t.failed > 0)
        warnings << "acceltran sweep: warning: " << t.failed << " points failed; the error column of " << dir_
                 << "/results.csv has each one's message, " << dir_ << "/points/<id>.error the whole stderr\n";
    if (plot) {
        // The figure is a convenience: without it the CSV files are still the results.
        const auto r = this->plot();
        if (r.exit_code == 0)
            report << "plot     " << dir_ << "/pareto.png\n";
        else
            warnings << "acceltran sweep: warning: no pareto.png: " << SweepRunner::last_line(r.output) << "\n";
    }
    return t;
}

int Sweep::exit_code(const SweepCollection& c) { return c.ok == 0 && c.failed > 0 ? int(ExitCode::simulation_error) : 0; }

ChunkOutcome Sweep::run_chunk(const std::string& binary, int chunk) const {
    const nlohmann::json sweep = read_description();
    const std::vector<std::string> ids = SlurmSubmitter::chunk_ids(dir_, chunk);
    const std::set<std::string> wanted(ids.begin(), ids.end());
    std::vector<PointRun> runs;
    for (const auto& p : sweep["points"]) {
        const std::string id = p.at("id").get<std::string>();
        if (wanted.count(id) && !point_done(id)) runs.push_back(point_run(p));
    }
    const RunnerOutcome o = SweepRunner(binary, 1, ProgressMode::off).run(runs);
    ChunkOutcome c;
    c.points = ids.size();
    c.ok = o.ok;
    c.failed = o.failed;
    c.already_done = ids.size() - runs.size();
    c.signal = o.signal;
    if (!o.signal) SlurmSubmitter::mark_done(dir_, chunk);
    return c;
}

}  // namespace acceltran::explore
