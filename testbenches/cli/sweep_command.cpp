// `acceltran sweep`: the options and messages of a design-space sweep (docs/sweeps.md). The sweep
// itself (the directory, its points, their collection into results.csv and pareto.csv) is
// explore/sweep.h; its points run on local processes (explore/sweep_runner.h) or as a Slurm job
// array (explore/slurm_submitter.h).
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>

#include "core/directory_lock.h"
#include "core/accelerator_config.h"
#include "core/errors.h"
#include "explore/design_space.h"
#include "explore/slurm_submitter.h"
#include "explore/sweep.h"
#include "explore/sweep_runner.h"
#include "testbenches/cli/commands.h"
#include "testbenches/cli/option_parser.h"
#include "testbenches/cli/plugin_options.h"
#include "testbenches/cli/self_binary.h"

namespace acceltran::cli {

using namespace acceltran::explore;

namespace {

const char* kSweepUsage =
    "usage: acceltran sweep --space S --out DIR [--jobs N | --slurm [--partition P] [--time T] [--array-chunk K]\n"
    "                       [--no-wait]] [--sample N [--seed S]] [--plugin P]... [--no-plot] [--dry-run] [-q]\n"
    "       acceltran sweep --collect DIR [--no-plot] [-q]\n"
    "Runs each point of the design space S (configs/design-spaces/*.yaml) as its own `acceltran run`,\n"
    "on N local processes or as a Slurm job array, and writes DIR/results.csv (one row per point),\n"
    "DIR/pareto.csv (the points no other beats on every metric) and DIR/pareto.png. Points already\n"
    "done in DIR are skipped, so running the same command again resumes a sweep. --plugin loads model\n"
    "plug-ins here (so that the space can select their models) and in every point's run. See docs/sweeps.md.";

// Where the progress report goes: stdout, or nowhere with -q (warnings still go to stderr).
std::ostream& report(bool quiet) {
    static std::ostream nowhere(nullptr);
    return quiet ? nowhere : std::cout;
}

int stopped(int signal, const std::string& resume) {
    std::cerr << "acceltran sweep: stopped by " << strsignal(signal) << "; finished points are kept. To continue: "
              << resume << "\n";
    return 128 + signal;
}

int run_chunk(const std::string& dir_arg, int chunk) {
    const ChunkOutcome o = Sweep(Sweep::absolute(dir_arg)).run_chunk(self_binary(), chunk);
    std::cout << "chunk " << chunk << ": " << o.points << " points: " << o.ok << " ok, " << o.failed << " failed, "
              << o.already_done << " already done\n";
    if (o.signal) return stopped(o.signal, "resubmit the sweep");
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
        ("dry-run", "list the points (and which are done in DIR) without running anything")
        ("quiet,q", "print nothing but warnings and errors");
    add_plugin_option(desc);
    add_progress_options(desc);
    po::variables_map vm;
    if (!parse_options(args, desc, kSweepUsage, vm)) return 0;
    const bool quiet = vm.count("quiet") > 0;
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
        if (vm.count("chunk") && chunk < 0)  // not "needs --chunk", which it was given
            throw UsageError("--chunk must be 0 or more, got " + std::to_string(chunk));
        if (chunk < 0) throw UsageError("--run-chunk needs --chunk I (or $SLURM_ARRAY_TASK_ID)");
        return run_chunk(vm["run-chunk"].as<std::string>(), chunk);
    }
    if (vm.count("collect")) {
        refuse_with("collect", {"no-plot", "quiet"});
        const SweepCollection t = Sweep(Sweep::absolute(vm["collect"].as<std::string>()))
                                      .collect_and_report(!vm.count("no-plot"), report(quiet), std::cerr);
        return Sweep::exit_code(t);
    }
    if (!vm.count("space") || !vm.count("out"))
        throw UsageError("--space and --out are required (or --collect DIR; see --help)");
    const ProgressMode progress = progress_mode(vm);  // checked before the space is loaded
    const bool slurm = vm.count("slurm") > 0;
    if (slurm && vm.count("jobs")) throw UsageError("--jobs is for local sweeps; a Slurm array task runs one point at a time");
    for (const char* o : {"partition", "time", "array-chunk", "no-wait"})
        if (!slurm && vm.count(o)) throw UsageError(std::string("--") + o + " needs --slurm");
    if (vm.count("chunk")) throw UsageError("--chunk needs --run-chunk");
    // --seed has a default, so only one given explicitly can be refused; without --sample no draw uses it.
    if (!vm.count("sample") && !vm["seed"].defaulted()) throw UsageError("--seed needs --sample");
    const int jobs = vm.count("jobs") ? positive(vm, "jobs") : SweepRunner::available_cores();
    if (vm.count("array-chunk")) (void)positive(vm, "array-chunk");

