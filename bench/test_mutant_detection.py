"""Mutation kill rate: every mutant scheme in tests/mutants/ (the table is MUTANTS in tests/test_mutants.py),
one fresh torture run per seed (rounds = --bench-seeds), on the default layout, with that test's run
configuration: until the first violation, capped at 3 s for a race mutant; 1 s then the engine's stop deadline
for a hang mutant.

A run catches its mutant when the engine reports the mutant's own kind (another kind does not count); the
mutant is killed when every seed catches it. pytest-benchmark times each whole run (build-cache hit,
start-up, run, tear-down). `first_violation_s` is the engine's time from the start of the run to the first
violation of any kind (`first_kind` says which kind that was). For a hang that time, when the engine gives
one, is when it found the worker stuck; if it gives none, the run's own length stands in for it. The time
summary (median, worst) covers the runs that caught the mutant."""

from __future__ import annotations

import importlib.util
import statistics
from pathlib import Path

import pytest

import harness

_TESTS = Path(__file__).resolve().parent.parent / "tests" / "test_mutants.py"


def _load_table():
    # By path, under a name of its own: it is also collected by pytest as tests/test_mutants.py.
    spec = importlib.util.spec_from_file_location("_harness_mutant_table", _TESTS)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


TABLE = _load_table()


# the default: the first mutant of each kind it must raise; every mutant with --bench-full-matrix
FIRST_OF_KIND = {kind: name for name, (kind, _) in reversed(list(TABLE.MUTANTS.items()))}


@pytest.mark.parametrize("name", [n if FIRST_OF_KIND[TABLE.MUTANTS[n][0]] == n else
                                  pytest.param(n, marks=pytest.mark.full_matrix) for n in TABLE.MUTANTS],
                         ids=[Path(n).stem for n in TABLE.MUTANTS])
def test_mutant_kill(benchmark, scheme_cache, name, bench_opts, bench_results):
    from harness.build.userscheme import load_scheme_file

    kind, extra = TABLE.MUTANTS[name]
    load_scheme_file(TABLE.MUTANTS_DIR / name)   # compile here, not inside the first timed round
    seeds = iter(range(1, bench_opts.seeds + 1))
    runs: dict[int, dict[str, object]] = {}

    def one_run(seed: int) -> None:
        with TABLE.run_timeout(TABLE.RUN_TIMEOUT_S):
            rep = harness.run(TABLE.mutant_config(name, seed)).report
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
        "duration_s": TABLE.duration_for(kind), "seeds": list(runs),
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
