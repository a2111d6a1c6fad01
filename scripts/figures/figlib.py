"""Shared code of the figure scripts in scripts/figures/ (docs/validation.md).

Every figure script reproduces one study of the AccelTran paper's evaluation by running
`acceltran run` on a set of design points, in parallel, and writes <name>.csv and <name>.png
into an output directory. This module holds what they have in common:

  - the command line every script accepts (--out, --reduced, --binary, --jobs, --keep-runs);
  - running `acceltran run` points in parallel, each into its own run directory, and reading
    the summary.json of each;
  - `acceltran analyze --json` for the analytic counts;
  - atomic writes (a temporary name in the output directory, then a rename), so an interrupted
    script never leaves a half-written CSV or PNG that looks whole.

The scripts run under Debian's /usr/bin/python3 (python3-matplotlib, python3-numpy).
"""

import argparse
import concurrent.futures
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO / "build" / "bin" / "acceltran"
DEFAULT_OUT = REPO / "results" / "figures"
EXIT_FAILURE, EXIT_USAGE, EXIT_INPUT = 1, 2, 3


class FigureError(Exception):
    """A failure that ends the script with a message and an exit code."""

    def __init__(self, message, code=EXIT_FAILURE):
        super().__init__(message)
        self.code = code


def default_jobs():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def parser(name, description):
    """The command line shared by every figure script; `description` is the script's docstring."""
    p = argparse.ArgumentParser(
        prog=f"scripts/figures/{name}",
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            f"Writes OUT/{name}.csv and OUT/{name}.png (each to a temporary name, then renamed) and "
            "prints their paths. Exit codes: 0 success; 1 a simulation or plotting failure; "
            "2 usage error; 3 the acceltran binary is missing (build it with scripts/setup)."
        ),
    )
    p.add_argument("--out", metavar="DIR", default=str(DEFAULT_OUT),
                   help=f"output directory, created if missing (default: {DEFAULT_OUT.relative_to(REPO)}/)")
    p.add_argument("--reduced", action="store_true",
                   help="a small, fast version of the study (for the test suite): fewer points, shorter sequences")
    p.add_argument("--binary", metavar="PATH", default=str(DEFAULT_BINARY),
                   help=f"the acceltran binary (default: {DEFAULT_BINARY.relative_to(REPO)})")
    p.add_argument("--jobs", metavar="N", type=int, default=default_jobs(),
                   help="acceltran runs at once (default: the cores this process may use, %(default)s here)")
    p.add_argument("--keep-runs", action="store_true",
                   help="keep every point's run directory under OUT/runs/<name>/ (default: delete them)")
    return p


def parse(p, argv=None):
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error("--jobs must be at least 1")
    args.binary = os.path.abspath(args.binary)
    if not (os.path.isfile(args.binary) and os.access(args.binary, os.X_OK)):
        raise FigureError(
            f"acceltran binary not found or not executable: {args.binary}\n"
            "build it with scripts/setup (or scripts/run), or pass --binary PATH", EXIT_INPUT)
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        p.error(f"cannot create output directory {args.out}: {e}")
    if not os.path.isdir(args.out):
        p.error(f"--out {args.out} is not a directory")
    return args


def main(run):
    """Calls run() and turns FigureError (and Ctrl-C) into a message and an exit code."""
    try:
        run()
    except FigureError as e:
        print(f"{Path(sys.argv[0]).name}: error: {e}", file=sys.stderr)
        sys.exit(e.code)
    except KeyboardInterrupt:
        print(f"{Path(sys.argv[0]).name}: interrupted", file=sys.stderr)
        sys.exit(130)


def child_env():
    env = dict(os.environ)
    env["SYSTEMC_DISABLE_COPYRIGHT_MESSAGE"] = "1"
    return env


class Point:
    """One `acceltran run`: a label (the CSV's identifying columns) and the run's arguments."""

    def __init__(self, label, model, accel, seq=128, batch=4, sets=(), detail="fast", extra=()):
        self.label = dict(label)
        self.model, self.accel, self.seq, self.batch = model, accel, seq, batch
        self.sets = list(sets)
        self.detail = detail
        self.extra = list(extra)
        self.summary = None
        self.read_files = []  # other files of the run directory to keep, by name (ops.csv, ...)
        self.files = {}

    def argv(self, binary, out):
        a = [binary, "run", "--model", self.model, "--accel", self.accel, "--seq", str(self.seq),
             "--batch", str(self.batch), "--detail", self.detail, "--out", out, "--force", "--quiet",
             "--no-progress"]
        for s in self.sets:
            a += ["--set", s]
        return a + self.extra


def run_points(args, name, points):
    """Runs every point (args.jobs at once); sets point.summary to its summary.json."""
    base = os.path.join(args.out, "runs", name) if args.keep_runs else tempfile.mkdtemp(prefix=f".{name}-runs-",
                                                                                         dir=args.out)
    os.makedirs(base, exist_ok=True)
    jobs = min(args.jobs, len(points))
    print(f"{name}: {len(points)} acceltran runs on {jobs} process{'es' if jobs != 1 else ''}", flush=True)
    start = time.monotonic()

    def one(index):
        p = points[index]
        out = os.path.join(base, f"p{index:03d}")
        cmd = p.argv(args.binary, out)
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(),
                           stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise FigureError(f"point {p.label} failed (exit {r.returncode}): {' '.join(cmd)}\n"
                              f"{(r.stderr or r.stdout).strip()}")
        with open(os.path.join(out, "summary.json")) as f:
            p.summary = json.load(f)
        for name in p.read_files:
            with open(os.path.join(out, name)) as f:
                p.files[name] = f.read()

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            for future in [pool.submit(one, i) for i in range(len(points))]:
                future.result()
    finally:
        if not args.keep_runs:
            shutil.rmtree(base, ignore_errors=True)
    print(f"{name}: done in {time.monotonic() - start:.1f} s", flush=True)
    return points


def get(summary, path):
    """summary['a']['b'] for path 'a.b'."""
    v = summary
    for k in path.split("."):
        v = v[k]
    return v


def analyze(args, model, seq, batch, bytes_per_element=1.0, extra=()):
    """`acceltran analyze --json`: per-operator FLOPs and bytes (`extra`: more arguments)."""
    cmd = [args.binary, "analyze", "--model", model, "--seq", str(seq), "--batch", str(batch),
           "--bytes-per-element", repr(bytes_per_element), "--json"] + list(extra)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(),
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise FigureError(f"{' '.join(cmd)} failed (exit {r.returncode}): {r.stderr.strip()}")
    return json.loads(r.stdout)


def _atomic(path, write):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=d)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    print(path, flush=True)


def fmt(v):
    if isinstance(v, float):
        return f"{v:.9g}"
    return "" if v is None else str(v)


def write_csv(path, columns, rows):
    """rows: dicts keyed by the columns; floats with 9 significant digits."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([fmt(r.get(c)) for c in columns])

    def write(tmp):
        with open(tmp, "w") as f:
            f.write(buf.getvalue())

    _atomic(path, write)


def pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise FigureError(f"matplotlib is missing ({e}): run the scripts with Debian's /usr/bin/python3 "
                          "(apt-get install python3-matplotlib)")
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "font.size": 9})
    return plt


def save_png(fig, path):
    plt = pyplot()
    _atomic(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight"))
    plt.close(fig)


def outputs(args, name):
    return os.path.join(args.out, f"{name}.csv"), os.path.join(args.out, f"{name}.png")
