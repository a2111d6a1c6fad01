"""AccelTran-SC from Python (docs/python.md).

    import acceltran
    r = acceltran.run(model="bert-tiny", accel="acceltran-edge", seq=128, batch=4,
                      overrides={"pe.count": 128})
    r.cycles, r.energy_j, r.timeline["power_w_total"], r.op_table

run() simulates one point (in a forked child process: SystemC elaborates once per process),
analyze() gives the analytic FLOP and byte counts, sweep() runs a design space with the acceltran
binary built alongside this module, and load() reads a run directory written by `acceltran run`.
"""
import csv
import io
import json
import os
import subprocess
import warnings

from . import _acceltran

try:
    import numpy
except ImportError:  # numpy is optional: columns are then plain lists
    numpy = None

__all__ = ["Result", "run", "analyze", "sweep", "load", "binary", "__version__"]
__version__ = _acceltran.version
binary = _acceltran.binary  # the acceltran executable built with this module (sweep() runs it)


def _column(values):
    return numpy.asarray(values, dtype=float) if numpy is not None else list(values)


def _timeline_columns(csv_text):
    """timeline.csv's columns by name (docs/outputs.md), each a numpy array (or a list)."""
    rows = list(csv.reader(io.StringIO(csv_text)))
    if not rows:
        return {}
    header, body = rows[0], rows[1:]
    return {name: _column([float(row[i]) for row in body]) for i, name in enumerate(header)}


class Result:
    """One simulated point: summary.json's figures, the per-op table, the per-op-kind table and
    the power timeline.

    summary   the whole summary.json document (a dict; docs/outputs.md)
    timeline  timeline.csv's columns by name: numpy arrays when numpy imports, else lists
    op_table  ops.csv's rows: one dict per op (op, layer, kind, critical_cycles, bytes, energy_j,
              ...), numbers as floats
    ops       one dict per op kind: kind, ops, busy_unit_cycles (summary.json's op_kinds)
    op_classes  one dict per operation class: class, cycles, share (summary.json's op_classes,
              op_classes.csv's rows)
    """

    def __init__(self, summary, timeline_csv, ops_csv=""):
        self.summary = summary
        self.timeline = _timeline_columns(timeline_csv)
        self.op_table = [{key: _number(value) for key, value in row.items()}
                         for row in csv.DictReader(io.StringIO(ops_csv))]
        self.ops = [dict(kind=kind, **figures) for kind, figures in sorted(summary.get("op_kinds", {}).items())]
        self.op_classes = [{"class": name, **figures} for name, figures in summary.get("op_classes", {}).items()]

    cycles = property(lambda self: self.summary["cycles"])
    seconds = property(lambda self: self.summary["seconds"])
    energy_j = property(lambda self: self.summary["energy_j"])
    energy_j_per_seq = property(lambda self: self.summary["energy_j_per_seq"])
    throughput_seq_per_s = property(lambda self: self.summary["throughput_seq_per_s"])
    average_power_w = property(lambda self: self.summary["power_w"]["average"])
    peak_power_w = property(lambda self: self.summary["power_w"]["peak"])
    utilization = property(lambda self: self.summary["utilization"])
    # Decoders with a generation: prefill and decode figures (docs/decoders.md); None otherwise.
    generation = property(lambda self: self.summary.get("generation"))

    @property
    def busy_cycles(self):
        """Busy unit-cycles per op kind."""
        return {row["kind"]: row["busy_unit_cycles"] for row in self.ops}

    def to_dict(self):
        """Plain data: the summary, the op tables and the timeline as lists (json.dumps-able)."""
        return {"summary": self.summary, "ops": self.ops, "op_table": self.op_table, "op_classes": self.op_classes,
                "timeline": {name: list(map(float, values)) for name, values in self.timeline.items()}}

    def __repr__(self):
        return "<acceltran.Result %s on %s: %.0f cycles, %.3g J>" % (
            self.summary.get("model", {}).get("name", "?"), self.summary.get("accelerator", {}).get("name", "?"),
            self.cycles, self.energy_j)


