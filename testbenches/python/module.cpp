// The `acceltran` Python module's compiled part, _acceltran (docs/python.md). It is a front end
// like the CLI: run() takes the CLI's run options, simulates in a forked child (SystemC
// elaborates once per process; child_process.h) and returns summary.json, timeline.csv and ops.csv as
// text; analyze() counts in a forked child too (no SystemC there, but a long count can then be
// interrupted and its memory is not the interpreter's). The package's __init__.py turns these
// into Python objects and adds sweep() and load().
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/accelerator_config.h"
#include "core/detail_level.h"
#include "core/errors.h"
#include "core/run_settings.h"
#include "modules/builtin_models.h"
#include "modules/simulation/simulation.h"
#include "testbenches/python/child_process.h"
#include "workloads/import/accelerator_import.h"
#include "workloads/import/model_import.h"
#include "workloads/analyzer.h"
#include "workloads/generation.h"
#include "workloads/graph_builder.h"
#include "workloads/model_spec.h"

namespace py = pybind11;

// Debian's libsystemc.so refers to sc_main (its main() calls it) and Python's dlopen resolves
// every symbol at load time, so the module defines and exports one (pybind11 hides symbols by
// default). It is never called: run() calls sc_start through Simulation.
extern "C" __attribute__((visibility("default"))) int sc_main(int, char*[]) { return 1; }

