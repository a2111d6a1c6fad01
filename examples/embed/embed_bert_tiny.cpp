// Runs BERT-Tiny on AccelTran-Edge through the Simulation class and prints what a program would
// read from the result. Built against the installed package (CMakeLists.txt beside this file).
#include <cstdio>
#include <exception>

#include <systemc>

#include "core/accelerator_config.h"
#include "core/errors.h"
#include "core/run_settings.h"
#include "modules/builtin_models.h"
#include "modules/simulation/simulation.h"
#include "workloads/model_spec.h"

// Debian's libsystemc supplies main(), which calls sc_main.
int sc_main(int, char*[]) {
    try {
        acceltran::register_builtin_models();  // before any configuration is read
        const std::string data = acceltran::data_dir();  // shipped models and configs
        acceltran::AcceleratorConfig edge =
            acceltran::load_accelerator("acceltran-edge", data + "/configs", {});
        acceltran::workloads::ModelSpec tiny = acceltran::workloads::load_model("bert-tiny", data + "/workloads/models");

        acceltran::RunSettings settings;
        settings.seq = 128;
        settings.batch = 4;
        acceltran::Simulation simulation(std::move(tiny), std::move(edge), settings, data + "/configs");
        const acceltran::SimulationResult result = simulation.run();

        std::printf("bert-tiny on acceltran-edge: %.0f cycles, %.3f us, %.3f uJ per sequence\n",
                    result.run.cycles, result.run.seconds * 1e6,
                    result.summary["energy_j_per_seq"].get<double>() * 1e6);
        std::printf("MAC-lane utilization %.1f %%, %zu timeline samples, peak power %.3f W\n",
                    100.0 * result.run.units[0].utilization, result.timeline.samples().size(),
                    result.timeline.peak_power_w());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "embed_bert_tiny: %s\n", e.what());
        return 1;
    }
}
