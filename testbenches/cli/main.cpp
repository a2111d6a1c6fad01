// The acceltran command: a thin dispatcher over the subcommands. Debian's libsystemc calls
// sc_main from its own main(), so this is the program's entry point.
#include <cstdlib>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include <systemc>

#include "modules/builtin_models.h"
#include "core/build_info.h"
#include "core/errors.h"
#include "testbenches/cli/commands.h"
#include "testbenches/cli/interrupt_watch.h"

namespace {

// Debian's libsystemc has main() print a banner before calling sc_main unless this variable is
// set; static initialisers of the executable run before that main, so set it here.
const bool kQuietKernel = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0) == 0;

const char* kCommandsUsage =
    "usage: acceltran <command> [options]\n"
    "\n"
    "AccelTran-SC: a SystemC/TLM-2.0 model of transformer accelerators (AccelTran; Gemmini-style, docs/gemmini.md).\n"
    "\n"
    "commands:\n"
    "  run       simulate a model on an accelerator design point; writes a run directory\n"
    "  analyze   FLOPs, bytes and arithmetic intensity per operator of a model\n"
    "  validate  check an accelerator config and/or a model file without simulating\n"
    "  list      the shipped models and accelerator design points\n"
    "  sweep     run a design space (every local core or a Slurm job array); Pareto front\n"
    "  sparsity  functional runs over DynaTran thresholds and/or top-k k: sparsity, MACs, energy, error\n"
    "  import    write a Hugging Face config or FlexiBERT dict as an editable model YAML\n"
    "  rerun     run again what a run directory's summary.json recorded (its provenance)\n"
    "  diff      compare two run directories: configuration, summary figures, per op\n"
    "  report    a run directory's per-op table (ops.csv), grouped by op, layer or kind\n"
    "  map       search each op's mappings with the analytic cost model; writes mapping.yaml\n"
    "\n"
    "options:\n"
    "  -h, --help     this help; `acceltran <command> --help` for a command's options\n"
    "  --version      print the version\n"
    "\n"
    "exit codes: 0 success, 1 simulation error, 2 usage error, 3 input error, 130/143 interrupted (SIGINT/SIGTERM)\n";

}  // namespace

int sc_main(int argc, char* argv[]) {
    using acceltran::ExitCode;
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::cerr << kCommandsUsage;
        return int(ExitCode::usage_error);
    }
    std::string command = args.front();
    args.erase(args.begin());
    // `acceltran help run` printed the list of commands, dropping 'run': it is `acceltran run --help`.
    if (command == "help" && !args.empty()) {
        command = args.front();
        args.front() = "--help";
    }
    acceltran::register_builtin_models();
    try {
        if (command == "-h" || command == "--help" || command == "help") {
            std::cout << kCommandsUsage;
            return 0;
        }
        if (command == "--version") {
            // The commit names the sources this binary was built from (as summary.json's
            // provenance does), so that a measurement of a copied binary can say which it was.
            std::cout << "acceltran " << ACCELTRAN_VERSION << " (commit " << acceltran::build_commit() << ", SystemC "
                      << sc_core::sc_release() << ")\n";
            return 0;
        }
        if (command == "run") return acceltran::cli::run_command(args);
        if (command == "analyze") return acceltran::cli::analyze_command(args);
        if (command == "validate") return acceltran::cli::validate_command(args);
        if (command == "list") return acceltran::cli::list_command(args);
        if (command == "sweep") return acceltran::cli::sweep_command(args);
        if (command == "sparsity") return acceltran::cli::sparsity_command(args);
        if (command == "import") return acceltran::cli::import_command(args);
        if (command == "rerun") return acceltran::cli::rerun_command(args);
        if (command == "diff") return acceltran::cli::diff_command(args);
        if (command == "report") return acceltran::cli::report_command(args);
        if (command == "map") return acceltran::cli::map_command(args);
        std::cerr << "acceltran: unknown command '" << command << "'\n\n" << kCommandsUsage;
        return int(ExitCode::usage_error);
    } catch (const acceltran::UsageError& e) {
        std::cerr << "acceltran " << command << ": " << e.what() << "\n";
        return int(ExitCode::usage_error);
    } catch (const acceltran::InputError& e) {
        std::cerr << "acceltran " << command << ": error: " << e.what() << "\n";
        return int(ExitCode::input_error);
    } catch (const acceltran::SimulationError& e) {
        std::cerr << "acceltran " << command << ": simulation error: " << e.what() << "\n";
        return int(ExitCode::simulation_error);
    } catch (const acceltran::cli::RunInterrupted& e) {
        std::cerr << "acceltran " << command << ": " << e.what() << "\n";
        return 128 + e.signal();
    } catch (const std::bad_alloc&) {
        std::cerr << "acceltran " << command << ": simulation error: out of memory (docs/robustness.md, Memory)\n";
        return int(ExitCode::simulation_error);
    } catch (const std::exception& e) {
        std::cerr << "acceltran " << command << ": internal error: " << e.what() << "\n";
        return int(ExitCode::simulation_error);
    }
}
