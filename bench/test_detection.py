"""Detection speed, the harness's throughput at its real job: time to the first violation for each busted
scheme, one fresh torture run per seed (rounds = seeds), with the race amplifiers off and on. pytest-benchmark
times each whole run (start-up, run until the first violation, tear-down); `first_violation_s` is the time
from the start of the run to the first violation as the engine saw it."""

from __future__ import annotations

import statistics

import pytest

import harness

BUSTED = [s.name for s in harness.schemes() if s.busted]
# Each race amplifier alone, none, and all of them; shuffle and stutter at periods short enough to act
# within a run that lasts milliseconds (their soak defaults, 3 s and 5 s, would never fire here).
_QUIET = {"read_delay": [0, 0], "writer_delay": 0, "shuffle": 0.0, "stutter": [0.0, 0.0]}
_SHUFFLE = {"shuffle": 0.01}
_STUTTER = {"stutter": [0.02, 0.005]}
AMPLIFIERS = {
    "none": _QUIET,
    "delays": {**_QUIET, "read_delay": None, "writer_delay": None},   # None: torture defaults
    "shuffle": {**_QUIET, **_SHUFFLE},
    "stutter": {**_QUIET, **_STUTTER},
    "all": {**_SHUFFLE, **_STUTTER},
}
CAP_S = 2.0   # a run that has not caught the bug by then counts as missed


# the default: no amplifier against all of them; each alone with --bench-full-matrix
@pytest.mark.parametrize("amplifiers", [a if a in ("none", "all") else pytest.param(a, marks=pytest.mark.full_matrix)
                                        for a in AMPLIFIERS])
@pytest.mark.parametrize("scheme", BUSTED)
def test_time_to_first_violation(benchmark, scheme, amplifiers, bench_opts, bench_results):
    seeds = iter(range(1, bench_opts.seeds + 1))
    found: dict[int, float | None] = {}

    def one_run(seed: int) -> None:
        r = harness.run(harness.Config(scheme=scheme, duration=CAP_S, seed=seed, until_violation=True,
                                       **AMPLIFIERS[amplifiers]))
        found[seed] = r.report["first_violation_s"]

    benchmark.group = f"detection amplifiers={amplifiers}"
    benchmark.pedantic(one_run, setup=lambda: ((next(seeds),), {}), rounds=bench_opts.seeds, iterations=1)
    caught = [t for t in found.values() if t is not None]
    info = {"scheme": scheme, "amplifiers": amplifiers, "seeds": list(found), "first_violation_s": list(found.values()),
            "caught": len(caught), "cap_s": CAP_S, "median_s": statistics.median(caught) if caught else None,
            "max_s": max(caught, default=None)}
    benchmark.extra_info.update(info)
    bench_results.add("detection", info)