namespace acceltran::python {

namespace {

// Raises `type` with `message`. A message may quote a file name's bytes that are not UTF-8;
// they are decoded with replacement characters, where pybind11's own exceptions would fail to
// make a Python string of them.
[[noreturn]] void raise_python(PyObject* type, const std::string& message) {
    PyObject* text = PyUnicode_DecodeUTF8(message.data(), Py_ssize_t(message.size()), "replace");
    if (text) {
        PyErr_SetObject(type, text);
        Py_DECREF(text);
    }
    throw py::error_already_set();
}

// The message the CLI prints for the same failure, raised as ValueError for bad input (the
// CLI's exit codes 2 and 3) and RuntimeError otherwise. An interrupted run raises what the
// interruption check left pending (KeyboardInterrupt for Ctrl-C).
[[noreturn]] void raise(const std::string& command, ChildFailure::Kind kind, const std::string& message) {
    const std::string prefix = "acceltran " + command + ": ";
    switch (kind) {
        case ChildFailure::Kind::usage: raise_python(PyExc_ValueError, prefix + message);
        case ChildFailure::Kind::input: raise_python(PyExc_ValueError, prefix + "error: " + message);
        case ChildFailure::Kind::simulation: raise_python(PyExc_RuntimeError, prefix + "simulation error: " + message);
        case ChildFailure::Kind::interrupted:
            if (PyErr_Occurred()) throw py::error_already_set();
            raise_python(PyExc_KeyboardInterrupt, prefix + "interrupted");
        case ChildFailure::Kind::internal: break;
    }
    raise_python(PyExc_RuntimeError, prefix + "internal error: " + message);
}

// Runs Python's signal handlers while run() waits for its child: Ctrl-C's handler raises
// KeyboardInterrupt, which ends the wait (the exception stays set for raise()).
bool python_signal_raised() {
    py::gil_scoped_acquire locked;
    return PyErr_CheckSignals() != 0;
}

// {"summary": summary.json's object, "timeline_csv": timeline.csv's text, "ops_csv": ops.csv's
// text, "warnings": the run's warnings}, as JSON text.
std::string run(const std::string& model_arg, const std::string& accel_arg, int seq, int batch,
                std::optional<int> prompt_len, std::optional<int> gen_len, const std::string& detail,
                const std::vector<std::string>& overrides, int simulated_steps, int simulated_layers,
                const std::string& mapping) {
    auto simulate = [&]() -> nlohmann::json {
        // SystemC's banner would land in the middle of a notebook's output (the caller's setting wins).
        ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
        const std::string dir = data_dir();
        RunSettings settings;
        settings.detail = parse_detail_level(detail);
        settings.seq = seq;
        settings.batch = batch;
        settings.prompt_len = prompt_len;
        settings.gen_len = gen_len;
        settings.simulated_steps = simulated_steps;
        settings.simulated_layers = simulated_layers;
        settings.mapping = mapping;
        // Every form `acceltran run` takes (docs/models.md); the importers' notes are not shown here.
        AcceleratorConfig config = workloads::import_accelerator(accel_arg, dir + "/configs", overrides).config;
        workloads::ModelSpec model = workloads::import_model(model_arg, dir + "/workloads/models").spec;
        Simulation simulation(std::move(model), std::move(config), settings, dir + "/configs");
        const SimulationResult result = simulation.run();
        std::ostringstream timeline, ops;
        result.timeline.write_csv(timeline);
        result.ops.write_csv(ops);  // ops.csv's text, as `acceltran run` writes it
        return {{"summary", result.summary},
                {"timeline_csv", timeline.str()},
                {"ops_csv", ops.str()},
                {"warnings", simulation.warnings()}};
    };
    try {
        py::gil_scoped_release unlocked;  // the parent only waits for the child
        return ChildProcess::run(simulate, python_signal_raised).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } catch (const ChildFailure& e) {
        raise("run", e.kind(), e.what());
    }
}

void require_positive(const std::string& name, int value) {
    if (value <= 0) throw UsageError(name + " must be a positive integer, got " + std::to_string(value));
}

// The `acceltran analyze --json` document as text. Counted in a forked child as run() simulates:
// a long generation's graph (GPT-2 XL generating 1023 tokens takes most of a minute, Llama 8B
// generating 4096 several GB) can then be stopped with Ctrl-C, and running out of memory fails
// the child, not the interpreter.
std::string analyze(const std::string& model_arg, int seq, int batch, std::optional<int> prompt_len,
                    std::optional<int> gen_len, bool lm_head, double bytes_per_element) {
    auto count = [&]() -> nlohmann::json {
        if (!(bytes_per_element > 0 && bytes_per_element <= 1024))
            throw UsageError("bytes_per_element must be a number greater than 0 and at most 1024, got " +
                             std::to_string(bytes_per_element));
        workloads::ModelSpec model = workloads::import_model(model_arg, data_dir() + "/workloads/models").spec;
        // The document names the model by its file's stem, whose bytes need not be UTF-8; JSON
        // text must be (the dump would throw), so those bytes become replacement characters.
        model.name = nlohmann::json::parse(nlohmann::json(model.name).dump(-1, ' ', false,
                                                                           nlohmann::json::error_handler_t::replace))
                         .get<std::string>();
        const bool generation = prompt_len || gen_len;
        if ((generation || !lm_head) && !model.decoder())
            throw UsageError("prompt_len, gen_len and lm_head apply to decoders; '" + model.name +
                             "' is an encoder (use seq)");
        require_positive("batch", batch);
        workloads::GenerationOptions options;
        options.batch = batch;
        options.prompt_len = generation ? prompt_len.value_or(0) : seq;
        options.gen_len = generation ? gen_len.value_or(0) : 0;
        if (!generation) require_positive("seq", seq);
        if (options.prompt_len < 0 || options.gen_len < 0)
            throw UsageError("prompt_len and gen_len must be 0 or more");
        options.lm_head = lm_head;
        const workloads::OpGraph graph = model.decoder()
                                             ? workloads::build_generation_graph(model, options)
                                             : workloads::build_op_graph(model, options.prompt_len, options.batch);
        return workloads::analysis_json(graph, workloads::analyze(graph, bytes_per_element), bytes_per_element);
    };
    try {
        py::gil_scoped_release unlocked;  // the parent only waits for the child
        return ChildProcess::run(count, python_signal_raised).get<std::string>();
    } catch (const ChildFailure& e) {
        raise("analyze", e.kind(), e.what());
    }
}

}  // namespace

}  // namespace acceltran::python

PYBIND11_MODULE(_acceltran, m) {
    m.doc() = "AccelTran-SC's compiled core; use the acceltran package (docs/python.md)";
    acceltran::register_builtin_models();
    m.def("run", &acceltran::python::run, py::arg("model"), py::arg("accel"), py::arg("seq"), py::arg("batch"),
          py::arg("prompt_len"), py::arg("gen_len"), py::arg("detail"), py::arg("overrides"),
          py::arg("simulated_steps"), py::arg("simulated_layers"), py::arg("mapping"));
    m.def("analyze", &acceltran::python::analyze, py::arg("model"), py::arg("seq"), py::arg("batch"),
          py::arg("prompt_len"), py::arg("gen_len"), py::arg("lm_head"), py::arg("bytes_per_element"));
    m.def("data_dir", &acceltran::data_dir);
    m.attr("binary") = ACCELTRAN_BINARY;
    m.attr("version") = ACCELTRAN_VERSION;
}
