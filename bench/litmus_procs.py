"""The weak-memory litmus shapes run by real processes pinned to real cores (h_litmus_weak_run_procs):
`python bench/litmus_procs.py [TRIALS]` prints each shape's outcome count with the emulation on and off.
Three-thread shapes run a tenth of the trials (three processes share two CPUs here)."""

import os
import sys

from harness.core import BUILTIN

lib, ffi = BUILTIN.lib, BUILTIN.ffi
trials = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
cpus = sorted(os.sched_getaffinity(0))
names = [ffi.string(lib.h_litmus_weak_name(i)).decode() for i in range(lib.h_litmus_weak_count())]
print(f"{'shape':52s} {'trials':>9s} {'weak':>9s} {'native':>9s}   ({len(cpus)} CPUs: {cpus})")
for i, name in enumerate(names):
    n = trials // 10 if name.startswith(("WRC", "ISA2")) else trials
    weak, native = (lib.h_litmus_weak_run_procs(i, n, 1, w, ffi.new("int[]", cpus), len(cpus), 0) for w in (1, 0))
    print(f"{name:52s} {n:9d} {weak:9d} {native:9d}")
