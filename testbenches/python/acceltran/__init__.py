"""AccelTran-SC from Python (docs/python.md).

    import acceltran
    r = acceltran.run(model="bert-tiny", accel="acceltran-edge", seq=128, batch=4,
                      overrides={"pe.count": 128})
    r.cycles, r.energy_j, r.timeline["power_w_total"], r.op_table

run() simulates one point (in a forked child process: SystemC elaborates once per process),
analyze() gives the analytic FLOP and byte counts, sweep() runs a design space with the acceltran
binary built alongside this module, and load() reads a run directory written by `acceltran run`.
"""
import collections.abc
import csv
import io
import json
import numbers
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


def _csv_rows(csv_text, origin):
    """The header and the rows of a CSV text, each row as long as the header; ValueError naming
    `origin` and the line otherwise (a file cut short or edited by hand, given to load())."""
    rows = list(csv.reader(io.StringIO(csv_text)))
    if not rows:
        return [], []
    header = rows[0]
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ValueError("%s: line %d: expected %d comma-separated fields as the header has, found %d"
                             % (origin, line, len(header), len(row)))
    return header, rows[1:]


def _timeline_columns(csv_text, origin="timeline.csv"):
    """timeline.csv's columns by name (docs/outputs.md), each a numpy array (or a list)."""
    header, body = _csv_rows(csv_text, origin)
    columns = {}
    for i, name in enumerate(header):
        values = []
        for line, row in enumerate(body, start=2):
            try:
                values.append(float(row[i]))
            except ValueError:
                raise ValueError("%s: line %d, column '%s': expected a number, found %r" % (origin, line, name, row[i])) \
                    from None
        columns[name] = _column(values)
    return columns


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

    def __init__(self, summary, timeline_csv, ops_csv="", origin=""):
        self.summary = summary
        self.timeline = _timeline_columns(timeline_csv, os.path.join(origin, "timeline.csv"))
        header, rows = _csv_rows(ops_csv, os.path.join(origin, "ops.csv"))
        self.op_table = [{key: _number(value) for key, value in zip(header, row)} for row in rows]
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


# The compiled part takes C ints and UTF-8 strings; what does not fit is refused here, naming
# the argument, rather than by pybind11's "incompatible function arguments" (which names none
# and shows the private signature). Values are still checked by the C++ side, as the CLI checks.
_INT_MIN, _INT_MAX = -2 ** 31, 2 ** 31 - 1


def _integer(name, value, optional=False):
    if value is None and optional:
        return None
    # bool is an int in Python, but True for a sequence length is a mistake, not a 1.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError("%s must be an int%s, got %s" % (name, " or None" if optional else "", type(value).__name__))
    value = int(value)
    if not _INT_MIN <= value <= _INT_MAX:
        raise ValueError("%s must be from %d to %d, got %d" % (name, _INT_MIN, _INT_MAX, value))
    return value


def _text(name, value, path=False):
    """A str argument (for a file, a path-like or bytes too) as the compiled part takes it."""
    if path and isinstance(value, (os.PathLike, bytes)):
        value = os.fspath(value)
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise TypeError("%s must be a str%s, got %s" % (name, " or a path" if path else "", type(value).__name__))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        if not path:
            raise ValueError("%s must be text that can be written in UTF-8, got %r" % (name, value)) from None
        return os.fsencode(value)  # a file name of bytes that are not UTF-8: its bytes
    return value


def _override_arguments(overrides):
    """{"pe.count": 128} -> ["pe.count=128"], as `--set key=value`; booleans as true/false."""
    if overrides is None:
        return []
    if not isinstance(overrides, collections.abc.Mapping):
        raise TypeError("overrides must be a dict of accelerator keys, such as {\"pe.count\": 128}, got %s"
                        % type(overrides).__name__)
    texts = []
    for key, value in overrides.items():
        if not isinstance(key, str) or not key or "=" in key:
            raise (TypeError if not isinstance(key, str) else ValueError)(
                "overrides: a key must be an accelerator key such as \"pe.count\" (a non-empty str without '='), "
                "got %r" % (key,))
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif not isinstance(value, (str, numbers.Real)):
            raise TypeError("overrides[%r] must be a number, a str or a bool, got %s" % (key, type(value).__name__))
        texts.append(_text("overrides[%r]" % key, "%s=%s" % (key, value)))
    return texts


