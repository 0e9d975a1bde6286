"""Reader throughput per scheme, with `unsynchronized` in every group so each scheme is also a ratio to the
bare loads measured in the same run. Checks off (pure throughput), except the oracle-cost benchmarks.

Default (`pytest --benchmark-only`): the informative corners, every correct scheme with the qsbr flavor and
rcu-typesafe with every flavor (for the liburcu anchors). `--bench-full-matrix`: every correct scheme (each
RCU flavor of the RCU schemes) x workload x readers {1, all CPUs but one, all CPUs} x writer
{none, steady, storm}.
"""

from __future__ import annotations

import pytest

from harness.soak.parse import WORKLOADS
from measure import NCPUS, SCHEMES, VARIANTS, Case, measure

READERS = sorted({1, max(1, NCPUS - 1), NCPUS})
WRITERS = ("none", "steady", "storm")

# (workload, readers, writer): the corners that answer the thread's question within minutes on 2 CPUs.
# 2 readers is there for the anchors' 2R comparison and the 2R/1R scaling target.
CORNERS = sorted({("deref", 1, "none"), ("deref", min(2, NCPUS), "none"), ("deref", NCPUS, "none"),
                  ("deref", 1, "steady"), ("alloc", 1, "none"), ("alloc", 1, "steady")})
FULL = [(w, r, wr) for w in WORKLOADS for r in READERS for wr in WRITERS]
# the default's schemes: the qsbr flavor of each, and rcu-typesafe's other flavors where liburcu has a twin
DEFAULT_VARIANTS = [(name, rcu) for name, rcu in VARIANTS if rcu == "qsbr" or name == "rcu-typesafe"]


def _cases(conditions: list[tuple[str, int, str]], variants: list[tuple[str, str]]) -> list[Case]:
    return [Case(scheme, rcu, workload, readers, writer)
            for workload, readers, writer in conditions for scheme, rcu in variants]


CORNER_CASES = [c for c in _cases(CORNERS, DEFAULT_VARIANTS) if c.workload == "deref" or c.rcu == "qsbr"]
EXTRA_CASES = [c for c in _cases(FULL, VARIANTS) if c not in CORNER_CASES]


@pytest.mark.parametrize("case", CORNER_CASES, ids=lambda c: c.id)
def test_throughput(benchmark, case, bench_opts, bench_results):
    bench_results.add("throughput", measure(benchmark, case, bench_opts.round_s, bench_opts.rounds))


@pytest.mark.full_matrix
@pytest.mark.parametrize("case", EXTRA_CASES, ids=lambda c: c.id)
def test_throughput_full(benchmark, case, bench_opts, bench_results):
    bench_results.add("throughput", measure(benchmark, case, bench_opts.round_s, bench_opts.rounds))


# What torture costs: every oracle on (race amplifiers off, they are delays by design), against the same
# case with checks off from test_throughput (1 reader, steady writer): on deref, where the oracles' fixed
# cost per read meets a 1 ns read, and on alloc, the torture runs' default workload.
@pytest.mark.parametrize("case", [Case(s.name, "qsbr", workload, 1, "steady", checks=True)
                                  for workload in ("deref", "alloc") for s in SCHEMES if s.correct],
                         ids=lambda c: c.id)
def test_oracle_cost(benchmark, case, bench_opts, bench_results):
    bench_results.add("throughput", measure(benchmark, case, bench_opts.round_s, bench_opts.rounds))
