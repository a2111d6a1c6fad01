#!/usr/bin/python3
"""BERT-Tiny on AccelTran-Edge from Python: how latency, energy and power move with the
sequence length and the number of processing elements (docs/python.md).

    PYTHONPATH=build/python /usr/bin/python3 examples/python/explore_edge.py [--plot FILE.png]

Each acceltran.run() simulates one point, as `acceltran run` would, and returns its figures."""
import argparse

import acceltran

# %% The points: a few sequence lengths and PE counts (each a fraction of a second with detail=fast).
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--plot", help="also draw power over time of the largest point into this PNG (matplotlib)")
args = parser.parse_args()

sequence_lengths = [32, 64, 128]
pe_counts = [32, 64]
results = {}
for seq in sequence_lengths:
    for pes in pe_counts:
        results[seq, pes] = acceltran.run(model="bert-tiny", accel="acceltran-edge", seq=seq, batch=4,
                                          detail="fast", overrides={"pe.count": pes})

# %% A table: latency, energy per sequence, average and peak power, and how busy main memory is
# (when it is busy all the time, more PEs cannot shorten the run).
print("%5s %4s %10s %9s %14s %7s %7s %8s" % ("seq", "PEs", "cycles", "time_us", "energy_uJ/seq", "avg_W",
                                             "peak_W", "mem_util"))
for (seq, pes), r in results.items():
    print("%5d %4d %10.0f %9.2f %14.3f %7.2f %7.2f %8.2f" % (seq, pes, r.cycles, r.seconds * 1e6,
                                                            r.energy_j_per_seq * 1e6, r.average_power_w,
                                                            r.peak_power_w, r.utilization["main_memory"]))

# %% Where the cycles of the largest point go, per op kind.
largest = results[sequence_lengths[-1], pe_counts[-1]]
print("\nbusy unit-cycles per op kind, seq=%d, %d PEs:" % (sequence_lengths[-1], pe_counts[-1]))
for row in sorted(largest.ops, key=lambda row: -row["busy_unit_cycles"]):
    print("  %-12s %6d ops %14.0f" % (row["kind"], row["ops"], row["busy_unit_cycles"]))

# %% The ops that held the critical path longest (ops.csv's rows; `acceltran report DIR` prints
# the same from a run directory).
print("\nops with the most critical-path cycles:")
for row in sorted(largest.op_table, key=lambda row: -row["critical_cycles"])[:3]:
    print("  %-12s %-8s %8.0f cycles %6.1f %%" % (row["op"], row["kind"], row["critical_cycles"],
                                                  100 * row["critical_cycles"] / largest.cycles))

# %% The power timeline of that point: one row of timeline.csv per sample period.
timeline = largest.timeline
print("\n%d timeline samples; power from %.2f W to %.2f W" % (len(timeline["power_w_total"]),
                                                              min(timeline["power_w_total"]),
                                                              max(timeline["power_w_total"])))
if args.plot:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(figsize=(7, 3))
    axes.plot(timeline["time_us"], timeline["power_w_total"], linewidth=0.8)
    axes.set_xlabel("time (us)")
    axes.set_ylabel("power (W)")
    axes.set_title("BERT-Tiny on AccelTran-Edge, seq %d, %d PEs" % (sequence_lengths[-1], pe_counts[-1]))
    figure.tight_layout()
    figure.savefig(args.plot, dpi=120)
    print("plot: " + args.plot)
