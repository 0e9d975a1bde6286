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
# the default: both ends of the node range, half the nodes in the job, a steady writer, the lock against RCU;
# the rest with --bench-full-matrix
DEFAULT = {(c.scheme, c.nodes, c.job_nodes, c.writer) for c in CASES if c.scheme in ("task-lock", "rcu-typesafe")
           and c.nodes in (NODES[0], NODES[-1]) and c.job_nodes == c.nodes // 2 and c.writer == "steady"}
PARAMS = [pytest.param(c, marks=() if (c.scheme, c.nodes, c.job_nodes, c.writer) in DEFAULT
                       else pytest.mark.full_matrix) for c in CASES]


@pytest.mark.parametrize("case", PARAMS, ids=lambda c: c.id)
def test_zonelist(benchmark, case, bench_opts, bench_results):
    bench_results.add("zonelist", measure(benchmark, case, bench_opts.round_s, bench_opts.rounds))