def _override_arguments(overrides):
    """{"pe.count": 128} -> ["pe.count=128"], as `--set key=value`; booleans as true/false."""
    texts = []
    for key, value in (overrides or {}).items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        texts.append("%s=%s" % (key, value))
    return texts


def _layer_count(simulated_layers):
    # -1 is the C++ side's "auto" (RunSettings::simulated_layers); a count is checked there.
    if simulated_layers == "auto":
        return -1
    if isinstance(simulated_layers, bool) or not isinstance(simulated_layers, int) or simulated_layers < 0:
        raise ValueError("simulated_layers must be \"auto\", 0 (every layer) or a count of at least 2, got %r"
                         % (simulated_layers,))
    return simulated_layers


def run(model="bert-tiny", accel="acceltran-edge", seq=128, batch=4, prompt_len=None, gen_len=None,
        detail="full", overrides=None, simulated_steps=16, simulated_layers="auto", mapping=None):
    """Simulates one point, as `acceltran run` with the same option names; returns a Result.

    overrides: {"pe.count": 128, ...}, each the same as `--set pe.count=128`. mapping: a mapping
    file to follow, as `--mapping FILE` (docs/mapping.md); its warnings become Python warnings.
    simulated_layers: "auto" or a count, as `--simulated-layers` (docs/model-reference.md §6b).
    Raises ValueError for bad input and RuntimeError for a failed simulation, with the CLI's
    message."""
    text = _acceltran.run(model, accel, seq, batch, prompt_len, gen_len, detail, _override_arguments(overrides),
                          simulated_steps, _layer_count(simulated_layers), "" if mapping is None else os.fspath(mapping))
    reply = json.loads(text)
    for message in reply.get("warnings", []):
        warnings.warn(message, stacklevel=2)
    return Result(reply["summary"], reply["timeline_csv"], reply["ops_csv"])


def analyze(model, seq=128, batch=4, prompt_len=None, gen_len=None, lm_head=True, bytes_per_element=1.0):
    """The `acceltran analyze --json` document as a dict: total, categories, operators (FLOPs,
    bytes, intensity per op) and, for a decoder's generation, phases."""
    return json.loads(_acceltran.analyze(model, seq, batch, prompt_len, gen_len, lm_head, bytes_per_element))


def load(directory):
    """A Result from a run directory written by `acceltran run --out DIR` (summary.json,
    timeline.csv and ops.csv; a file the directory lacks gives an empty table)."""
    with open(os.path.join(directory, "summary.json")) as f:
        summary = json.load(f)

    def text(name):
        path = os.path.join(directory, name)
        if not os.path.exists(path):
            return ""
        with open(path, newline="") as f:
            return f.read()

    return Result(summary, text("timeline.csv"), text("ops.csv"))


def sweep(space, out, jobs=None, sample=None, seed=None, plot=False):
    """Runs the design space `space` (a file, configs/design-spaces/*.yaml) into the sweep
    directory `out` with `acceltran sweep` (docs/sweeps.md) and returns results.csv's rows as
    dicts (numbers as floats). Points already done in `out` are kept, as the CLI does. Raises
    ValueError for bad input and RuntimeError otherwise, with the CLI's message."""
    command = [binary, "sweep", "--space", str(space), "--out", str(out), "--progress", "off"]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    if sample is not None:
        command += ["--sample", str(sample)]
    if seed is not None:
        command += ["--seed", str(seed)]
    if not plot:
        command.append("--no-plot")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()
        message = message[-1] if message else "acceltran sweep exited with status %d" % done.returncode
        raise (ValueError if done.returncode in (2, 3) else RuntimeError)(message)
    with open(os.path.join(str(out), "results.csv"), newline="") as f:
        return [{key: _number(value) for key, value in row.items()} for row in csv.DictReader(f)]


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return text
