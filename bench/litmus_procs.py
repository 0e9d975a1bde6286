"""The litmus shapes run by real processes pinned to real cores (harness.litmus), with the emulation on and
off: `python bench/litmus_procs.py [TRIALS] [SHAPE...]` prints each shape's outcome count in both modes.
Shapes with more threads than CPUs run a tenth of the trials (their processes take turns on a CPU)."""

import os
import sys

from harness.litmus.run import run
from harness.litmus.shapes import find

trials = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
cpus = sorted(os.sched_getaffinity(0))
print(f"{'shape':52s} {'LKMM':9s} {'trials':>9s} {'weak':>9s} {'native':>9s}   ({len(cpus)} CPUs: {cpus})")
for shape in find(sys.argv[2:]):
    n = trials // 10 if shape.threads > len(cpus) else trials
    weak, native = (run(shape, n, weak=w, procs=True).seen for w in (True, False))
    print(f"{shape.name:52s} {shape.result:9s} {n:9d} {weak:9d} {native:9d}", flush=True)