    load_plugins(vm);  // before the space, whose base accelerator and values may select a plug-in's model
    const DesignSpace space = DesignSpace::load(vm["space"].as<std::string>(), data_dir());
    const std::uint64_t seed = vm["seed"].as<std::uint64_t>();
    std::optional<std::uint64_t> sample;  // none: the whole space
    if (vm.count("sample")) sample = vm["sample"].as<std::uint64_t>();
    const std::vector<DesignPoint> points = Sweep::choose_points(space, sample, seed);
    const Sweep sweep(Sweep::absolute(vm["out"].as<std::string>()));
    const std::string& dir = sweep.dir();
    if (vm.count("dry-run")) {
        std::cout << space.file() << ": " << points.size() << " of the space's " << space.size() << " points\n";
        for (const DesignPoint& p : points) {
            std::cout << p.id << "  " << space.describe(p) << (sweep.point_done(p.id) ? "  (done)" : "") << "\n";
        }
        return 0;
    }
    const DirectoryLock lock(dir, "sweep directory");  // until the points ran (or were submitted)
    const std::vector<PointRun> pending = sweep.prepare(space, points, sample, seed, plugin_arguments(vm));
    const std::size_t done_before = points.size() - pending.size();
    const bool plot = !vm.count("no-plot");
    std::string resume = "acceltran sweep";
    for (const auto& a : args)
        resume += " " + (a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=,+-") ==
                                 std::string::npos
                             ? a
                             : "'" + a + "'");

    if (!slurm) {
        std::ostream& out = report(quiet);
        out << "sweep: " << points.size() << " points of " << space.file() << " (" << done_before
            << " already done); ";
        if (pending.empty())
            out << "nothing to run\n";
        else
            out << "running " << pending.size() << " on " << std::min<std::size_t>(std::size_t(jobs), pending.size())
                      << " local processes\n";
        out << std::flush;
        const RunnerOutcome o = SweepRunner(self_binary(), jobs, progress).run(pending);
        const SweepCollection t = sweep.collect_and_report(plot && !o.signal, report(quiet), std::cerr);
        return o.signal ? stopped(o.signal, resume) : Sweep::exit_code(t);
    }

    if (pending.empty()) {
        report(quiet) << "sweep: all " << points.size() << " points are done; nothing to submit\n";
        sweep.collect_and_report(plot, report(quiet), std::cerr);
        return 0;
    }
    SlurmOptions o;
    if (vm.count("partition")) o.partition = vm["partition"].as<std::string>();
    if (vm.count("time")) o.time = vm["time"].as<std::string>();
    if (vm.count("array-chunk")) o.chunk = vm["array-chunk"].as<int>();
    o.progress = progress;
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
    const SweepCollection t = sweep.collect_and_report(plot, report(quiet), std::cerr);
    if (t.missing > 0) {
        std::cerr << "acceltran sweep: Slurm job " << job << " ended with " << t.missing << " points not run; see "
                  << dir << "/slurm/task-" << job << "_*.out\n";
        return int(ExitCode::simulation_error);
    }
    return Sweep::exit_code(t);
}

}  // namespace acceltran::cli
