"""examples/python/explore_edge.py runs and prints its table (so the example cannot rot)."""
import os
import subprocess
import sys
import tempfile
import unittest

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "python",
                       "explore_edge.py")


class ExampleTest(unittest.TestCase):
    def test_explore_edge_runs(self):
        with tempfile.TemporaryDirectory() as tmp:
            plot = os.path.join(tmp, "power.png")
            try:
                import matplotlib  # noqa: F401 (the plot is optional in the example)
                args = ["--plot", plot]
            except ImportError:
                args = []
            done = subprocess.run([sys.executable, EXAMPLE, *args], capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            lines = done.stdout.splitlines()
            self.assertTrue(lines[0].split()[:3] == ["seq", "PEs", "cycles"], lines[0])
            # Three sequence lengths times two PE counts, each row with positive cycles.
            rows = [line.split() for line in lines[1:7]]
            self.assertEqual([(int(r[0]), int(r[1])) for r in rows],
                             [(32, 32), (32, 64), (64, 32), (64, 64), (128, 32), (128, 64)])
            self.assertTrue(all(float(r[2]) > 0 for r in rows))
            if args:
                self.assertGreater(os.path.getsize(plot), 0)


if __name__ == "__main__":
    unittest.main()
