"""Bad input to the acceltran module gets a Python exception of a sensible type naming the
argument or the file (docs/python.md, "Errors"), and run() ends when the caller stops it.

Run by ctest (python-test_bad_arguments) with PYTHONPATH at the built module.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

import acceltran


class ArgumentTest(unittest.TestCase):
    def test_wrong_types_name_the_argument(self):
        # pybind11 refused these with "incompatible function arguments" and the private signature.
        cases = [
            (dict(seq="128"), "seq must be an int, got str"),
            (dict(seq=128.0), "seq must be an int, got float"),
            (dict(batch=True), "batch must be an int, got bool"),  # True was a batch of 1
            (dict(prompt_len="4"), "prompt_len must be an int or None, got str"),
            (dict(model=None), "model must be a str or a path, got NoneType"),
            (dict(accel=3), "accel must be a str or a path, got int"),
            (dict(detail=None), "detail must be a str, got NoneType"),
            (dict(overrides=[("pe.count", 32)]), "overrides must be a dict of accelerator keys"),
            (dict(overrides={"pe.count": None}), "overrides['pe.count'] must be a number, a str or a bool"),
            (dict(overrides={1: 32}), "overrides: a key must be an accelerator key"),
            (dict(mapping=5), "mapping must be a str or a path, got int"),
        ]
        for kwargs, message in cases:
            with self.subTest(kwargs=kwargs):
                with self.assertRaises(TypeError) as caught:
                    acceltran.run(**kwargs)
                self.assertIn(message, str(caught.exception))
        for kwargs, message in [(dict(model=None), "model must be a str or a path"),
                                (dict(model="gpt2", lm_head="no"), "lm_head must be True or False, got str"),
                                (dict(model="bert-tiny", bytes_per_element="1"), "bytes_per_element must be a number")]:
            with self.subTest(kwargs=kwargs):
                with self.assertRaisesRegex(TypeError, message):
                    acceltran.analyze(**kwargs)
        with self.assertRaisesRegex(TypeError, "jobs must be an int or None, got str"):
            acceltran.sweep("space.yaml", "out", jobs="2")

    def test_values_out_of_range_or_ill_formed_raise_value_error_naming_the_argument(self):
        with self.assertRaisesRegex(ValueError, "seq must be from -2147483648 to 2147483647, got 1099511627776"):
            acceltran.run(seq=2 ** 40)
        with self.assertRaisesRegex(ValueError, "batch must be from"):
            acceltran.analyze("bert-tiny", batch=-2 ** 40)
        # "pe.count=5": 3 became --set pe.count=5=3, refused as pe.count's value '5=3'.
        with self.assertRaisesRegex(ValueError, "a non-empty str without '='\\), got 'pe.count=5'"):
            acceltran.run(overrides={"pe.count=5": 3})
        with self.assertRaisesRegex(ValueError, "detail must be text that can be written in UTF-8"):
            acceltran.run(detail="fa\udcffst")

    def test_a_file_name_that_is_not_utf8_runs_and_is_reported(self):
        # A file name's bytes reach the C++ side as they are (str with surrogate escapes, or
        # bytes); a message or a model name quoting them is decoded with replacement characters.
        # Before, the model name's bytes made the child's JSON answer throw, and run() raised an
        # internal error; a message quoting them made analyze() raise an empty ValueError.
        source = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        config = os.path.join(source, "tests", "data", "models", "bert-base-uncased", "config.json")
        with tempfile.TemporaryDirectory() as tmp:
            with open(config, "rb") as f:
                text = f.read()
            path = os.path.join(os.fsencode(tmp), b"m\xff.json")
            with open(path, "wb") as f:
                f.write(text)
            for given in (path, os.fsdecode(path)):
                with self.subTest(given=given):
                    r = acceltran.run(model=given, seq=16, batch=1, detail="fast")
                    self.assertEqual(r.summary["model"]["name"], "m\ufffd")
                    self.assertEqual(acceltran.analyze(given, seq=16, batch=1)["model"], "m\ufffd")
            missing = os.path.join(os.fsencode(tmp), b"x\xfe.json")
            for call in (lambda: acceltran.run(model=missing), lambda: acceltran.analyze(missing)):
                with self.assertRaisesRegex(ValueError, "x\ufffd.json: no such model file"):
                    call()


# What the interruption tests stop: BERT-Base on the server design, every layer, full detail
# (several minutes of simulation), and GPT-2 XL's counts for 1023 generated tokens (most of a
# minute); the tests stop them after a second.
_LONG_CALLS = {
    "run": 'acceltran.run(model="bert-base", accel="acceltran-server", seq=512, batch=32, simulated_layers=0)',
    "analyze": 'acceltran.analyze("gpt2-xl", prompt_len=1, gen_len=1023)',
}
_LONG_CALL = textwrap.dedent("""
    import sys, acceltran
    print("started", flush=True)
    try:
        %s
        print("finished")
    except KeyboardInterrupt:
        print("interrupted")
