"""acceltran.analyze() and acceltran.sweep() against the acceltran CLI (docs/python.md)."""
import json
import os
import subprocess
import tempfile
import unittest

import acceltran

BINARY = os.environ.get("ACCELTRAN_BINARY", acceltran.binary)


class AnalyzeTest(unittest.TestCase):
    def cli_analyze(self, *args):
        out = subprocess.run([BINARY, "analyze", "--json", *args], check=True, capture_output=True, text=True).stdout
        return json.loads(out)

    def test_encoder_equals_cli_analyze(self):
        # The same analysis_json text on both sides: the whole document is equal.
        self.assertEqual(acceltran.analyze(model="bert-tiny", seq=64, batch=2),
                         self.cli_analyze("--model", "bert-tiny", "--seq", "64", "--batch", "2"))

    def test_decoder_generation_equals_cli_analyze(self):
        py = acceltran.analyze(model="gpt2", batch=1, prompt_len=16, gen_len=4)
        self.assertEqual(py, self.cli_analyze("--model", "gpt2", "--batch", "1", "--prompt-len", "16",
                                              "--gen-len", "4"))
        self.assertGreater(py["total"]["flops"], 0)

    def test_generation_options_on_an_encoder_raise_value_error(self):
        with self.assertRaisesRegex(ValueError, "'bert-tiny' is an encoder"):
            acceltran.analyze(model="bert-tiny", gen_len=4)

    def test_onnx_graph_equals_cli_analyze(self):
        # The Python API reads an ONNX file through the same importer as the CLI (docs/models.md).
        maker = os.path.join(os.environ["ACCELTRAN_SOURCE_DIR"], "tests", "data", "onnx", "make_transformer_onnx.py")
        with tempfile.TemporaryDirectory() as tmp:
            model = os.path.join(tmp, "tiny.onnx")
            subprocess.run(["/usr/bin/python3", maker, "--kind", "encoder", "--out", model], check=True)
            py = acceltran.analyze(model=model, seq=16, batch=1)
            self.assertEqual(py, self.cli_analyze("--model", model, "--seq", "16", "--batch", "1"))
            self.assertEqual(py["model"], "tiny")

    def test_bad_model_raises_value_error(self):
        with self.assertRaisesRegex(ValueError, "^acceltran analyze: error: unknown model 'nope'"):
            acceltran.analyze(model="nope")


class SweepTest(unittest.TestCase):
    def test_small_space_returns_its_rows(self):
        with tempfile.TemporaryDirectory() as tmp:
            space = os.path.join(tmp, "space.yaml")
            with open(space, "w") as f:
                f.write("accelerator: acceltran-edge\nmodels: bert-tiny\nseq: 32\nbatch: 1\ndetail: fast\n"
                        "parameters:\n  pe.count: [32, 64]\n"
                        "metrics:\n  throughput_seq_per_s: max\n  energy_j_per_seq: min\n")
            rows = acceltran.sweep(space=space, out=os.path.join(tmp, "sweep"), jobs=2)
            self.assertEqual(sorted(row["pe.count"] for row in rows), [32, 64])
            self.assertTrue(all(row["status"] == "ok" for row in rows))
            # Each row's figures are its point's run directory's, as results.csv prints them: 9
            # significant digits, so within half a unit of the 9th digit (5e-9 relative).
            for row in rows:
                run = acceltran.load(os.path.join(tmp, "sweep", "points", row["id"]))
                self.assertAlmostEqual(row["energy_j_per_seq"] / run.energy_j_per_seq, 1.0, delta=5e-9)

    def test_missing_space_raises_value_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaisesRegex(ValueError, "no-such-space.yaml"):
                acceltran.sweep(space=os.path.join(tmp, "no-such-space.yaml"), out=os.path.join(tmp, "sweep"))


if __name__ == "__main__":
    unittest.main()
