"""Mutation kill rate: every mutant scheme in tests/mutants/ (the table is MUTANTS in tests/support/mutants.py),
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

from pathlib import Path

import pytest

from mutant_kill import kill_rate
from support.mutants import MUTANTS

# the default: the first mutant of each kind it must raise; every mutant with --bench-full-matrix
FIRST_OF_KIND = {kind: name for name, (kind, _) in reversed(list(MUTANTS.items()))}


@pytest.mark.parametrize("name", [n if FIRST_OF_KIND[MUTANTS[n][0]] == n else
                                  pytest.param(n, marks=pytest.mark.full_matrix) for n in MUTANTS],
                         ids=[Path(n).stem for n in MUTANTS])
def test_mutant_kill(benchmark, scheme_cache, name, bench_opts, bench_results):
    kill_rate(benchmark, name, bench_opts, bench_results)
