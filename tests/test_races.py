"""Race detection: correct schemes never flagged, every busted scheme caught, every time."""

import pytest

import harness
from harness.core import FLAVORS, WORKLOADS

CORRECT = [s.name for s in harness.schemes() if s.correct]
BUSTED = [s for s in harness.schemes() if s.busted]


@pytest.mark.parametrize("workload", WORKLOADS)
@pytest.mark.parametrize("rcu", FLAVORS)
@pytest.mark.parametrize("scheme", CORRECT)
def test_correct_scheme_never_flagged(scheme, rcu, workload):
    r = harness.run(harness.Config(scheme=scheme, rcu=rcu, workload=workload, duration=0.4, seed=7))
    rep = r.report
    assert rep["violations"] == 0, rep["first_violation"]
    assert rep["ops"] > 0
    assert all(w["cpus_seen"] == [w["cpu"]] for w in rep["workers"])


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("scheme", BUSTED, ids=lambda s: s.name)
def test_busted_scheme_caught(scheme, seed):
    r = harness.run(harness.Config(scheme=scheme.name, duration=5, seed=seed, until_violation=True))
    rep = r.report
    caught = {k for k, v in rep["violations_by_kind"].items() if v}
    assert caught & set(scheme.expected), (rep["violations_by_kind"], scheme.expected)
    assert rep["first_violation_s"] is not None and rep["first_violation_s"] <= 5
    assert rep["flight_recorder"], "the flight recorder shows what led to the first violation"


@pytest.mark.parametrize("rcu", ["mb", "membarrier"])
@pytest.mark.parametrize("scheme", ["busted-gp", "busted-no-read-lock", "busted-no-revalidate"])
def test_busted_rcu_caught_on_other_flavors(scheme, rcu):
    r = harness.run(harness.Config(scheme=scheme, rcu=rcu, duration=5, seed=11, until_violation=True))
    assert r.report["violations"] > 0