""")


def _children(pid):
    done = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in done.stdout.split()]


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class InterruptTest(unittest.TestCase):
    def start(self, call="run"):
        python = subprocess.Popen([sys.executable, "-c", _LONG_CALL % _LONG_CALLS[call]], stdout=subprocess.PIPE,
                                  text=True)
        self.addCleanup(python.kill)
        self.assertEqual(python.stdout.readline().strip(), "started")
        # The simulation's child process: forked once run() has started.
        deadline = time.monotonic() + 30
        while not _children(python.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        children = _children(python.pid)
        self.assertEqual(len(children), 1)
        self.addCleanup(lambda: _alive(children[0]) and os.kill(children[0], signal.SIGKILL))
        time.sleep(1)
        return python, children[0]

    def test_ctrl_c_stops_a_run_and_its_simulation(self):
        # Before, the wait for the child retried on EINTR: Ctrl-C was ignored until the run ended;
        # analyze() counted in the interpreter itself, deaf to it as long.
        for call in _LONG_CALLS:
            with self.subTest(call=call):
                python, child = self.start(call)
                python.send_signal(signal.SIGINT)
                out, _ = python.communicate(timeout=20)
                self.assertEqual(out.strip(), "interrupted")
                self.assertFalse(_alive(child))

    def test_the_simulation_ends_with_the_python_process(self):
        # Before, a killed interpreter left its simulation running to the end, for nobody.
        python, child = self.start()
        python.kill()
        python.wait(timeout=20)
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(_alive(child))


class LoadTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.summary = {"cycles": 10, "seconds": 1e-8, "energy_j": 1e-9, "power_w": {"average": 0.1, "peak": 0.2},
                        "model": {"name": "m"}, "accelerator": {"name": "a"}}

    def write(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)

    def test_files_that_are_not_a_run_directorys_are_refused_naming_the_file_and_place(self):
        summary = os.path.join(self.dir, "summary.json")
        cases = [
            ("{bad", summary + ": line 1, column 2: Expecting property name"),
            ("[1, 2]", summary + ": expected a JSON object, found list"),
            ("{}", summary + ": expected 'cycles', a number, found no such key"),
            (json.dumps(dict(self.summary, op_kinds=[1])), summary + ": expected 'op_kinds' to be a JSON object of objects"),
        ]
        for text, message in cases:
            with self.subTest(text=text):
                self.write("summary.json", text)
                with self.assertRaises(ValueError) as caught:
                    acceltran.load(self.dir)
                self.assertIn(message, str(caught.exception))
        self.write("summary.json", json.dumps(self.summary))
        timeline = os.path.join(self.dir, "timeline.csv")
        for text, message in [("a,b\n1,x\n", timeline + ": line 2, column 'b': expected a number, found 'x'"),
                              ("a,b\n1\n", timeline + ": line 2: expected 2 comma-separated fields")]:
            with self.subTest(text=text):
                self.write("timeline.csv", text)
                with self.assertRaises(ValueError) as caught:
                    acceltran.load(self.dir)
                self.assertIn(message, str(caught.exception))
        os.remove(timeline)
        self.write("ops.csv", "op,kind\nl0.q,matmul,extra\n")
        with self.assertRaisesRegex(ValueError, "ops.csv: line 2: expected 2 comma-separated fields"):
            acceltran.load(self.dir)
        os.remove(os.path.join(self.dir, "ops.csv"))
        self.assertEqual(acceltran.load(self.dir).cycles, 10)

    def test_a_fifo_is_refused_instead_of_waited_on(self):
        # open() on a FIFO without a writer blocks for ever; the alarm makes that a failure.
        self.write("summary.json", json.dumps(self.summary))
        os.mkfifo(os.path.join(self.dir, "timeline.csv"))

        def blocked(signum, frame):
            raise TimeoutError("load() blocked on the FIFO")

        previous = signal.signal(signal.SIGALRM, blocked)
        signal.alarm(10)
        try:
            with self.assertRaisesRegex(ValueError, "timeline.csv: expected a file written by `acceltran run`, found "
                                                    "a device, FIFO or socket"):
                acceltran.load(self.dir)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)


if __name__ == "__main__":
    unittest.main()
