"""What `--memory-model weak` costs and what it buys (`pytest bench/test_weak_memory.py --benchmark-only`).

Cost: reader ns/op of every correct scheme (each flavor of the RCU ones), native against weak, both with the
oracles on (weak mode needs them) and the race amplifiers off: the deref workload (the emulation's share is
largest where the op is smallest), 1 reader, a steady writer. Target: >= 1 million reader ops/s per reader
in weak mode. Buys: the time to the first violation of each ordering-bug mutant (tests/mutants/weak_*.c) in
weak mode, seed by seed, timed as bench/test_mutant_detection.py times every mutant (bench/mutant_kill.py) (and filed apart, so a
session running both files counts each mutant's kill once)."""

from __future__ import annotations

from pathlib import Path

import pytest

import harness
from measure import Case, measure
from mutant_kill import kill_rate
from support.mutants import MUTANTS

CORRECT = [(s.name, rcu) for s in harness.schemes() if s.correct
           for rcu in (("qsbr", "mb", "membarrier") if s.uses_rcu else ("qsbr",))]
WEAK_MUTANTS = [n for n, (_, extra) in MUTANTS.items() if extra.get("memory_model") == "weak"]
DEFAULT = {("rcu-typesafe", "qsbr"), ("task-lock", "qsbr")}   # the rest with --bench-full-matrix
TARGET_OPS_PER_S = 1e6


class _FiledAs:
    """bench_results, filing under another kind."""

    def __init__(self, results, kind: str) -> None:  # type: ignore[no-untyped-def]
        self.results, self.kind = results, kind

    def add(self, kind: str, figures: dict[str, object]) -> None:
        self.results.add(self.kind, figures)


@pytest.mark.parametrize("memory_model", ["native", "weak"])
@pytest.mark.parametrize("scheme,rcu", [(s, r) if (s, r) in DEFAULT else pytest.param(s, r, marks=pytest.mark.full_matrix)
                                        for s, r in CORRECT], ids=[f"{s}-{r}" for s, r in CORRECT])
def test_weak_memory_cost(benchmark, scheme, rcu, memory_model, bench_opts, bench_results):
    case = Case(scheme, rcu, "deref", 1, "steady", checks=True, memory_model=memory_model)
    info = measure(benchmark, case, bench_opts.round_s, bench_opts.rounds)
    info["meets_target"] = min(info["ops_per_s_per_reader"]) >= TARGET_OPS_PER_S   # type: ignore[type-var]
    benchmark.extra_info["meets_target"] = info["meets_target"]
    bench_results.add("weak_memory_cost", info)


@pytest.mark.full_matrix   # bench/test_mutant_detection.py runs them too, by default the first of each kind
@pytest.mark.parametrize("name", WEAK_MUTANTS, ids=[Path(n).stem for n in WEAK_MUTANTS])
def test_weak_mutant_time_to_first_violation(benchmark, scheme_cache, name, bench_opts, bench_results):
    kill_rate(benchmark, name, bench_opts, _FiledAs(bench_results, "weak_mutants"))
