"""Campaign overhead: how busy a campaign of 2 s scenarios keeps the allowed CPUs, and what each scenario costs
beyond its 2 s, run locally and through a Dask LocalCluster (started before the clock; one worker advertising
every allowed CPU), both timed around the whole `python -m harness campaign run` command as a user runs it.

  busy     = CPU time (user+sys, rusage of each soak's process tree) / (wall x CPUs)   target >= 0.9
  occupied = CPU-seconds held by running soak subprocesses / (wall x CPUs)
  overhead = wall per scenario slot - 2 s (slots: scenarios running at once)        target < 0.5 s
             (the command's one-off start-up and closing summary spread over the scenarios), and
  steady   = the same from the first run's start to the last one's end (the cost every further scenario adds)
  dask overhead = (dask wall - local wall) per scenario slot                        target < 0.5 s

    python -m pytest bench/test_campaign_overhead.py --benchmark-only -s
"""

from __future__ import annotations

import datetime
import os
import sqlite3
import subprocess
import sys
import time

from harness.soak.parse import allowed_cpus

DURATION_S = 2.0
NCPUS = len(allowed_cpus())
WORKERS = 2 if NCPUS >= 2 else 1             # 1 reader + 1 writer where the machine allows
SLOTS = NCPUS // WORKERS
SCENARIOS = 5 * SLOTS

CLUSTER = """
import os, sys
from distributed import LocalCluster
n = len(os.sched_getaffinity(0))
with LocalCluster(n_workers=1, threads_per_worker=n, processes=True, resources={"CPU": n},
                  dashboard_address=None, silence_logs=40) as cluster:
    print(cluster.scheduler_address, flush=True)
    sys.stdin.read()
"""


def timed_campaign(tmp_path, name: str, *extra: str) -> dict[str, float]:
    (tmp_path / f"{name}.toml").write_text(
        f"replicas = {SCENARIOS}\n[matrix]\nscheme = 'rcu-typesafe'\nreaders = 1\nwriters = {WORKERS - 1}\n"
        f"duration = '{DURATION_S}s'\n")
    out = tmp_path / name
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "harness", "campaign", "run", str(tmp_path / f"{name}.toml"),
                        "--out", str(out), *extra], capture_output=True, text=True)
    wall = time.monotonic() - t0
    assert p.returncode == 0, p.stdout + p.stderr
    rows = sqlite3.connect(out / "index.sqlite").execute("select seconds, cpu_s, run_time_s, started from runs")\
        .fetchall()
    assert len(rows) == SCENARIOS
    starts = [datetime.datetime.fromisoformat(r[3]).timestamp() for r in rows]
    span = max(t + r[0] for t, r in zip(starts, rows)) - min(starts)
    return {"wall_s": wall, "busy": sum(r[1] for r in rows) / (wall * NCPUS),
            "occupied": sum(r[0] * WORKERS for r in rows) / (wall * NCPUS),
            "overhead_s": wall * SLOTS / SCENARIOS - DURATION_S,
            "steady_overhead_s": span * SLOTS / SCENARIOS - DURATION_S,
            "soak_startup_s": sum(r[0] - r[2] for r in rows) / SCENARIOS}


def test_campaign_overhead(benchmark, tmp_path):
    local = benchmark.pedantic(timed_campaign, args=(tmp_path, "local"), rounds=1, iterations=1)
    cluster = subprocess.Popen([sys.executable, "-c", CLUSTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        dask = timed_campaign(tmp_path, "dask", "--scheduler", cluster.stdout.readline().strip())
    finally:
        cluster.stdin.close()
        cluster.wait(timeout=60)
    dask_overhead = (dask["wall_s"] - local["wall_s"]) * SLOTS / SCENARIOS
    benchmark.extra_info.update({"local": local, "dask": dask, "dask_overhead_s": dask_overhead})
    print(f"\ncampaign of {SCENARIOS} x {DURATION_S:g} s scenarios ({WORKERS} CPUs each, {SLOTS} at once) on "
          f"{NCPUS} CPUs, load average {os.getloadavg()[0]:.2f}")
    for name, f in (("local", local), ("dask", dask)):
        print(f"{name:6s} wall {f['wall_s']:.2f} s  busy {f['busy']:.3f}  occupied {f['occupied']:.3f}  "
              f"overhead/scenario {f['overhead_s']:.3f} s, steady {f['steady_overhead_s']:.3f} s (of which the "
              f"soak's own start and stop {f['soak_startup_s']:.3f} s)")
    print(f"dask over local: {dask_overhead:.3f} s per scenario")
    assert local["occupied"] <= 1.0 + 1e-6 and dask["occupied"] <= 1.0 + 1e-6   # packing never oversubscribes