def _layer_count(simulated_layers):
    # -1 is the C++ side's "auto" (RunSettings::simulated_layers); a count is checked there.
    if simulated_layers == "auto":
        return -1
    if (isinstance(simulated_layers, bool) or not isinstance(simulated_layers, int) or simulated_layers < 0
            or simulated_layers > _INT_MAX):
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
    text = _acceltran.run(_text("model", model, path=True), _text("accel", accel, path=True), _integer("seq", seq),
                          _integer("batch", batch), _integer("prompt_len", prompt_len, optional=True),
                          _integer("gen_len", gen_len, optional=True), _text("detail", detail),
                          _override_arguments(overrides), _integer("simulated_steps", simulated_steps),
                          _layer_count(simulated_layers), "" if mapping is None else _text("mapping", mapping, path=True))
    reply = json.loads(text)
    for message in reply.get("warnings", []):
        warnings.warn(message, stacklevel=2)
    return Result(reply["summary"], reply["timeline_csv"], reply["ops_csv"])


def analyze(model, seq=128, batch=4, prompt_len=None, gen_len=None, lm_head=True, bytes_per_element=1.0):
    """The `acceltran analyze --json` document as a dict: total, categories, operators (FLOPs,
    bytes, intensity per op) and, for a decoder's generation, phases."""
    if not isinstance(lm_head, bool):
        raise TypeError("lm_head must be True or False, got %s" % type(lm_head).__name__)
    if isinstance(bytes_per_element, bool) or not isinstance(bytes_per_element, numbers.Real):
        raise TypeError("bytes_per_element must be a number, got %s" % type(bytes_per_element).__name__)
    return json.loads(_acceltran.analyze(_text("model", model, path=True), _integer("seq", seq), _integer("batch", batch),
                                         _integer("prompt_len", prompt_len, optional=True),
                                         _integer("gen_len", gen_len, optional=True), lm_head, float(bytes_per_element)))


def _run_file_text(directory, name, required=False):
    """The text of a run directory's file; "" when an optional one is absent. Only regular files
    are opened: a FIFO would block load() for ever and a device never end."""
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        if required:
            raise FileNotFoundError("%s: no such file; expected a run directory written by `acceltran run --out DIR`"
                                    % path)
        return ""
    if not os.path.isfile(path):
        raise ValueError("%s: expected a file written by `acceltran run`, found %s"
                         % (path, "a directory" if os.path.isdir(path) else "a device, FIFO or socket"))
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError as e:
        raise ValueError("%s: byte %d is not UTF-8 text; expected the file `acceltran run` writes" % (path, e.start)) \
            from None


# The summary.json entries a Result reads, with the JSON type each must have.
_SUMMARY_ENTRIES = {"cycles": numbers.Real, "seconds": numbers.Real, "energy_j": numbers.Real, "power_w": dict,
                    "model": dict, "accelerator": dict}


def _loaded_summary(directory):
    path = os.path.join(directory, "summary.json")
    try:
        summary = json.loads(_run_file_text(directory, "summary.json", required=True))
    except json.JSONDecodeError as e:
        raise ValueError("%s: line %d, column %d: %s; expected the summary.json `acceltran run` writes"
                         % (path, e.lineno, e.colno, e.msg)) from None
    if not isinstance(summary, dict):
        raise ValueError("%s: expected a JSON object, found %s" % (path, type(summary).__name__))
    for key, kind in _SUMMARY_ENTRIES.items():
        if not isinstance(summary.get(key), kind) or isinstance(summary.get(key), bool):
            raise ValueError("%s: expected '%s', a %s, found %s" % (
                path, key, "number" if kind is numbers.Real else "JSON object",
                "no such key" if key not in summary else type(summary[key]).__name__))
    for key in ("op_kinds", "op_classes"):
        table = summary.get(key, {})
        if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
            raise ValueError("%s: expected '%s' to be a JSON object of objects" % (path, key))
    return summary


def load(directory):
    """A Result from a run directory written by `acceltran run --out DIR` (summary.json,
    timeline.csv and ops.csv; a file the directory lacks gives an empty table). ValueError names
    the file and the place for a file that is not what `acceltran run` writes."""
    directory = os.fspath(directory)
    summary = _loaded_summary(directory)
    return Result(summary, _run_file_text(directory, "timeline.csv"), _run_file_text(directory, "ops.csv"), directory)


def sweep(space, out, jobs=None, sample=None, seed=None, plot=False):
    """Runs the design space `space` (a file, configs/design-spaces/*.yaml) into the sweep
    directory `out` with `acceltran sweep` (docs/sweeps.md) and returns results.csv's rows as
    dicts (numbers as floats). Points already done in `out` are kept, as the CLI does. Raises
    ValueError for bad input and RuntimeError otherwise, with the CLI's message."""
    space, out = os.fsdecode(_text("space", space, path=True)), os.fsdecode(_text("out", out, path=True))
    command = [binary, "sweep", "--space", space, "--out", out, "--progress", "off"]
    for name, value in (("jobs", jobs), ("sample", sample), ("seed", seed)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError("%s must be an int or None, got %s" % (name, type(value).__name__))
        command += ["--" + name, str(int(value))]  # the command checks the range
    if not plot:
        command.append("--no-plot")
    done = subprocess.run(command, capture_output=True, text=True, errors="replace")
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
