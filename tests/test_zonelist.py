"""alloc-subset: each cpuset carries subset zonelists built by the writer; the allocation walks the list
copied inside the scheme's protection, with no per-node mems_allowed test. Correct schemes stay clean, every
busted scheme is caught, a list read from a recycled cpuset is caught as torn, and big node counts work.
(Every correct scheme on every flavor under alloc-subset: test_races.py, which parametrizes over WORKLOADS.)"""

import pytest

import harness
from harness.soak.parse import WORKLOADS

BUSTED = [s for s in harness.schemes() if s.busted]
CORRECT = [s.name for s in harness.schemes() if s.correct]


def _zonelist_torn(rep):
    return sum(w.get("zonelist_torn", 0) for w in rep["workers"])


def test_alloc_subset_is_a_workload():
    assert "alloc-subset" in WORKLOADS and WORKLOADS.index("alloc-subset") == 3


@pytest.mark.parametrize("scheme", BUSTED, ids=lambda s: s.name)
def test_busted_scheme_caught_under_alloc_subset(scheme):
    r = harness.run(harness.Config(scheme=scheme.name, workload="alloc-subset", duration=5, seed=1,
                                   until_violation=True))
    rep = r.report
    assert rep["violations"] > 0 and rep["first_violation_s"] is not None and rep["first_violation_s"] <= 5
    caught = {k for k, v in rep["violations_by_kind"].items() if v}
    if not caught & set(scheme.expected):
        # the run stopped at its first violation, which may be a consequence (busted-refcount's resurrected
        # cpuset is freed twice: double-free); a second short run lets the planted bug's own kinds show
        rep = harness.run(harness.Config(scheme=scheme.name, workload="alloc-subset", duration=1, seed=2)).report
        caught = {k for k, v in rep["violations_by_kind"].items() if v}
    assert caught & set(scheme.expected), (rep["violations_by_kind"], scheme.expected)


def test_torn_list_from_a_recycled_cpuset_is_caught():
    """busted-no-revalidate reads a TYPESAFE_BY_RCU cpuset that may be freed and reused, as another cpuset
    with another zonelist block, between its fields and its list: the list it acts on is not the one built
    for the serial it read, and the engine says so (torn-read, counted in zonelist_torn)."""
    rep = harness.run(harness.Config(scheme="busted-no-revalidate", workload="alloc-subset", duration=2, seed=5,
                                     writer_period=0)).report
    assert rep["violations_by_kind"]["torn-read"] > 0, rep["violations_by_kind"]
    assert _zonelist_torn(rep) > 0, [w.get("zonelist_torn") for w in rep["workers"]]


@pytest.mark.parametrize("scheme", ["rcu-typesafe", "rcu-deferred", "refcount"])
def test_correct_scheme_never_acts_on_a_torn_list(scheme):
    rep = harness.run(harness.Config(scheme=scheme, workload="alloc-subset", duration=1, seed=5)).report
    assert rep["violations"] == 0, rep["first_violation"]
    assert _zonelist_torn(rep) == 0


@pytest.mark.parametrize("nodes", [16, 64])
@pytest.mark.parametrize("scheme", ["rcu-typesafe", "seqcount"])
def test_many_nodes(scheme, nodes):
    rep = harness.run(harness.Config(scheme=scheme, workload="alloc-subset", nodes=nodes, pages_per_node=64,
                                     duration=0.5, seed=3)).report
    assert rep["violations"] == 0, rep["first_violation"]
    assert rep["ops"] > 0
    readers = [w for w in rep["workers"] if w["role"] == "reader"]
    assert sum(w["pages_allocated"] for w in readers) > 0


@pytest.mark.parametrize("job_nodes", [1, 8])
def test_job_nodes_sets_the_initial_job_cpuset(job_nodes):
    """--job-nodes K: the readers' job cpuset is the last K nodes, so the home node (CPU % nodes, a low node
    here) is outside it; with no writer every page a reader gets is on one of them (bad-node would say
    otherwise) and none fails."""
    rep = harness.run(harness.Config(scheme="rcu-deferred", workload="alloc-subset", nodes=16, job_nodes=job_nodes,
                                     pages_per_node=64, writers=0, readers=1, duration=0.3, seed=2)).report
    assert rep["violations"] == 0, rep["first_violation"]
    assert rep["config"]["job_nodes"] == job_nodes
    readers = [w for w in rep["workers"] if w["role"] == "reader"]
    assert sum(w["pages_allocated"] for w in readers) > 0 and sum(w["alloc_failures"] for w in readers) == 0


def test_soak_cli_alloc_subset_nodes_64(tmp_path):
    import json
    import subprocess
    import sys
    path = tmp_path / "r.json"
    p = subprocess.run([sys.executable, "-m", "harness", "soak", "--scheme", "rcu-typesafe", "--workload",
                        "alloc-subset", "--nodes", "64", "--job-nodes", "1", "--duration", "0.5", "--seed", "4",
                        "--quiet", "--json", str(path)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    rep = json.loads(path.read_text())
    assert rep["config"]["nodes"] == 64 and rep["config"]["workload"] == "alloc-subset"
    assert "--nodes 64 --job-nodes 1" in p.stdout   # the reproduce line keeps them
