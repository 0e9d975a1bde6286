"""One mutant's kill-rate benchmark (bench/test_mutant_detection.py, bench/test_weak_memory.py): a fresh
torture run per seed, timed whole by pytest-benchmark, with what each run caught filed in the summary."""

from __future__ import annotations

import statistics
from pathlib import Path

import harness
from harness.build.userscheme import load_scheme_file
from support.mutants import MUTANTS, MUTANTS_DIR, RUN_TIMEOUT_S, duration_for, mutant_config, run_timeout


def kill_rate(benchmark, name: str, bench_opts, bench_results) -> None:  # type: ignore[no-untyped-def]
    kind, extra = MUTANTS[name]
    load_scheme_file(MUTANTS_DIR / name)   # compile here, not inside the first timed round
    seeds = iter(range(1, bench_opts.seeds + 1))
    runs: dict[int, dict[str, object]] = {}

    def one_run(seed: int) -> None:
        with run_timeout(RUN_TIMEOUT_S):
            rep = harness.run(mutant_config(name, seed)).report
        caught = rep["violations_by_kind"].get(kind, 0) > 0 and rep["verdict"] == "FAILURE"
        t = rep["first_violation_s"]
        if caught and t is None:   # a hang the engine reported without a time: the run's length
            t = rep.get("run_time_s")
        runs[seed] = {"caught": caught, "t": t, "first_kind": (rep["first_violation"] or {}).get("kind"),
                      "found": {k: v for k, v in rep["violations_by_kind"].items() if v}}

    benchmark.group = "mutation kill rate"
    benchmark.pedantic(one_run, setup=lambda: ((next(seeds),), {}), rounds=bench_opts.seeds, iterations=1)
    times = [r["t"] for r in runs.values() if r["caught"] and r["t"] is not None]
    info = {
        "mutant": Path(name).stem, "file": name, "must_raise": kind, "config": extra,
        "duration_s": duration_for(kind), "seeds": list(runs),
        "caught_by_seed": [r["caught"] for r in runs.values()],
        "caught": sum(bool(r["caught"]) for r in runs.values()),
        "killed": all(r["caught"] for r in runs.values()) and bool(runs),
        "first_violation_s": [r["t"] for r in runs.values()],
        "first_kind": [r["first_kind"] for r in runs.values()],
        "found": [r["found"] for r in runs.values()],
        "median_s": statistics.median(times) if times else None,
        "worst_s": max(times, default=None),
    }
    benchmark.extra_info.update(info)
    bench_results.add("mutants", info)
