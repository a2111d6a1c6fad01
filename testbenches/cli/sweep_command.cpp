// `acceltran sweep`: runs every point of a design space (or a sample of it) as its own
// `acceltran run` process, on the local cores or as a Slurm job array, and gathers the results
// (docs/sweeps.md). The sweep directory DIR holds:
//
//   space.yaml              the space file as first given (a later run with another space is refused)
//   sweep.json              the points (id, model, seq, batch, values, run arguments) and metrics
//   points/<id>/            each finished point's run directory (summary.json, timeline.csv)
//   points/<id>.error       a failed point's exit status and stderr
//   results.csv, pareto.csv one row per finished point; the non-dominated ones
//   pareto.png              scripts/plot-sweep's figure, when Debian's matplotlib is there
//   slurm/                  the batch script, the chunk plan, task logs, done markers
//
// A point is done when points/<id>/summary.json exists, so a sweep resumes by running it again:
// done points are skipped, whatever order or machine they ran in.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/accelerator_config.h"
#include "core/errors.h"
#include "testbenches/cli/commands.h"
#include "explore/design_space.h"
#include "testbenches/cli/option_parser.h"
#include "explore/pareto.h"
#include "testbenches/cli/plugin_options.h"
#include "explore/slurm_submitter.h"
#include "explore/sweep_runner.h"

