"""acceltran.run() and acceltran.load() against the acceltran CLI (docs/python.md).

Run by ctest (python-test_run) with PYTHONPATH at the built module and ACCELTRAN_BINARY at the CLI.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

import acceltran

BINARY = os.environ.get("ACCELTRAN_BINARY", acceltran.binary)


def cli_run(out, *args):
    subprocess.run([BINARY, "run", "--quiet", "--out", out, *args], check=True, capture_output=True)
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


class RunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        # The same point both ways: BERT-Tiny on Edge with one override.
        cls.cli_dir = os.path.join(cls.tmp.name, "cli")
        cls.cli = cli_run(cls.cli_dir, "--model", "bert-tiny", "--accel", "acceltran-edge", "--seq", "64",
                          "--batch", "2", "--set", "pe.count=32")
        cls.result = acceltran.run(model="bert-tiny", accel="acceltran-edge", seq=64, batch=2,
                                   overrides={"pe.count": 32})

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_figures_equal_the_cli_run_of_the_same_point(self):
        # The same Simulation on the same input: exact equality, no tolerance.
        self.assertEqual(self.result.cycles, self.cli["cycles"])
        self.assertEqual(self.result.energy_j, self.cli["energy_j"])
        self.assertEqual(self.result.peak_power_w, self.cli["power_w"]["peak"])
        self.assertEqual(self.result.summary["accelerator"]["pe"]["count"], 32)

    def test_a_hugging_face_config_runs_like_the_built_in_model(self):
        # Every form `acceltran run --model` takes (docs/models.md), here a Hugging Face config.
        source = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        config = os.path.join(source, "tests", "data", "models", "bert-base-uncased", "config.json")
        imported = acceltran.run(model=config, seq=16, batch=1, detail="fast")
        built_in = acceltran.run(model="bert-base", seq=16, batch=1, detail="fast")
        self.assertEqual(imported.cycles, built_in.cycles)

    def test_op_table_and_timeline(self):
        self.assertEqual({row["kind"] for row in self.result.ops}, set(self.cli["op_kinds"]))
        self.assertEqual(self.result.busy_cycles["softmax"], self.cli["op_kinds"]["softmax"]["busy_unit_cycles"])
        with open(os.path.join(self.cli_dir, "timeline.csv")) as f:
            header = f.readline().strip().split(",")
            rows = sum(1 for _ in f)
        self.assertEqual(list(self.result.timeline), header)
        self.assertEqual(len(self.result.timeline["power_w_total"]), rows)
        # The periods' energies add up to the run's energy (docs/outputs.md). The columns come
        # from timeline.csv's text, 9 significant digits, each within 5e-9 relative of its value,
        # so their positive sum too; 1e-8 leaves room for the float sums' rounding.
        self.assertAlmostEqual(sum(self.result.timeline["energy_j"]) / self.result.energy_j, 1.0, delta=1e-8)

    def test_per_op_table_is_the_cli_runs_ops_csv(self):
        # The same rows, columns and numbers as the CLI's ops.csv (docs/outputs.md), and its
        # critical-path cycles partition the run (the same bound as tests/integration/test_op_table.cpp).
        with open(os.path.join(self.cli_dir, "ops.csv"), newline="") as f:
            cli_rows = list(csv.DictReader(f))
        self.assertEqual([row["op"] for row in self.result.op_table], [row["op"] for row in cli_rows])
        self.assertEqual(self.result.op_table[0]["energy_j"], float(cli_rows[0]["energy_j"]))
        critical = sum(row["critical_cycles"] for row in self.result.op_table)
        bound = (self.cli["program"]["entries"] + 2 * len(cli_rows)) * sys.float_info.epsilon * self.result.cycles
        self.assertLessEqual(abs(critical - self.result.cycles), bound)
        self.assertEqual(acceltran.load(self.cli_dir).op_table, self.result.op_table)

    def test_op_classes_are_the_cli_runs_op_classes_csv(self):
        # The same figures as op_classes.csv (docs/outputs.md), every class, shares adding up to 1
        # within one rounding per class.
        with open(os.path.join(self.cli_dir, "op_classes.csv"), newline="") as f:
            cli_rows = {row["class"]: row for row in csv.DictReader(f)}
        self.assertEqual({row["class"] for row in self.result.op_classes}, set(cli_rows))
        for row in self.result.op_classes:
            self.assertEqual(row["cycles"], float(cli_rows[row["class"]]["cycles"]))
        shares = sum(row["share"] for row in self.result.op_classes)
        self.assertLessEqual(abs(shares - 1), len(cli_rows) * sys.float_info.epsilon)
        self.assertEqual(acceltran.load(self.cli_dir).op_classes, self.result.op_classes)

    def test_to_dict_is_plain_json(self):
        d = json.loads(json.dumps(self.result.to_dict()))
        self.assertEqual(d["summary"]["cycles"], self.cli["cycles"])
        self.assertEqual(len(d["timeline"]["cycles"]), len(self.result.timeline["cycles"]))

    def test_load_gives_the_run_directorys_figures(self):
        loaded = acceltran.load(self.cli_dir)
        self.assertEqual(loaded.cycles, self.cli["cycles"])
        self.assertEqual(loaded.energy_j, self.result.energy_j)
        self.assertEqual(loaded.ops, self.result.ops)
        self.assertEqual(list(loaded.timeline["start_cycle"]), list(self.result.timeline["start_cycle"]))

    def test_runs_again_in_the_same_process(self):
        # Each run forks its own SystemC kernel, so a second (different) point runs too.
        other = acceltran.run(model="bert-tiny", seq=64, batch=2, overrides={"pe.count": 64}, detail="fast")
        self.assertLess(other.cycles, self.result.cycles)

    def test_bad_model_raises_value_error_with_the_cli_message(self):
        failed = subprocess.run([BINARY, "run", "--quiet", "--model", "no-such-model",
                                 "--out", os.path.join(self.tmp.name, "bad")], capture_output=True, text=True)
        self.assertEqual(failed.returncode, 3)
        with self.assertRaises(ValueError) as caught:
            acceltran.run(model="no-such-model")
        self.assertEqual(str(caught.exception), failed.stderr.strip())
        self.assertIn("unknown model 'no-such-model'", str(caught.exception))

    def test_layer_sample_is_passed_through_and_checked(self):
        # BERT-Mini's 4 layers, 2 simulated: the summary says so (docs/model-reference.md §6b).
        sampled = acceltran.run(model="bert-mini", seq=32, batch=1, detail="fast", simulated_layers=2)
        self.assertEqual(sampled.summary["layers"]["simulated_per_phase"], 2)
        self.assertNotIn("layers", acceltran.run(model="bert-mini", seq=32, batch=1, detail="fast").summary)
        for bad in (1, -1, "some", 2.5):
            with self.assertRaisesRegex(ValueError, "simulated"):
                acceltran.run(model="bert-mini", seq=32, batch=1, detail="fast", simulated_layers=bad)

    def test_bad_override_raises_value_error(self):
        with self.assertRaisesRegex(ValueError, "no key 'pe.no_such_key'"):
            acceltran.run(overrides={"pe.no_such_key": 1})

    def test_mapping_file_replays_and_warns_like_the_cli(self):
        # The mapping the CLI run would write, read back: the same figures (docs/mapping.md §3).
        out = os.path.join(self.tmp.name, "mapped")
        cli_run(out, "--model", "bert-tiny", "--seq", "64", "--batch", "2", "--set", "pe.count=32", "--write-mapping")
        mapping = os.path.join(out, "mapping.yaml")
        replayed = acceltran.run(model="bert-tiny", seq=64, batch=2, overrides={"pe.count": 32}, mapping=mapping)
        self.assertEqual(replayed.cycles, self.result.cycles)
        self.assertEqual(replayed.energy_j, self.result.energy_j)
        self.assertEqual(replayed.summary["provenance"]["settings"]["mapping"], mapping)
        doubtful = os.path.join(self.tmp.name, "doubtful.yaml")
        with open(doubtful, "w") as f:
            f.write("ops:\n  - op: l0.attn.q\n    double_buffering: true\n")
        with self.assertWarnsRegex(UserWarning, "doubtful.yaml:3:.*double_buffering"):
            acceltran.run(model="bert-tiny", seq=64, batch=2, detail="fast", mapping=doubtful)
        with self.assertRaisesRegex(ValueError, "unknown op 'l0.atn.q'"):
            with open(doubtful, "w") as f:
                f.write("ops:\n  - op: l0.atn.q\n")
            acceltran.run(model="bert-tiny", seq=64, batch=2, detail="fast", mapping=doubtful)

    def test_decoder_generation_figures(self):
        r = acceltran.run(model="gpt2", batch=1, prompt_len=8, gen_len=2, detail="fast")
        self.assertEqual(r.generation["gen_len"], 2)
        self.assertIsNone(self.result.generation)


if __name__ == "__main__":
    unittest.main()
