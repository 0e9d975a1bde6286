"""Is a subset zonelist worth the bigger change? ns per allocation of `alloc` (the zonelist walk asks the
cpuset's mems_allowed node by node) against `alloc-subset` (each cpuset carries its nodes in fallback order,
built by the writer; the reader copies its home node's walk inside the read and takes the first node with a
free page, no per-node test), per correct scheme (qsbr for the RCU ones), at 4, 16 and 64 nodes, with the
readers' job cpuset on 1 node and on half the nodes, 1 reader, checks off, no writer and a steady writer.

    python -m pytest --benchmark-only bench/test_zonelist_cost.py
"""

from __future__ import annotations

import pytest

import harness
from measure import Case, measure

SCHEMES = [s.name for s in harness.schemes() if s.correct]
NODES = (4, 16, 64)
WRITERS = ("none", "steady")


def _job(nodes: int, width: str) -> int:
    return 1 if width == "1" else nodes // 2


CASES = [Case(scheme, "qsbr", workload, 1, writer, nodes=nodes, job_nodes=_job(nodes, width))
         for nodes in NODES for width in ("1", "half") for writer in WRITERS for scheme in SCHEMES
         for workload in ("alloc", "alloc-subset")]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_zonelist(benchmark, case, bench_opts, bench_results):
    bench_results.add("zonelist", measure(benchmark, case, bench_opts.round_s, bench_opts.rounds))