namespace acceltran::cli {

using namespace acceltran::explore;

namespace {

namespace fs = std::filesystem;

// sweep.json lists every point; past this a space is sampled (--sample), not enumerated.
constexpr std::uint64_t kMaxSweepPoints = 100000;

const char* kUsage =
    "usage: acceltran sweep --space S --out DIR [--jobs N | --slurm [--partition P] [--time T] [--array-chunk K]\n"
    "                       [--no-wait]] [--sample N [--seed S]] [--plugin P]... [--no-plot] [--dry-run]\n"
    "       acceltran sweep --collect DIR\n"
    "Runs each point of the design space S (configs/design-spaces/*.yaml) as its own `acceltran run`,\n"
    "on N local processes or as a Slurm job array, and writes DIR/results.csv (one row per point),\n"
    "DIR/pareto.csv (the points no other beats on every metric) and DIR/pareto.png. Points already\n"
    "done in DIR are skipped, so running the same command again resumes a sweep. --plugin loads model\n"
    "plug-ins here (so that the space can select their models) and in every point's run. See docs/sweeps.md.";

struct Totals {
    std::size_t ok = 0, failed = 0, missing = 0, front = 0;
};

std::string self_binary() {
    std::error_code ec;
    const fs::path p = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw SimulationError("cannot find the acceltran binary (/proc/self/exe): " + ec.message());
    return p.string();
}

int available_cores() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    return int(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
}

std::string point_dir(const std::string& dir, const std::string& id) { return dir + "/points/" + id; }
bool point_done(const std::string& dir, const std::string& id) {
    std::error_code ec;
    return fs::exists(point_dir(dir, id) + "/summary.json", ec);
}

nlohmann::json read_json(const std::string& file, const std::string& what) {
    try {
        return nlohmann::json::parse(SweepRunner::read_text(file));
    } catch (const nlohmann::json::exception& e) {
        throw InputError(file + ": expected " + what + ", found unreadable JSON: " + e.what());
    }
}

nlohmann::json read_sweep(const std::string& dir) {
    const std::string file = dir + "/sweep.json";
    if (!fs::exists(file)) throw UsageError(dir + " is not a sweep directory: it has no sweep.json");
    nlohmann::json s = read_json(file, "the sweep description written by `acceltran sweep`");
    for (const char* key : {"columns", "metrics", "points"})
        if (!s.contains(key) || !s[key].is_array()) throw InputError(file + ": " + key + ": expected a list, found none");
    return s;
}

PointRun point_run(const std::string& dir, const nlohmann::json& point) {
    PointRun r;
    r.id = point.at("id").get<std::string>();
    r.args = point.at("args").get<std::vector<std::string>>();
    r.out_dir = point_dir(dir, r.id);
    r.args.push_back("--out");
    r.args.push_back(r.out_dir);
    r.error_file = r.out_dir + ".error";
    return r;
}

// --- results.csv and pareto.csv ---------------------------------------------------------

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string csv_line(const std::vector<std::string>& fields) {
    std::string line;
    for (std::size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + csv_field(fields[i]);
    return line + "\n";
}

// 9 significant digits, as timeline.csv; the front is computed from these same texts, so that
// pareto.csv is exactly the front of results.csv.
std::string number(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.9g", v);
    return buffer;
}

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

Totals collect(const std::string& dir, bool plot) {
    const nlohmann::json sweep = read_sweep(dir);
    const auto columns = sweep["columns"].get<std::vector<std::string>>();
    const std::vector<std::string>& figures = DesignSpace::result_figures();
    std::vector<std::string> header{"id"};
    header.insert(header.end(), columns.begin(), columns.end());
    for (const char* c : {"model", "seq", "batch"}) header.push_back(c);
    header.insert(header.end(), figures.begin(), figures.end());
    for (const char* c : {"wall_seconds", "status", "error"}) header.push_back(c);

    std::vector<bool> maximise;
    std::vector<std::size_t> metric_columns;
    for (const auto& m : sweep["metrics"]) {
        const std::string key = m.at("key").get<std::string>();
        const auto f = std::find(figures.begin(), figures.end(), key);
        if (f == figures.end()) throw InputError(dir + "/sweep.json: metrics: unknown figure '" + key + "'");
        metric_columns.push_back(header.size() - figures.size() - 3 + std::size_t(f - figures.begin()));
        maximise.push_back(m.at("goal").get<std::string>() == "max");
    }

    Totals t;
    std::vector<std::vector<std::string>> rows;
    std::vector<std::vector<double>> ok_metrics;
    std::vector<std::size_t> ok_rows;
    for (const auto& p : sweep["points"]) {
        const std::string id = p.at("id").get<std::string>();
        std::vector<std::string> row{id};
        for (const auto& v : p.at("values")) row.push_back(v.get<std::string>());
        row.push_back(p.at("model").get<std::string>());
        row.push_back(std::to_string(p.at("seq").get<int>()));
        row.push_back(std::to_string(p.at("batch").get<int>()));
        std::string error;
        std::vector<std::string> values;
        double wall = 0;
        const std::string summary_file = point_dir(dir, id) + "/summary.json";
        if (point_done(dir, id)) {
            try {
                const nlohmann::json summary = read_json(summary_file, "a run summary");
                for (const std::string& f : figures) values.push_back(number(figure(summary, f)));
                wall = summary.contains("wall_seconds") ? figure(summary, "wall_seconds") : 0;
            } catch (const std::exception& e) {
                error = summary_file + ": " + e.what();
            }
        } else if (fs::exists(point_dir(dir, id) + ".error")) {
            error = SweepRunner::error_message(point_dir(dir, id) + ".error");
            if (error.empty()) error = "failed without a message";
        } else {
            ++t.missing;
            continue;
        }
        const bool ok = error.empty();
        values.resize(figures.size());
        row.insert(row.end(), values.begin(), values.end());
        row.push_back(ok ? number(wall) : "");
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
    SweepRunner::write_atomically(dir + "/results.csv", results);
    SweepRunner::write_atomically(dir + "/pareto.csv", front);

    std::string metrics_text;
    for (const auto& m : sweep["metrics"])
        metrics_text += (metrics_text.empty() ? "" : ", ") + m["key"].get<std::string>() + " " + m["goal"].get<std::string>();
    std::cout << "results  " << dir << "/results.csv: " << rows.size() << " points (" << t.ok << " ok, " << t.failed
              << " failed)\n"
              << "front    " << dir << "/pareto.csv: " << t.front << " points on " << metrics_text << "\n";
    if (t.missing > 0)
        std::cerr << "acceltran sweep: warning: " << t.missing << " of " << sweep["points"].size()
                  << " points have no result yet; run the same sweep command again to run them\n";
    if (t.failed > 0)
        std::cerr << "acceltran sweep: warning: " << t.failed << " points failed; the error column of " << dir
                  << "/results.csv has each one's message, " << dir << "/points/<id>.error the whole stderr\n";

    if (plot) {
        // The figure is a convenience: without it the CSV files are still the results.
        const std::string script = data_dir() + "/scripts/plot-sweep";
        const auto r = fs::exists(script) ? SweepRunner::capture({script, dir})
                                          : SweepRunner::Captured{127, script + ": not found"};
        if (r.exit_code == 0)
            std::cout << "plot     " << dir << "/pareto.png\n";
        else
            std::cerr << "acceltran sweep: warning: no pareto.png: " << SweepRunner::last_line(r.output) << "\n";
    }
    return t;
}

// --- the sweep directory -----------------------------------------------------------------

// `extra_args` (the --plugin arguments) go after each point's own run arguments; they are not part
// of the space's identity, so a sweep can be resumed with the plug-ins at another path.
nlohmann::json sweep_description(const DesignSpace& space, const std::vector<DesignPoint>& points,
                                 const nlohmann::json& sample, std::uint64_t seed,
                                 const std::vector<std::string>& extra_args) {
    nlohmann::json list = nlohmann::json::array();
    for (const DesignPoint& p : points) {
        std::vector<std::string> args = space.run_arguments(p);
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        list.push_back({{"id", p.id},
                        {"model", p.model},
                        {"seq", p.seq},
                        {"batch", p.batch},
                        {"values", p.values},
                        {"args", args}});
    }
    nlohmann::json metrics = nlohmann::json::array();
    for (const Metric& m : space.metrics()) metrics.push_back({{"key", m.key}, {"goal", m.maximise ? "max" : "min"}});
    return {{"space", space.file()}, {"identity", space.identity()}, {"sample", sample}, {"seed", seed},
            {"columns", space.columns()}, {"metrics", metrics}, {"points", list}};
}

// DIR must be new, empty, or hold a sweep of the same space and sample; nothing in it is removed.
void prepare_directory(const std::string& dir, const DesignSpace& space, const nlohmann::json& description) {
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
        throw UsageError("--out " + dir + " exists and is not a directory");
    if (fs::exists(dir + "/sweep.json", ec)) {
        const nlohmann::json old = read_sweep(dir);
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
}

int stopped(int signal, const std::string& resume) {
    std::cerr << "acceltran sweep: stopped by " << strsignal(signal) << "; finished points are kept. To continue: "
              << resume << "\n";
    return 128 + signal;
}

std::string absolute(const std::string& path) {
    if (path.empty()) throw UsageError("expected a directory, found an empty path");
    return fs::absolute(fs::path(path)).lexically_normal().string();
}

int run_chunk(const std::string& dir_arg, int chunk) {
    const std::string dir = absolute(dir_arg);
    const nlohmann::json sweep = read_sweep(dir);
    const std::vector<std::string> ids = SlurmSubmitter::chunk_ids(dir, chunk);
    const std::set<std::string> wanted(ids.begin(), ids.end());
    std::vector<PointRun> runs;
    for (const auto& p : sweep["points"]) {
        const std::string id = p.at("id").get<std::string>();
        if (wanted.count(id) && !point_done(dir, id)) runs.push_back(point_run(dir, p));
    }
    const RunnerOutcome o = SweepRunner(self_binary(), 1, false).run(runs);
    std::cout << "chunk " << chunk << ": " << ids.size() << " points: " << o.ok << " ok, " << o.failed << " failed, "
              << ids.size() - runs.size() << " already done\n";
    if (o.signal) return stopped(o.signal, "resubmit the sweep");
    SlurmSubmitter::mark_done(dir, chunk);
    return 0;
}

}  // namespace

int sweep_command(const std::vector<std::string>& args) {
    namespace po = boost::program_options;
    po::options_description desc("sweep options");
    desc.add_options()
        ("space,s", po::value<std::string>(), "design-space YAML (configs/design-spaces/*.yaml; docs/sweeps.md)")
        ("out,o", po::value<std::string>(), "sweep directory: created, or resumed when it holds this sweep")
        ("jobs,j", po::value<int>(), "local worker processes (default: the cores this process may use)")
        ("slurm", "run the points as a Slurm job array instead (sbatch; DIR must be on a shared file system)")
        ("partition", po::value<std::string>(), "--slurm: partition to submit to")
        ("time", po::value<std::string>(), "--slurm: time limit per array task, e.g. 1:00:00")
        ("array-chunk", po::value<int>(), "--slurm: points per array task (default: enough for at most 1000 tasks)")
        ("no-wait", "--slurm: print the job id and return; gather later with --collect")
        ("sample", po::value<std::uint64_t>(), "run N points drawn at random from the space instead of all")
        ("seed", po::value<std::uint64_t>()->default_value(1), "--sample: seed of the draw (same seed, same points)")
        ("collect", po::value<std::string>(), "only gather DIR/results.csv, pareto.csv and pareto.png from DIR")
        ("run-chunk", po::value<std::string>(), "(used by the Slurm batch script) run one chunk of DIR's plan")
        ("chunk", po::value<int>(), "with --run-chunk: the chunk (default $SLURM_ARRAY_TASK_ID)")
        ("no-plot", "do not draw DIR/pareto.png")
        ("no-progress", "no progress line (it is shown only when stderr is a terminal)")
        ("dry-run", "list the points (and which are done in DIR) without running anything");
    add_plugin_option(desc);
    po::variables_map vm;
    if (!parse_options(args, desc, kUsage, vm)) return 0;
    auto refuse_with = [&](const std::string& mode, std::initializer_list<const char*> allowed) {
        for (const auto& [name, value] : vm) {
            if (value.defaulted() || name == mode) continue;
            if (std::find_if(allowed.begin(), allowed.end(), [&](const char* a) { return name == a; }) == allowed.end())
                throw UsageError("--" + name + " cannot be combined with --" + mode);
        }
    };

    if (vm.count("run-chunk")) {
        refuse_with("run-chunk", {"chunk"});
        int chunk = -1;
        if (vm.count("chunk"))
            chunk = vm["chunk"].as<int>();
        else if (const char* task = std::getenv("SLURM_ARRAY_TASK_ID"))
            chunk = std::atoi(task);
        if (chunk < 0) throw UsageError("--run-chunk needs --chunk I (or $SLURM_ARRAY_TASK_ID)");
        return run_chunk(vm["run-chunk"].as<std::string>(), chunk);
    }
    if (vm.count("collect")) {
        refuse_with("collect", {"no-plot"});
        const Totals t = collect(absolute(vm["collect"].as<std::string>()), !vm.count("no-plot"));
        return t.ok == 0 && t.failed > 0 ? int(ExitCode::simulation_error) : 0;
    }
    if (!vm.count("space") || !vm.count("out"))
        throw UsageError("--space and --out are required (or --collect DIR; see --help)");
    const bool slurm = vm.count("slurm") > 0;
    if (slurm && vm.count("jobs")) throw UsageError("--jobs is for local sweeps; a Slurm array task runs one point at a time");
    for (const char* o : {"partition", "time", "array-chunk", "no-wait"})
        if (!slurm && vm.count(o)) throw UsageError(std::string("--") + o + " needs --slurm");
    if (vm.count("chunk")) throw UsageError("--chunk needs --run-chunk");
    const int jobs = vm.count("jobs") ? positive(vm, "jobs") : available_cores();
    if (vm.count("array-chunk")) (void)positive(vm, "array-chunk");

    load_plugins(vm);  // before the space, whose base accelerator and values may select a plug-in's model
    const DesignSpace space = DesignSpace::load(vm["space"].as<std::string>(), data_dir());
    const std::uint64_t seed = vm["seed"].as<std::uint64_t>();
    nlohmann::json sample;  // null: the whole space
    std::vector<DesignPoint> points;
    if (vm.count("sample")) {
        const std::uint64_t n = vm["sample"].as<std::uint64_t>();
        if (n < 1 || n > kMaxSweepPoints)
            throw UsageError("--sample must be from 1 to " + std::to_string(kMaxSweepPoints) + ", got " + std::to_string(n));
        sample = n;
        points = space.sample(n, seed);
    } else {
        if (space.size() > kMaxSweepPoints)
            throw UsageError(space.file() + " has " + std::to_string(space.size()) + " points, more than a sweep runs at once (" +
                             std::to_string(kMaxSweepPoints) + "); draw some with --sample N [--seed S]");
        points = space.all();
    }
    const std::string dir = absolute(vm["out"].as<std::string>());
    if (vm.count("dry-run")) {
        std::cout << space.file() << ": " << points.size() << " of the space's " << space.size() << " points\n";
        for (const DesignPoint& p : points) {
            std::cout << p.id << "  model=" << p.model << " seq=" << p.seq << " batch=" << p.batch;
            for (std::size_t c = 0; c < p.values.size(); ++c)
                if (!p.values[c].empty()) std::cout << " " << space.columns()[c] << "=" << p.values[c];
            std::cout << (point_done(dir, p.id) ? "  (done)" : "") << "\n";
        }
        return 0;
    }
    const nlohmann::json description = sweep_description(space, points, sample, seed, plugin_arguments(vm));
    prepare_directory(dir, space, description);

    std::vector<PointRun> pending;
    for (const auto& p : description["points"])
        if (!point_done(dir, p["id"].get<std::string>())) pending.push_back(point_run(dir, p));
    const std::size_t done_before = points.size() - pending.size();
    const bool plot = !vm.count("no-plot");
    const bool progress = !vm.count("no-progress");
    std::string resume = "acceltran sweep";
    for (const auto& a : args)
        resume += " " + (a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=,+-") ==
                                 std::string::npos
                             ? a
                             : "'" + a + "'");

    if (!slurm) {
        std::cout << "sweep: " << points.size() << " points of " << space.file() << " (" << done_before
                  << " already done); ";
        if (pending.empty())
            std::cout << "nothing to run\n";
        else
            std::cout << "running " << pending.size() << " on " << std::min<std::size_t>(std::size_t(jobs), pending.size())
                      << " local processes\n";
        std::cout << std::flush;
        const RunnerOutcome o = SweepRunner(self_binary(), jobs, progress).run(pending);
        const Totals t = collect(dir, plot && !o.signal);
        if (o.signal) return stopped(o.signal, resume);
        return t.ok == 0 && t.failed > 0 ? int(ExitCode::simulation_error) : 0;
    }

    if (pending.empty()) {
        std::cout << "sweep: all " << points.size() << " points are done; nothing to submit\n";
        collect(dir, plot);
        return 0;
    }
    SlurmOptions o;
    if (vm.count("partition")) o.partition = vm["partition"].as<std::string>();
    if (vm.count("time")) o.time = vm["time"].as<std::string>();
    if (vm.count("array-chunk")) o.chunk = vm["array-chunk"].as<int>();
    o.progress = progress && ::isatty(STDERR_FILENO);
    SlurmSubmitter submitter(dir, self_binary(), o);
    std::vector<std::string> ids;
    for (const PointRun& p : pending) ids.push_back(p.id);
    const std::string job = submitter.submit(ids);
    std::cout << "sweep: submitted Slurm job " << job << ": " << pending.size() << " points in " << submitter.chunks()
              << " array tasks (" << done_before << " already done; script " << submitter.script_path() << ")\n";
    if (vm.count("no-wait")) {
        std::cout << "when it has finished: acceltran sweep --collect " << dir << "\n";
        return 0;
    }
    std::cerr << "acceltran sweep: waiting for Slurm job " << job << "; Ctrl-C stops waiting, not the job (`scancel "
              << job << "` does); then `acceltran sweep --collect " << dir << "`\n";
    submitter.wait(job);
    const Totals t = collect(dir, plot);
    if (t.missing > 0) {
        std::cerr << "acceltran sweep: Slurm job " << job << " ended with " << t.missing << " points not run; see "
                  << dir << "/slurm/task-" << job << "_*.out\n";
        return int(ExitCode::simulation_error);
    }
    return t.ok == 0 && t.failed > 0 ? int(ExitCode::simulation_error) : 0;
}

}  // namespace acceltran::cli
